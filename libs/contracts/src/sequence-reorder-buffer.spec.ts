import { SequenceReorderBuffer } from './sequence-reorder-buffer';

describe('SequenceReorderBuffer (a numbered stream in sequence order)', () => {
  it('releases pieces in sequence order when they arrive out of order', () => {
    const buffer = new SequenceReorderBuffer<string>();
    const released = (
      [
        [2, 'lo, '],
        [1, 'Hel'],
        [4, 'ld.'],
        [3, 'wor'],
      ] as const
    ).map(([sequence, text]) => buffer.push(String(sequence), text));
    // 2 waits for 1; then 1 and 2 together; 4 waits for 3; then 3 and 4.
    expect(released).toEqual([[], ['Hel', 'lo, '], [], ['wor', 'ld.']]);
    expect({ through: buffer.through, held: buffer.held }).toEqual({ through: 4n, held: 0 });
  });

  it('holds pieces after a gap and never releases a later piece before an earlier one', () => {
    const buffer = new SequenceReorderBuffer<string>();
    expect(buffer.push(3, 'c')).toEqual([]);
    expect({ through: buffer.through, held: buffer.held }).toEqual({ through: 0n, held: 1 });
    expect(buffer.push(1n, 'a')).toEqual(['a']);
    expect(buffer.push('2', 'b')).toEqual(['b', 'c']);
    expect({ through: buffer.through, held: buffer.held }).toEqual({ through: 3n, held: 0 });
  });

  it('ignores a repeated piece, a piece already passed, and a sequence that is not a positive whole number', () => {
    const buffer = new SequenceReorderBuffer<string>();
    expect(buffer.push(1, 'a')).toEqual(['a']);
    expect(buffer.push(1, 'a again')).toEqual([]);
    expect(buffer.push(3, 'c')).toEqual([]);
    expect(buffer.push(3, 'c again')).toEqual([]);
    for (const bad of ['x', '', '0', '-2', '2.5', 0, -1, 2.5, Number.NaN, 0n, -2n]) expect(buffer.push(bad, '?')).toEqual([]);
    expect(buffer.push(2, 'b')).toEqual(['b', 'c']);
  });

  it('takes uint64 sequence numbers beyond a double (protobuf bigint and its JSON string)', () => {
    const buffer = new SequenceReorderBuffer<string>();
    expect(buffer.push(String(2n ** 64n - 1n), 'far')).toEqual([]);
    expect(buffer.held).toBe(1);
  });

  it('drops the held pieces on clear, and later pieces still wait for the missing one', () => {
    const buffer = new SequenceReorderBuffer<string>();
    buffer.push(2, 'b');
    buffer.clear();
    expect(buffer.held).toBe(0);
    expect(buffer.push(1, 'a')).toEqual(['a']);
    expect(buffer.push(3, 'c')).toEqual([]);
  });
});
