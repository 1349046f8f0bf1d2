// One generation on an Ollama server, with the same life as a llama.cpp one (generation/generation.ts): admitted as
// a monitor job first, then streamed to the requester as numbered text deltas, ending with a stop reason, its text
// so far and usage from Ollama's last chunk. Whatever ends it early — cancel, the requester going away, its deadline,
// a pause advice, resources turning critical — aborts the HTTP request, so Ollama sees the connection close and
// stops generating. A paused generation continues when the hold ends from the prompt plus the text it wrote (raw: as
// one prompt; chat: as the assistant's message so far, which Ollama continues).
import { BusError, BusErrorCode, type ResponseStream } from '@aico/bus';
import { JOB_OPERATORS, StopReason, type GenerateDeltaSchema } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { ChatResponse, GenerateResponse, Options } from 'ollama';
import type { JobTicket } from '../admission/monitor-jobs';
import type { EndCause, GenerateResultInit, Phase } from '../generation/generation';
import type { GenerationSpec } from '../generation/generation-spec';
import { isAbort, type OllamaConnection } from './ollama-connection';

export interface OllamaGenerationDeps {
  readonly connection: OllamaConnection;
  readonly submit: (generation: OllamaGeneration) => Promise<JobTicket>;
  /** Resolves when resources are not critical (at once if they are not), or when `signal` aborts. */
  readonly resourcesOk: (signal: AbortSignal, onWaiting: (reason: string) => void) => Promise<void>;
  /** Ollama's keep_alive for the model (the service's keep-alive, shorter on battery). */
  readonly keepAlive: () => string;
  readonly logger: Logger;
}

type Final = Pick<GenerateResponse, 'done_reason' | 'prompt_eval_count' | 'eval_count' | 'eval_duration'>;

const END_REASONS: Readonly<Record<EndCause['kind'], StopReason>> = { cancelled: StopReason.CANCELLED, deadline: StopReason.DEADLINE, unloaded: StopReason.UNLOADED };

