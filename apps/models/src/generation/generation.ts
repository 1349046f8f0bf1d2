// One generation from request to result: admitted as a monitor job, queued for a slot on the model (loading it when
// needed), its prompt counted against the context, then generated with every text chunk streamed to the requester
// in order. It ends with a stop reason and its text so far, whatever ends it: the model (end of sequence, max
// tokens, a stop string), the requester (cancel, a soft stop, going away), an operator (models.text.cancel, the
// monitor cancelling the job), its deadline, or the model leaving memory because resources turned critical.
//
// A pause advice (the monitor holds background/llm work) stops the model at its next token and gives the slot back;
// when the hold ends the generation queues again in its first place and continues from the prompt plus the text it
// already wrote (node-llama-cpp evaluates that prefix again: a few hundred ms of prefill for a long prompt, the price
// of freeing the slot and the memory of a paused sequence for work a person waits for).
import { BusError, BusErrorCode, type ResponseStream } from '@aico/bus';
import { JOB_OPERATORS, StopReason, type GenerateDeltaSchema, type GenerateResultSchema, type UsageSchema } from '@aico/contracts';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Logger } from '@aico/logging';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { ResolvedModel } from '../engine/model-resolver';
import type { LlamaGrammar, NodeLlamaCpp } from '../node-llama-cpp';
import type { JobTicket } from '../admission/monitor-jobs';
import type { Slot, WaitingState } from './model-scheduler';
import type { GenerationSpec } from './generation-spec';
import { runGeneration, type RunStop } from './generation-runner';
import { assertFits, countPromptTokens } from './prompt-tokens';

export type GenerateResultInit = MessageInitShape<typeof GenerateResultSchema>;
type UsageInit = MessageInitShape<typeof UsageSchema>;
type DeltaBody = { kind: { case: 'text'; value: string } | { case: 'waiting'; value: { stage: string; position: number; reason: string } }; completionTokens: number };

/** Why a generation ended before the model did. */
export type EndCause = { readonly kind: 'cancelled'; readonly reason: string } | { readonly kind: 'deadline'; readonly reason: string } | { readonly kind: 'unloaded'; readonly reason: string };

export type Phase = 'admission' | 'queued' | 'paused' | 'running' | 'ended';

/** What a generation needs from the service around it. */
export interface GenerationDeps {
  readonly api: () => Promise<{ api: NodeLlamaCpp; llama: { createGrammarForJsonSchema(schema: object): Promise<LlamaGrammar> } }>;
  readonly acquire: (request: { model: ResolvedModel; order: number; onWaiting: (state: WaitingState) => void; signal: AbortSignal }) => Promise<Slot>;
  readonly submit: (generation: Generation) => Promise<JobTicket>;
  readonly logger: Logger;
}

const STOP_REASONS: Readonly<Record<Exclude<RunStop, 'aborted'>, StopReason>> = {
  'end-of-sequence': StopReason.END_OF_SEQUENCE,
  'max-tokens': StopReason.MAX_TOKENS,
  'stop-string': StopReason.STOP_STRING,
};

const END_REASONS: Readonly<Record<EndCause['kind'], StopReason>> = {
  cancelled: StopReason.CANCELLED,
  deadline: StopReason.DEADLINE,
  unloaded: StopReason.UNLOADED,
};

