import { create } from '@bufbuild/protobuf';
import { QueueStateSchema, ReplyCompletedSchema, ReplyDeltaSchema, type ReplyDelta } from '@aico/contracts';
import { ReplyPrinter } from './reply-printer';

const REPLY = 'r-1';
const text = (sequence: bigint, value: string, replyId = REPLY): ReplyDelta => create(ReplyDeltaSchema, { replyId, sequence, kind: { case: 'text', value } });
const waiting = (sequence: bigint, stage: string, position = 0): ReplyDelta =>
  create(ReplyDeltaSchema, { replyId: REPLY, sequence, kind: { case: 'waiting', value: create(QueueStateSchema, { stage, position }) } });

function printer() {
  const out = { text: [] as string[], waiting: [] as string[] };
  return { out, reply: new ReplyPrinter(REPLY, { text: (piece) => out.text.push(piece), waiting: (line) => out.waiting.push(line) }) };
}

describe('ReplyPrinter (a reply in the terminal)', () => {
  it('prints the deltas in sequence order, whatever order they arrive in, each once, and only its own reply', () => {
    const { out, reply } = printer();
    for (const delta of [text(2n, 'lo, '), text(1n, 'Hel'), text(1n, 'Hel'), text(3n, 'x', 'r-other'), text(4n, 'ld.'), text(3n, 'wor')]) reply.delta(delta);
    expect(out.text).toEqual(['Hel', 'lo, ', 'wor', 'ld.']);
    expect(reply.printed).toBe('Hello, world.');
  });

  it('says where the reply waits before its first text, once per change', () => {
    const { out, reply } = printer();
    for (const delta of [waiting(1n, 'queued', 2), waiting(2n, 'queued', 2), waiting(3n, 'loading'), text(4n, 'Hi'), waiting(5n, 'paused')]) reply.delta(delta);
    expect(out.waiting).toEqual(['waiting (queued, position 2)', 'waiting (loading)']);
    expect(out.text).toEqual(['Hi']);
  });

  it('fills in what the deltas never brought from the completion, and ignores deltas after it', () => {
    const { out, reply } = printer();
    reply.delta(text(1n, 'Hel'));
    reply.delta(text(3n, 'world.'));
    reply.complete(create(ReplyCompletedSchema, { replyId: REPLY, text: 'Hello, world.' }));
    reply.delta(text(2n, 'lo, '));
    expect(out.text).toEqual(['Hel', 'lo, world.']);
    expect(reply.completed?.text).toBe('Hello, world.');
  });
});
