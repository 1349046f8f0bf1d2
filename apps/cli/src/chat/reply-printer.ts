// One reply of the companion as the terminal shows it: `conversation.reply.delta` events put back in sequence order
// (they may arrive out of order, and before the request that started the reply has its answer), text printed as soon
// as it is next in line, and the completion's stored text filling in whatever deltas never came.
import { SequenceReorderBuffer, type ReplyCompleted, type ReplyDelta } from '@aico/contracts';

export interface ReplyOutput {
  /** Text of the reply, as it grows. */
  text(piece: string): void;
  /** Where the reply waits before its first text (queued, loading the model). */
  waiting(line: string): void;
}

export class ReplyPrinter {
  private readonly order = new SequenceReorderBuffer<ReplyDelta>();
  private printedText = '';
  private lastWaiting = '';
  private completion: ReplyCompleted | undefined;

  constructor(
    readonly replyId: string,
    private readonly output: ReplyOutput,
  ) {}

  get printed(): string {
    return this.printedText;
  }

  get completed(): ReplyCompleted | undefined {
    return this.completion;
  }

  delta(delta: ReplyDelta): void {
    if (delta.replyId !== this.replyId || this.completion) return;
    for (const ready of this.order.push(delta.sequence, delta)) this.show(ready);
  }

  /** Ends the reply: prints what the deltas did not bring (the stored text is the truth). */
  complete(completed: ReplyCompleted): void {
    if (completed.replyId !== this.replyId || this.completion) return;
    this.completion = completed;
    // Deltas still held back (one lost in between) are covered by the stored text.
    this.order.clear();
    if (completed.text.startsWith(this.printedText)) {
      const rest = completed.text.slice(this.printedText.length);
      if (rest) this.print(rest);
    }
  }

  private show(delta: ReplyDelta): void {
    if (delta.kind.case === 'text') this.print(delta.kind.value);
    else if (delta.kind.case === 'waiting' && this.printedText === '') {
      const { stage, position, reason } = delta.kind.value;
      const line = `waiting (${stage}${position > 0 ? `, position ${position}` : ''})${reason ? `: ${reason}` : ''}`;
      if (line !== this.lastWaiting) this.output.waiting(line);
      this.lastWaiting = line;
    }
  }

  private print(text: string): void {
    this.printedText += text;
    this.output.text(text);
  }
}
