// Cuts a reply that arrives in pieces into sentences as soon as each is complete, so the avatar starts speaking the
// first sentence while the model still writes the rest. A sentence ends at a newline, or at . ! ? … (with any closing
// quotes or brackets after them) followed by white space; not after an abbreviation ("e.g.", "Dr."), inside a
// number ("3.5"), or at an ellipsis that the sentence goes on after ("well... maybe"). A sentence longer than the
// avatar protocol accepts is cut at the last space before that length.
// The avatar protocol's limit on one speak command (libs/avatar-protocol MAX_SPEAK_TEXT_LENGTH; that lib is typed for
// browsers, so the number is repeated here and a spec holds the two together).
export const MAX_SPEECH_CHARS = 2000;

const TERMINATORS = new Set(['.', '!', '?', '…']);
/** Closing quotes and brackets that belong to the sentence they follow. */
const CLOSERS = new Set(['"', "'", ')', ']', '}', '»', '”', '’', '›']);
/** Words whose final dot does not end a sentence (lower case, without that dot). "etc." usually does: not here. */
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'dr', 'mr', 'mrs', 'ms', 'prof', 'sr', 'jr', 'st', 'vs', 'cf', 'approx', 'fig', 'z.b', 'd.h', 'bzw', 'ca']);
const WHITESPACE = /\s/u;
const LOWERCASE = /\p{Ll}/u;

export class SentenceSplitter {
  private buffer = '';

  constructor(private readonly maxChars: number = MAX_SPEECH_CHARS) {
    if (maxChars < 2) throw new RangeError('a sentence may be no shorter than 2 characters');
  }

  /** Adds the next piece of text; returns the sentences it completed, in order. */
  push(text: string): string[] {
    this.buffer += text;
    return this.take(false);
  }

  /** The end of the text: every sentence left, the unfinished one included. */
  flush(): string[] {
    const sentences = this.take(true);
    const rest = this.buffer.trim();
    this.buffer = '';
    if (rest) sentences.push(rest);
    return sentences;
  }

  private take(final: boolean): string[] {
    const sentences: string[] = [];
    for (;;) {
      const end = this.boundary(final);
      if (end !== undefined && end <= this.maxChars + this.leadingSpace()) {
        this.emit(end, sentences);
        continue;
      }
      // No end in sight within the limit: cut the sentence so the avatar can speak it at all.
      if (this.buffer.length - this.leadingSpace() > this.maxChars) {
        this.emit(this.cutPoint(), sentences);
        continue;
      }
      return sentences;
    }
  }

  private leadingSpace(): number {
    return this.buffer.length - this.buffer.trimStart().length;
  }

  private emit(end: number, into: string[]): void {
    const sentence = this.buffer.slice(0, end).trim();
    this.buffer = this.buffer.slice(end);
    if (sentence) into.push(sentence);
  }

  /** The last white space within the limit (a word is not cut), else the limit itself (not inside a surrogate pair). */
  private cutPoint(): number {
    const start = this.leadingSpace();
    const limit = start + this.maxChars;
    for (let i = limit; i > start; i--) if (WHITESPACE.test(this.buffer[i]!)) return i;
    const code = this.buffer.charCodeAt(limit - 1);
    return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
  }

  /** Where the first complete sentence ends (exclusive), or undefined when no sentence is complete yet. */
  private boundary(final: boolean): number | undefined {
    const text = this.buffer;
    const length = text.length;
    for (let i = 0; i < length; i++) {
      const c = text[i]!;
      if (c === '\n') return i + 1;
      if (!TERMINATORS.has(c)) continue;
      let j = i;
      while (j < length && TERMINATORS.has(text[j]!)) j++;
      let k = j;
      while (k < length && CLOSERS.has(text[k]!)) k++;
      // The next character decides (a space, a digit, more text): wait for it, unless the text has ended.
      if (k === length) return final ? k : undefined;
      if (!WHITESPACE.test(text[k]!)) {
        i = k - 1;
        continue;
      }
      if (j - i === 1 && c === '.' && isAbbreviation(text, i)) {
        i = k - 1;
        continue;
      }
      if (isEllipsis(text.slice(i, j))) {
        let m = k;
        while (m < length && WHITESPACE.test(text[m]!) && text[m] !== '\n') m++;
        if (m === length) return final ? k : undefined;
        // "well... maybe": the sentence goes on in lower case.
        if (LOWERCASE.test(text[m]!)) {
          i = m - 1;
          continue;
        }
      }
      return k;
    }
    return undefined;
  }
}

function isEllipsis(run: string): boolean {
  return run.includes('…') || /^\.{2,}$/.test(run);
}

/** Whether the word before the dot at `dot` is an abbreviation ("e.g", "Dr"). */
function isAbbreviation(text: string, dot: number): boolean {
  let start = dot;
  while (start > 0 && /[\p{L}.]/u.test(text[start - 1]!)) start--;
  const word = text.slice(start, dot).toLowerCase();
  return ABBREVIATIONS.has(word);
}
