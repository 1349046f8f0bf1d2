import { SentenceSplitter } from './sentence-splitter';

/** Feeds `pieces` one by one; returns what came out after each piece, and what the end of the text gave. */
function split(pieces: readonly string[], maxChars?: number): { steps: string[][]; rest: string[] } {
  const splitter = new SentenceSplitter(maxChars);
  const steps = pieces.map((piece) => splitter.push(piece));
  return { steps, rest: splitter.flush() };
}

const all = (pieces: readonly string[], maxChars?: number): string[] => {
  const { steps, rest } = split(pieces, maxChars);
  return [...steps.flat(), ...rest];
};

describe('SentenceSplitter', () => {
  it('gives each sentence as soon as the white space after its end arrives, not before', () => {
    const { steps, rest } = split(['Hello there', '.', ' How', ' are you?', ' Fine!', '\n']);
    expect(steps).toEqual([[], [], ['Hello there.'], [], ['How are you?'], ['Fine!']]);
    expect(rest).toEqual([]);
  });

  it('ends a sentence at a newline, and skips empty lines', () => {
    expect(all(['first line\n\nsecond line\nthird'])).toEqual(['first line', 'second line', 'third']);
  });

  it('keeps abbreviations and decimals inside their sentence', () => {
    expect(all(['Take e.g. this one. Dr. Smith paid 3.5 dollars', '. Then i.e. more.'])).toEqual([
      'Take e.g. this one.',
      'Dr. Smith paid 3.5 dollars.',
      'Then i.e. more.',
    ]);
  });

  it('waits for the character after a dot before deciding (a decimal split over two pieces)', () => {
    const { steps } = split(['It costs 3.', '5 euros. Next']);
    expect(steps).toEqual([[], ['It costs 3.5 euros.']]);
  });

  it('keeps closing quotes and brackets with the sentence they end', () => {
    expect(all(['He said "stop." Then (it ended.) And ‘so?’ Yes'])).toEqual(['He said "stop."', 'Then (it ended.)', 'And ‘so?’', 'Yes']);
  });

  it('treats runs of marks as one end, and an ellipsis before lower case as a pause', () => {
    expect(all(['Really?! Well... maybe not. Wait… What?'])).toEqual(['Really?!', 'Well... maybe not.', 'Wait…', 'What?']);
  });

  it('gives the unfinished last sentence at the end, and nothing for white space only', () => {
    expect(split(['no end here'])).toEqual({ steps: [[]], rest: ['no end here'] });
    expect(split(['  ', '\n '])).toEqual({ steps: [[], []], rest: [] });
    expect(split(['Ends with a dot.'])).toEqual({ steps: [[]], rest: ['Ends with a dot.'] });
  });

  it('cuts a sentence longer than the limit at the last space before it, never longer than the limit', () => {
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const sentences = all([words], 40);
    expect(sentences.every((sentence) => sentence.length <= 40)).toBe(true);
    expect(sentences.join(' ')).toBe(words);
    expect(sentences.length).toBeGreaterThan(1);
  });

  it('cuts text without spaces at the limit, and never inside a surrogate pair', () => {
    expect(all(['x'.repeat(25)], 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    const emoji = '😀'.repeat(6); // 12 UTF-16 units
    const pieces = all([emoji], 5);
    expect(pieces.join('')).toBe(emoji);
    expect(pieces.every((piece) => piece.isWellFormed() && piece.length <= 5)).toBe(true);
  });

  it('keeps every sentence within the avatar protocol’s 2000 characters by default', () => {
    const sentences = all(['a'.repeat(4500) + '. Short.']);
    expect(sentences.map((s) => s.length)).toEqual([2000, 2000, 501, 6]);
  });

  it('splits the chat test model’s text (the alphabet, a dot and a space, over and over) sentence by sentence', () => {
    const text = 'abcdefghijklmnopqrstuvwxyz. '.repeat(3) + 'abc';
    const { steps, rest } = split([...text]);
    expect(steps.flat()).toEqual(['abcdefghijklmnopqrstuvwxyz.', 'abcdefghijklmnopqrstuvwxyz.', 'abcdefghijklmnopqrstuvwxyz.']);
    // Each sentence comes out with the space after its dot, not at the end.
    expect(steps.findIndex((step) => step.length > 0)).toBe(27);
    expect(rest).toEqual(['abc']);
  });
});
