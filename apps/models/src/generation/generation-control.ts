// What every generation has in common, whichever engine writes its text (llama.cpp here, an Ollama server in
// ollama/): its life as a monitor job (admitted, told to wait, paused, resumed), how it ends early (cancel, the
// requester stopping or going away, its deadline, resources turning critical) and the numbered deltas its requester
// receives. The engine-specific part — running the model until it stops — is the subclass's `run()`.
import { BusError, BusErrorCode, type ResponseStream } from '@aico/bus';
import { JOB_OPERATORS, StopReason, type GenerateDeltaSchema, type GenerateResultSchema } from '@aico/contracts';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Logger } from '@aico/logging';
import type { JobTicket } from '../admission/monitor-jobs';
import type { GenerationSpec } from './generation-spec';

export type GenerateResultInit = MessageInitShape<typeof GenerateResultSchema>;

/** Why a generation ended before the model did. */
export type EndCause =
  | { readonly kind: 'cancelled'; readonly reason: string }
  | { readonly kind: 'deadline'; readonly reason: string }
  | { readonly kind: 'unloaded'; readonly reason: string };

export type Phase = 'admission' | 'queued' | 'paused' | 'running' | 'ended';

export const END_REASONS: Readonly<Record<EndCause['kind'], StopReason>> = {
  cancelled: StopReason.CANCELLED,
  deadline: StopReason.DEADLINE,
  unloaded: StopReason.UNLOADED,
};

type WaitingBody = { stage: string; position: number; reason: string };
type DeltaBody = { kind: { case: 'text'; value: string } | { case: 'waiting'; value: WaitingBody }; completionTokens: number };

export abstract class GenerationControl {
  phase: Phase = 'admission';
  protected ended: EndCause | undefined;
  protected readonly endController = new AbortController();
  protected pauseReason = '';
  protected ticket: JobTicket | undefined;
  protected admitted = false;
  /** The text so far and its tokens (what the requester has received, for a stopped generation). */
  protected text = '';
  protected completionTokens = 0;
  private waiter: (() => void) | undefined;
  private deltaSequence = 0;
  private lastWaiting = '';
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly id: string,
    readonly requester: string,
    readonly spec: GenerationSpec,
    protected readonly stream: ResponseStream<typeof GenerateDeltaSchema>,
    protected readonly logger: Logger,
    protected readonly receivedAt: number,
  ) {}

  abstract run(): Promise<GenerateResultInit>;

  /** Stops the engine's current run at its next token (a pause); the generation goes on afterwards. */
  protected abstract stopRun(reason: string): void;

  /** Ends the generation now (it still answers with its text so far). */
  end(cause: EndCause): void {
    if (this.ended) return;
    this.ended = cause;
    this.endController.abort(cause);
    this.wake();
  }

  /** Whether `source` may cancel it: its requester or an operator. */
  mayCancel(source: string): boolean {
    return source === this.requester || (JOB_OPERATORS as readonly string[]).includes(source);
  }

  /**
   * Ends it `marginMs` before `deadlineMs`, so the final reply reaches the requester before its own deadline — or
   * halfway to it when the deadline is nearer than twice the margin: a request with a short deadline still gets the
   * text that fits in it, not an empty answer at once.
   */
  expireAt(deadlineMs: number | undefined, marginMs: number): void {
    if (deadlineMs === undefined) return;
    const left = Math.max(0, deadlineMs - Date.now());
    const timer = setTimeout(() => this.end({ kind: 'deadline', reason: 'the request deadline passed' }), left - Math.min(marginMs, left / 2));
    timer.unref();
    this.timers.push(timer);
  }

  // ---- what the monitor says (JobListener) ----

  waiting(position: number, reason: string): void {
    this.sendWaiting(position === 0 ? { stage: 'paused', position: 0, reason } : { stage: 'admission', position, reason });
  }

  admittedNow(): void {
    this.admitted = true;
    this.wake();
  }

  pause(reason: string): void {
    if (this.ended) return;
    this.logger.info({ generation: this.id, reason }, 'Generation paused on the monitor’s advice');
    this.pauseReason = reason;
    this.stopRun(reason);
    if (this.phase !== 'running') this.sendWaiting({ stage: 'paused', position: 0, reason });
  }

  resume(): void {
    this.wake();
  }

  // ---- for the subclass's run() ----

  /** Ends the generation when its stream ends (deadline, requester stop or gone, shutdown); returns the undo. */
  protected followStream(): () => void {
    const onStreamAbort = (): void => this.end(streamEnd(this.stream.signal.reason));
    if (this.stream.signal.aborted) onStreamAbort();
    else this.stream.signal.addEventListener('abort', onStreamAbort, { once: true });
    return () => {
      this.stream.signal.removeEventListener('abort', onStreamAbort);
      for (const timer of this.timers) clearTimeout(timer);
    };
  }

  /** Waits until `ready()` holds or the generation ends (woken by admittedNow, resume and end). */
  protected async until(ready: () => boolean): Promise<void> {
    while (!ready() && !this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = undefined;
  }

  /** Waits out a pause advice, telling the requester why its text stopped. */
  protected async waitWhilePaused(): Promise<void> {
    this.phase = 'paused';
    this.sendWaiting({ stage: 'paused', position: 0, reason: this.pauseReason });
    await this.until(() => !this.ticket!.pauseAdvised);
  }

  protected sendText(text: string, completionTokens: number): void {
    this.send({ kind: { case: 'text', value: text }, completionTokens });
  }

  protected sendWaiting(state: WaitingBody): void {
    if (this.ended || this.phase === 'running') return;
    const key = `${state.stage}|${state.position}|${state.reason}`;
    if (key === this.lastWaiting) return;
    this.lastWaiting = key;
    this.send({ kind: { case: 'waiting', value: state }, completionTokens: this.completionTokens });
  }

  private send(delta: DeltaBody): void {
    if (delta.kind.case === 'text') this.lastWaiting = '';
    this.stream
      .send({ ...delta, sequence: BigInt(++this.deltaSequence) })
      .catch((error: unknown) => this.logger.debug({ generation: this.id, err: error }, 'A delta was not sent'));
  }

  private wake(): void {
    this.waiter?.();
  }
}

/** Why the stream's signal ended the generation. */
function streamEnd(reason: unknown): EndCause {
  const code = reason instanceof BusError ? reason.code : undefined;
  switch (code) {
    case BusErrorCode.DeadlineExceeded:
      return { kind: 'deadline', reason: 'the request deadline passed' };
    case BusErrorCode.RequesterGone:
      return { kind: 'cancelled', reason: 'the requester went away' };
    case BusErrorCode.Closed:
      return { kind: 'cancelled', reason: 'the models service is stopping' };
    default:
      return { kind: 'cancelled', reason: 'the requester stopped it' };
  }
}