export class OllamaGeneration {
  phase: Phase = 'admission';
  private ended: EndCause | undefined;
  private readonly endController = new AbortController();
  private runController: AbortController | undefined;
  private waiter: (() => void) | undefined;
  private admitted = false;
  private pauseReason = '';
  private ticket: JobTicket | undefined;
  private deltaSequence = 0;
  private lastWaiting = '';
  private text = '';
  private completionTokens = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly id: string,
    readonly requester: string,
    readonly spec: GenerationSpec,
    readonly model: string,
    private readonly stream: ResponseStream<typeof GenerateDeltaSchema>,
    private readonly deps: OllamaGenerationDeps,
    private readonly receivedAt: number,
  ) {}

  end(cause: EndCause): void {
    if (this.ended) return;
    this.ended = cause;
    this.endController.abort(cause);
    this.waiter?.();
  }

  mayCancel(source: string): boolean {
    return source === this.requester || (JOB_OPERATORS as readonly string[]).includes(source);
  }

  /** As generation.ts: ends it `marginMs` before the deadline (halfway to a deadline nearer than twice that). */
  expireAt(deadlineMs: number | undefined, marginMs: number): void {
    if (deadlineMs === undefined) return;
    const left = Math.max(0, deadlineMs - Date.now());
    const timer = setTimeout(() => this.end({ kind: 'deadline', reason: 'the request deadline passed' }), left - Math.min(marginMs, left / 2));
    timer.unref();
    this.timers.push(timer);
  }

  /** Resources turned critical: a running request stops now (ends UNLOADED); waiting ones wait for recovery. */
  evict(reason: string): void {
    if (this.phase === 'running') this.end({ kind: 'unloaded', reason: `resources are critical: ${reason}` });
  }

  // ---- what the monitor says (JobListener) ----
  waiting(position: number, reason: string): void {
    this.sendWaiting(position === 0 ? { stage: 'paused', position: 0, reason } : { stage: 'admission', position, reason });
  }

  admittedNow(): void {
    this.admitted = true;
    this.waiter?.();
  }

  pause(reason: string): void {
    if (this.ended) return;
    this.pauseReason = reason;
    this.runController?.abort(new Error('paused'));
    if (this.phase !== 'running') this.sendWaiting({ stage: 'paused', position: 0, reason });
  }

  resume(): void {
    this.waiter?.();
  }

  async run(): Promise<GenerateResultInit> {
    const onStreamAbort = (): void => this.end(streamEnd(this.stream.signal.reason));
    if (this.stream.signal.aborted) onStreamAbort();
    else this.stream.signal.addEventListener('abort', onStreamAbort, { once: true });
    let startedAt: number | undefined;
    let firstTextAt: number | undefined;
    let promptTokens: number | undefined;
    let evalNs = 0;
    let evalCount = 0;
    let stop: StopReason | undefined;
    try {
      this.ticket = await this.deps.submit(this);
      await this.until(() => this.admitted);
      while (!this.ended && stop === undefined) {
        if (this.ticket.pauseAdvised) {
          this.phase = 'paused';
          this.sendWaiting({ stage: 'paused', position: 0, reason: this.pauseReason });
          await this.until(() => !this.ticket!.pauseAdvised);
          continue;
        }
        this.phase = 'queued';
        await this.deps.resourcesOk(this.endController.signal, (reason) => this.sendWaiting({ stage: 'admission', position: 1, reason }));
        if (this.ended || this.ticket.pauseAdvised) continue;
        this.phase = 'running';
        this.runController = new AbortController();
        const runStarted = performance.now();
        startedAt ??= runStarted;
        let runTokens = 0;
        try {
          const final = await this.runOnce(AbortSignal.any([this.endController.signal, this.runController.signal]), (chunk) => {
            if (this.ended || chunk === '') return;
            firstTextAt ??= performance.now();
            runTokens += 1;
            this.text += chunk;
            this.send({ kind: { case: 'text', value: chunk }, completionTokens: this.completionTokens + runTokens });
          });
          promptTokens ??= final.prompt_eval_count;
          evalNs += final.eval_duration ?? 0;
          evalCount += final.eval_count ?? 0;
          runTokens = final.eval_count ?? runTokens;
          stop = final.done_reason === 'length' ? StopReason.MAX_TOKENS : StopReason.END_OF_SEQUENCE;
        } catch (error) {
          if (!isAbort(error) && !this.ended && !this.runController.signal.aborted) throw this.deps.connection.failure(error, this.model);
        } finally {
          this.completionTokens += runTokens;
          this.runController = undefined;
        }
      }
      const stopReason = stop ?? END_REASONS[this.ended!.kind];
      const endedAt = performance.now();
      void this.ticket.complete(true);
      this.phase = 'ended';
      this.deps.logger.info({ generation: this.id, model: this.model, stop: StopReason[stopReason], completionTokens: this.completionTokens, ...(this.ended ? { why: this.ended.reason } : {}) }, 'Generation ended (Ollama)');
      const started = startedAt ?? endedAt;
      return {
        text: this.text,
        stopReason,
        model: this.model,
        jobId: this.ticket.id,
        usage: {
          promptTokens: promptTokens ?? 0,
          completionTokens: this.completionTokens,
          queuedMs: Math.round(started - this.receivedAt),
          timeToFirstTokenMs: firstTextAt !== undefined ? Math.round(firstTextAt - started) : 0,
          generationMs: Math.round(endedAt - started),
          // Ollama's own decode rate (eval_count over eval_duration, in nanoseconds).
          tokensPerSecond: evalNs > 0 ? Math.round((evalCount * 1e10) / evalNs) / 10 : 0,
        },
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

  /** One streamed request; resolves with Ollama's last chunk, rejects with an abort when `signal` ends it. */
  private async runOnce(signal: AbortSignal, onText: (text: string) => void): Promise<Final> {
    const spec = this.spec;
    const client = this.deps.connection.client(signal);
    const options: Partial<Options> = {
      num_predict: Math.max(1, spec.maxTokens - this.completionTokens),
      temperature: spec.temperature,
      ...(spec.topP !== undefined ? { top_p: spec.topP } : {}),
      ...(spec.topK !== undefined ? { top_k: spec.topK } : {}),
      ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
      ...(spec.stop.length > 0 ? { stop: [...spec.stop] } : {}),
    };
    const common = { model: this.model, stream: true as const, keep_alive: this.deps.keepAlive(), options, ...(spec.jsonSchema ? { format: spec.jsonSchema } : {}) };
    let final: Final | undefined;
    if (spec.input.kind === 'raw') {
      const parts = await client.generate({ ...common, prompt: spec.input.prompt + this.text, raw: true });
      for await (const part of parts) {
        onText(part.response);
        if (part.done) final = part;
      }
    } else {
      const messages = spec.input.messages.map((message) => ({ role: message.role, content: message.content }));
      if (this.text !== '') {
        const last = messages.at(-1)!;
        if (last.role === 'assistant') last.content += this.text;
        else messages.push({ role: 'assistant', content: this.text });
      }
      const parts = await client.chat({ ...common, messages });
      for await (const part of parts as AsyncIterable<ChatResponse>) {
        onText(part.message?.content ?? '');
        if (part.done) final = part;
      }
    }
    if (signal.aborted) throw signal.reason instanceof Error && isAbort(signal.reason) ? signal.reason : new DOMException('aborted', 'AbortError');
    if (!final) throw new Error('Ollama ended the stream without its last chunk');
    return final;
  }

  /** Waits until `ready()` holds or the generation ends (woken by admittedNow/resume/end). */
  private async until(ready: () => boolean): Promise<void> {
    while (!ready() && !this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = undefined;
  }

  private sendWaiting(state: { stage: string; position: number; reason: string }): void {
    if (this.ended || this.phase === 'running') return;
    const key = `${state.stage}|${state.position}|${state.reason}`;
    if (key === this.lastWaiting) return;
    this.lastWaiting = key;
    this.send({ kind: { case: 'waiting', value: state }, completionTokens: this.completionTokens });
  }

  private send(delta: { kind: { case: 'text'; value: string } | { case: 'waiting'; value: { stage: string; position: number; reason: string } }; completionTokens: number }): void {
    if (delta.kind.case === 'text') this.lastWaiting = '';
    this.stream.send({ ...delta, sequence: BigInt(++this.deltaSequence) }).catch((error: unknown) => this.deps.logger.debug({ generation: this.id, err: error }, 'A delta was not sent'));
  }
}

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
