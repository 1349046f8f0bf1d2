// One reply being written: who it is for, where it goes, and how it is stopped.
import { randomUUID } from 'node:crypto';

export class ReplyRun {
  /** The correlation id of the models.text.generate request (models.text.cancel names it). */
  readonly generationId = randomUUID();
  private readonly stopper = new AbortController();

  constructor(
    readonly userId: string,
    readonly threadId: string,
    readonly replyId: string,
  ) {}

  /** The user asked to stop: the generation ends with its text so far, and nothing more is spoken. */
  get stopRequested(): boolean {
    return this.stopper.signal.aborted;
  }

  get stopSignal(): AbortSignal {
    return this.stopper.signal;
  }

  stop(): void {
    this.stopper.abort();
  }
}
