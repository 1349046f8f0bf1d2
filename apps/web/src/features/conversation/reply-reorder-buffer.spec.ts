import { describeWaiting, ReplyReorderBuffer } from './reply-reorder-buffer';

describe('ReplyReorderBuffer (a streamed reply in sequence order)', () => {
  it('shows the text in sequence order when the deltas arrive out of order', () => {
    const buffer = new ReplyReorderBuffer();
    const seen: string[] = [];
    for (const [sequence, text] of [
      [2, 'lo, '],
      [1, 'Hel'],
      [4, 'ld.'],
      [3, 'wor'],
    ] as const)
      seen.push(buffer.push({ sequence: String(sequence), text }).text);
    // 2 waits for 1; then 1 and 2 together; 4 waits for 3; then 3 and 4.
    expect(seen).toEqual(['', 'Hello, ', 'Hello, ', 'Hello, world.']);
    expect(buffer.progress).toMatchObject({ through: 4, held: 0 });
  });

  // The ordering itself (gaps, repeats, bad numbers) is SequenceReorderBuffer's, specified in libs/contracts.

  it('says where the reply waits until its first text, in order too', () => {
    const buffer = new ReplyReorderBuffer();
    expect(buffer.push({ sequence: 2, waiting: { stage: 'loading' } }).waiting).toBeUndefined();
    expect(buffer.push({ sequence: 1, waiting: { stage: 'queued', position: 2 } }).waiting).toEqual({ stage: 'loading' });
    const progress = buffer.push({ sequence: 3, text: 'Hi' });
    expect(progress).toMatchObject({ text: 'Hi', waiting: undefined });
    expect(describeWaiting({ stage: 'queued', position: 2 })).toBe('queued, position 2');
    expect(describeWaiting({ stage: 'loading' })).toBe('loading the model…');
  });
});