export class Generation {
  phase: Phase = 'admission';
  private ended: EndCause | undefined;
  private readonly endController = new AbortController();
  private pauseController: AbortController | undefined;
  private pauseReason = '';
  private resumeWaiter: (() => void) | undefined;
  private admittedWaiter: (() => void) | undefined;
  private admitted = false;
  private ticket: JobTicket | undefined;
  private deltaSequence = 0;
  private lastWaiting = '';
  private text = '';
  private completionTokens = 0;
  private runTokens = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly id: string,
    readonly requester: string,
    readonly spec: GenerationSpec,
    readonly model: ResolvedModel,
    /** Its place in line (kept across pauses). */
    readonly order: number,
    private readonly stream: ResponseStream<typeof GenerateDeltaSchema>,
    private readonly deps: GenerationDeps,
    private readonly receivedAt: number,
  ) {}

  /** Ends the generation now (it still answers with its text so far). */
  end(cause: EndCause): void {
    if (this.ended) return;
    this.ended = cause;
    this.endController.abort(cause);
    this.admittedWaiter?.();
    this.resumeWaiter?.();
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
    this.admittedWaiter?.();
  }

  pause(reason: string): void {
    if (this.ended) return;
    this.deps.logger.info({ generation: this.id, reason }, 'Generation paused on the monitor’s advice');
    this.pauseReason = reason;
    this.pauseController?.abort(new Error('paused'));
    if (this.phase !== 'running') this.sendWaiting({ stage: 'paused', position: 0, reason });
  }

  resume(): void {
    this.resumeWaiter?.();
  }

  /** Runs it to the end; throws only for refusals (bad input, a model that fails to load, a prompt too long, not admitted). */
  async run(): Promise<GenerateResultInit> {
    const signal = this.endController.signal;
    const onStreamAbort = (): void => this.end(streamEnd(this.stream.signal.reason));
    if (this.stream.signal.aborted) onStreamAbort();
    else this.stream.signal.addEventListener('abort', onStreamAbort, { once: true });
    let startedAt: number | undefined;
    let firstTextAt: number | undefined;
    let decodeMs = 0;
    let promptTokens: number | undefined;
    let grammar: LlamaGrammar | undefined;
    let stop: StopReason | undefined;
    try {
      this.ticket = await this.deps.submit(this);
      if (!this.admitted && !this.ended) await new Promise<void>((resolve) => (this.admittedWaiter = resolve));
      this.admittedWaiter = undefined;
      const { api, llama } = await this.deps.api();
      if (this.spec.jsonSchema) grammar = await jsonGrammar(llama, this.spec.jsonSchema);
      while (!this.ended && stop === undefined) {
        if (this.ticket.pauseAdvised) {
          this.phase = 'paused';
          // A run stopped by the pause: the requester hears why the text stopped.
          this.sendWaiting({ stage: 'paused', position: 0, reason: this.pauseReason });
          await new Promise<void>((resolve) => {
            this.resumeWaiter = resolve;
            if (!this.ticket!.pauseAdvised || this.ended) resolve();
          });
          this.resumeWaiter = undefined;
          continue;
        }
        this.phase = 'queued';
        let slot: Slot;
        try {
          slot = await this.deps.acquire({ model: this.model, order: this.order, onWaiting: (state) => this.sendWaiting(state), signal });
        } catch (error) {
          if (this.ended) break;
          throw error;
        }
        try {
          if (this.ended || this.ticket.pauseAdvised) continue;
          if (promptTokens === undefined) {
            promptTokens = countPromptTokens(api, slot.resident.llamaModel, this.spec.input);
            assertFits(promptTokens, slot.resident.contextSize, this.model.name);
          }
          const room = slot.resident.contextSize - countPromptTokens(api, slot.resident.llamaModel, this.spec.input, this.text);
          const maxTokens = Math.min(this.spec.maxTokens - this.completionTokens, room);
          if (maxTokens <= 0) {
            stop = StopReason.MAX_TOKENS;
            break;
          }
          this.phase = 'running';
          this.pauseController = new AbortController();
          const runStop = AbortSignal.any([signal, slot.evicted, this.pauseController.signal]);
          const runStarted = performance.now();
          startedAt ??= runStarted;
          this.runTokens = 0;
          // What this run streamed. Once the generation has ended, text the engine still writes before it stops is
          // neither sent nor kept (a stream the requester stopped takes no more deltas), and a run that was stopped
          // keeps what it streamed (not text the engine held back): the result is always the deltas joined, and a
          // paused generation resumes from exactly what its requester has.
          const streamed = { text: '', tokens: 0 };
          const outcome = await runGeneration({
            api,
            resident: slot.resident,
            spec: this.spec,
            continuation: this.text,
            maxTokens,
            grammar,
            stop: runStop,
            onText: (text, tokens) => {
              if (this.ended) return;
              streamed.text += text;
              streamed.tokens = tokens;
              this.sendText(text, tokens);
            },
          });
          const kept = this.ended || outcome.stop === 'aborted' ? streamed : { text: outcome.text, tokens: outcome.completionTokens };
          this.text += kept.text;
          this.completionTokens += kept.tokens;
          firstTextAt ??= outcome.firstTextAt;
          if (outcome.firstTextAt !== undefined) decodeMs += performance.now() - outcome.firstTextAt;
          if (outcome.stop !== 'aborted') stop = STOP_REASONS[outcome.stop];
          else if (slot.evicted.aborted && !this.ended) this.end({ kind: 'unloaded', reason: String((slot.evicted.reason as Error)?.message ?? 'the model was unloaded') });
        } finally {
          this.pauseController = undefined;
          slot.release();
        }
      }
      const stopReason = stop ?? END_REASONS[this.ended!.kind];
      const endedAt = performance.now();
      // The monitor's bookkeeping does not hold the reply: a monitor that is slow or gone would keep a finished
      // answer from its requester (past its deadline) for as long as the job request may take.
      void this.ticket.complete(true);
      this.phase = 'ended';
      this.deps.logger.info({ generation: this.id, model: this.model.name, stop: StopReason[stopReason], completionTokens: this.completionTokens, ...(this.ended ? { why: this.ended.reason } : {}) }, 'Generation ended');
      return {
        text: this.text,
        stopReason,
        model: this.model.name,
        jobId: this.ticket.id,
        usage: this.usage(promptTokens ?? 0, startedAt, firstTextAt, endedAt, decodeMs),
      };
    } catch (error) {
      this.phase = 'ended';
      void this.ticket?.complete(false, (error as Error).message);
      throw error;
    } finally {
      this.stream.signal.removeEventListener('abort', onStreamAbort);
      for (const timer of this.timers) clearTimeout(timer);
    }
  }

  private usage(promptTokens: number, startedAt: number | undefined, firstTextAt: number | undefined, endedAt: number, decodeMs: number): UsageInit {
    const started = startedAt ?? endedAt;
    // The decode rate: tokens after the first one, over the time after the first one (what a reader sees stream).
    const rate = this.completionTokens > 1 && decodeMs > 0 ? ((this.completionTokens - 1) * 1000) / decodeMs : 0;
    return {
      promptTokens,
      completionTokens: this.completionTokens,
      queuedMs: Math.round(started - this.receivedAt),
      timeToFirstTokenMs: firstTextAt !== undefined ? Math.round(firstTextAt - started) : 0,
      generationMs: Math.round(endedAt - started),
      tokensPerSecond: Math.round(rate * 10) / 10,
    };
  }

  private sendText(text: string, runTokens: number): void {
    this.runTokens = runTokens;
    this.send({ kind: { case: 'text', value: text }, completionTokens: this.completionTokens + runTokens });
  }

  private sendWaiting(state: { stage: string; position: number; reason: string }): void {
    if (this.ended || this.phase === 'running') return;
    const key = `${state.stage}|${state.position}|${state.reason}`;
    if (key === this.lastWaiting) return;
    this.lastWaiting = key;
    this.send({ kind: { case: 'waiting', value: state }, completionTokens: this.completionTokens });
  }

  private send(delta: DeltaBody): void {
    if (delta.kind.case === 'text') this.lastWaiting = '';
    this.stream.send({ ...delta, sequence: BigInt(++this.deltaSequence) }).catch((error: unknown) => this.deps.logger.debug({ generation: this.id, err: error }, 'A delta was not sent'));
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

async function jsonGrammar(llama: { createGrammarForJsonSchema(schema: object): Promise<LlamaGrammar> }, schema: Readonly<Record<string, unknown>>): Promise<LlamaGrammar> {
  try {
    return await llama.createGrammarForJsonSchema(schema);
  } catch (error) {
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `json_schema cannot be followed: ${(error as Error).message}`, { field: 'json_schema' });
  }
}
