// A reply arrives as numbered pieces (`conversation.reply.delta`, sequence 1, 2, 3, … per reply) that the WebSocket
// may deliver out of order (a reconnect, the gateway's relay): the contracts' SequenceReorderBuffer releases them in
// sequence order (repeats ignored), and this adds them up, so the text on screen is always a prefix of the reply,
// never scrambled.
import type { QueueStateJson } from '@aico/contracts';
import { SequenceReorderBuffer } from '@aico/contracts/browser';

export interface ReplyPiece {
  /** 1-based, without gaps, per reply (uint64 in JSON: a string). */
  readonly sequence: number | string;
  readonly text?: string;
  /** Before the first text: where the reply waits (queued with a position, loading the model, …). */
  readonly waiting?: QueueStateJson;
}

export interface ReplyProgress {
  /** The reply's text so far, in order. */
  readonly text: string;
  /** The latest waiting state released in order, while no text has come yet. */
  readonly waiting: QueueStateJson | undefined;
  /** The last sequence number released in order. */
  readonly through: number;
  /** Pieces held because an earlier one is missing. */
  readonly held: number;
}

export class ReplyReorderBuffer {
  private readonly order = new SequenceReorderBuffer<ReplyPiece>();
  private text = '';
  private waiting: QueueStateJson | undefined;

  /** Takes one piece; answers the progress after it (unchanged when the piece was early or a repeat). */
  push(piece: ReplyPiece): ReplyProgress {
    for (const ready of this.order.push(piece.sequence, piece)) this.apply(ready);
    return this.progress;
  }

  get progress(): ReplyProgress {
    return { text: this.text, waiting: this.waiting, through: Number(this.order.through), held: this.order.held };
  }

  private apply(piece: ReplyPiece): void {
    if (piece.text !== undefined) {
      this.text += piece.text;
      this.waiting = undefined;
    } else if (piece.waiting && this.text === '') {
      this.waiting = piece.waiting;
    }
  }
}

/** Words for a waiting state: "queued, position 2", "loading the model…". */
export function describeWaiting(waiting: QueueStateJson | undefined): string | undefined {
  if (!waiting) return undefined;
  switch (waiting.stage) {
    case 'queued':
      return waiting.position ? `queued, position ${waiting.position}` : 'queued';
    case 'loading':
      return 'loading the model…';
    case 'admission':
      return waiting.reason ? `waiting for the machine (${waiting.reason})` : 'waiting for the machine…';
    case 'paused':
      return waiting.reason ? `paused (${waiting.reason})` : 'paused';
    default:
      return waiting.stage ? `${waiting.stage}…` : 'waiting…';
  }
}
