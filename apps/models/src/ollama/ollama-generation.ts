// One generation on an Ollama server, with the same life as a llama.cpp one (generation/generation.ts): admitted as
// a monitor job first, then streamed to the requester as numbered text deltas, ending with a stop reason, its text
// so far and usage from Ollama's last chunk. Whatever ends it early — cancel, the requester going away, its deadline,
// a pause advice, resources turning critical — aborts the HTTP request, so Ollama sees the connection close and
// stops generating. A paused generation continues when the hold ends from the prompt plus the text it wrote (raw: as
// one prompt; chat: as the assistant's message so far, which Ollama continues).
import type { ResponseStream } from '@aico/bus';
import { StopReason, type GenerateDeltaSchema } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { ChatResponse, GenerateResponse, Options } from 'ollama';
import type { JobTicket } from '../admission/monitor-jobs';
import { END_REASONS, GenerationControl, type GenerateResultInit } from '../generation/generation-control';
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

/** What the runs of one generation (one per pause) add up to, for its usage. */
interface RunStats {
  readonly startedAt: number | undefined;
  readonly firstTextAt: number | undefined;
  readonly promptTokens: number | undefined;
  readonly evalNs: number;
  readonly evalCount: number;
}

export class OllamaGeneration extends GenerationControl {
  private runController: AbortController | undefined;

  constructor(
    id: string,
    requester: string,
    spec: GenerationSpec,
    readonly model: string,
    stream: ResponseStream<typeof GenerateDeltaSchema>,
    private readonly deps: OllamaGenerationDeps,
    receivedAt: number,
  ) {
    super(id, requester, spec, stream, deps.logger, receivedAt);
  }

  protected stopRun(): void {
    this.runController?.abort(new Error('paused'));
  }

  /** Resources turned critical: a running request stops now (ends UNLOADED); waiting ones wait for recovery. */
  evict(reason: string): void {
    if (this.phase === 'running') this.end({ kind: 'unloaded', reason: `resources are critical: ${reason}` });
  }

  async run(): Promise<GenerateResultInit> {
    const unfollowStream = this.followStream();
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
          await this.waitWhilePaused();
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
            this.sendText(chunk, this.completionTokens + runTokens);
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
      return this.finish(stop ?? END_REASONS[this.ended!.kind], { startedAt, firstTextAt, promptTokens, evalNs, evalCount });
    } catch (error) {
      this.phase = 'ended';
      void this.ticket?.complete(false, (error as Error).message);
      throw error;
    } finally {
      unfollowStream();
    }
  }

  /** The generation ended (its ticket completed, logged) and what it answers: its text, why it stopped, usage. */
  private finish(stopReason: StopReason, stats: RunStats): GenerateResultInit {
    const endedAt = performance.now();
    void this.ticket!.complete(true);
    this.phase = 'ended';
    this.logger.info(
      {
        generation: this.id,
        model: this.model,
        stop: StopReason[stopReason],
        completionTokens: this.completionTokens,
        ...(this.ended ? { why: this.ended.reason } : {}),
      },
      'Generation ended (Ollama)',
    );
    const started = stats.startedAt ?? endedAt;
    return {
      text: this.text,
      stopReason,
      model: this.model,
      jobId: this.ticket!.id,
      usage: {
        promptTokens: stats.promptTokens ?? 0,
        completionTokens: this.completionTokens,
        queuedMs: Math.round(started - this.receivedAt),
        timeToFirstTokenMs: stats.firstTextAt !== undefined ? Math.round(stats.firstTextAt - started) : 0,
        generationMs: Math.round(endedAt - started),
        // Ollama's own decode rate (eval_count over eval_duration, in nanoseconds).
        tokensPerSecond: stats.evalNs > 0 ? Math.round((stats.evalCount * 1e10) / stats.evalNs) / 10 : 0,
      },
    };
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
    const common = {
      model: this.model,
      stream: true as const,
      keep_alive: this.deps.keepAlive(),
      options,
      ...(spec.jsonSchema ? { format: spec.jsonSchema } : {}),
    };
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
}
