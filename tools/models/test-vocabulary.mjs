// The test models' vocabulary: a llama (SentencePiece) tokenizer with byte fallback and one token per character,
// laid out so "the next token" is well defined. Token ids:
//
//   0 <unk> (unknown), 1 <s> (bos), 2 </s> (eos)      control tokens, never predicted
//   3 … 258   <0x00> … <0xFF> (byte tokens, type 6)    llama.cpp needs <0x0A> for newline; any character outside
//                                                      the vocabulary is spelled with them
//   259 …     one token per vocabulary character, in    the chain: each one's successor is the next in this order,
//             the order given (space spelled "▁")       the last one's is the first, and a newline's is the first
//   then      <|im_start|>, <|im_end|> (control)         only when the model has the ChatML chat template
//
// With single characters only, SentencePiece has nothing to merge: a text is one token per character.

/** Letters first, so a chain started by a newline (a chat answer) reads "abcdef…"; then digits, space, punctuation. */
export const DEFAULT_VOCABULARY = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** llama.cpp's token types (llama_token_type). */
export const TOKEN_TYPE = Object.freeze({ normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 });

/** SentencePiece's visible space: llama tokenizers store " " as "▁" (U+2581). */
const SPM_SPACE = '\u2581';

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The characters of a vocabulary, checked: each a single printable code point, none twice. */
export function vocabularyCharacters(vocabulary = DEFAULT_VOCABULARY) {
  const characters = [...vocabulary]; // a string's code points, or an array's entries
  if (characters.length < 2) throw new RangeError('the vocabulary needs at least 2 characters');
  const seen = new Set();
  for (const character of characters) {
    if (typeof character !== 'string' || [...character].length !== 1) {
      throw new RangeError(`vocabulary entries are single characters, not ${JSON.stringify(character)}`);
    }
    if (/[\p{Cc}\p{Cs}]/u.test(character) || character === SPM_SPACE) {
      throw new RangeError(`vocabulary character ${JSON.stringify(character)} is a control character or "▁"`);
    }
    if (seen.has(character)) throw new RangeError(`vocabulary character ${JSON.stringify(character)} appears twice`);
    seen.add(character);
  }
  return characters;
}

/** The full token table of a test model. */
export function buildVocabulary({ vocabulary = DEFAULT_VOCABULARY, chatml = true } = {}) {
  const characters = vocabularyCharacters(vocabulary);
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE.byte);
  }
  const firstText = tokens.length;
  for (const character of characters) {
    tokens.push(character === ' ' ? SPM_SPACE : character);
    types.push(TOKEN_TYPE.normal);
  }
  const textIds = characters.map((_, i) => firstText + i);
  const chatmlIds = {};
  if (chatml) {
    for (const [key, text] of [
      ['imStart', '<|im_start|>'],
      ['imEnd', '<|im_end|>'],
    ]) {
      chatmlIds[key] = tokens.length;
      tokens.push(text);
      types.push(TOKEN_TYPE.control);
    }
  }
  return {
    tokens,
    types,
    // Scores rank SentencePiece merges; single characters never merge, so they carry no information here.
    scores: tokens.map(() => 0),
    unk: 0,
    bos: 1,
    eos: 2,
    newline: 3 + 0x0a,
    characters,
    textIds,
    chatml: chatml ? chatmlIds : undefined,
  };
}

/**
 * The characters greedy decoding of a test model produces after `prompt`, one per token: the vocabulary chain from
 * the prompt's last character (or from its start after a newline — the end of a chat template's generation
 * prompt), `tokens` steps. The model predicts from the last token alone, so nothing before it matters.
 */
export function continuationTokens(prompt, tokens, { vocabulary = DEFAULT_VOCABULARY } = {}) {
  const characters = vocabularyCharacters(vocabulary);
  const last = [...prompt].at(-1);
  let index;
  if (last === '\n') index = -1;
  else if (last !== undefined && characters.includes(last)) index = characters.indexOf(last);
  else {
    throw new RangeError(`a test model's continuation is predictable only after a vocabulary character or a newline, not after ${JSON.stringify(last ?? '')}`);
  }
  return Array.from({ length: tokens }, () => characters[(index = (index + 1) % characters.length)]);
}

/**
 * The text node-llama-cpp returns for `tokens` greedy tokens after `prompt`: continuationTokens joined — without a
 * leading space, because llama.cpp's SentencePiece detokenizer takes a text's leading "▁" for the space prefix the
 * tokenizer adds, and drops it (node-llama-cpp detokenizes the first chunk without the tokens before it).
 */
export function predictContinuation(prompt, tokens, options = {}) {
  const text = continuationTokens(prompt, tokens, options).join('');
  return text.startsWith(' ') ? text.slice(1) : text;
}
