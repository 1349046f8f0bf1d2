import { threadTitle } from './thread-title';

describe('threadTitle', () => {
  it('is the first message on one line', () => {
    expect(threadTitle('  Hello\n\tthere  ')).toBe('Hello there');
  });

  it('cuts a long message at a word, marked with an ellipsis', () => {
    const title = threadTitle('Could you help me plan a three day hiking trip through the mountains next summer please');
    expect(title).toBe('Could you help me plan a three day hiking trip through the…');
    expect(title.length).toBeLessThanOrEqual(61);
  });

  it('cuts a long word where it must', () => {
    expect(threadTitle('x'.repeat(100))).toBe(`${'x'.repeat(60)}…`);
  });
});
