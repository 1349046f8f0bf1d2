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
import type { ResponseStream } from '@aico/bus';
import { StopReason, type GenerateDeltaSchema, type UsageSchema } from '@aico/contracts';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Logger } from '@aico/logging';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { ResolvedModel } from '../engine/model-resolver';
import type { LlamaGrammar, NodeLlamaCpp } from '../node-llama-cpp';
import type { JobTicket } from '../admission/monitor-jobs';
import type { Slot, WaitingState } from './model-scheduler';
import type { GenerationSpec } from './generation-spec';
import { runGeneration, type RunStop } from './generation-runner';
import { END_REASONS, GenerationControl, type GenerateResultInit } from './generation-control';
import type { PromptLogEntry } from './prompt-log';
import { assertFits, countPromptTokens, renderPrompt } from './prompt-tokens';

export type { EndCause, GenerateResultInit, Phase } from './generation-control';
type UsageInit = MessageInitShape<typeof UsageSchema>;

/** What a generation needs from the service around it. */
export interface GenerationDeps {
  readonly api: () => Promise<{ api: NodeLlamaCpp; llama: { createGrammarForJsonSchema(schema: object): Promise<LlamaGrammar> } }>;
  readonly acquire: (request: { model: ResolvedModel; order: number; onWaiting: (state: WaitingState) => void; signal: AbortSignal }) => Promise<Slot>;
  readonly submit: (generation: Generation) => Promise<JobTicket>;
  readonly logger: Logger;
  /** `models.promptLogFile`: told the rendered prompt once, before the first run (unset: nothing is rendered). */
  readonly promptLog?: ((entry: PromptLogEntry) => void) | undefined;
}

const STOP_REASONS: Readonly<Record<Exclude<RunStop, 'aborted'>, StopReason>> = {
  'end-of-sequence': StopReason.END_OF_SEQUENCE,
  'max-tokens': StopReason.MAX_TOKENS,
  'stop-string': StopReason.STOP_STRING,
};

export class Generation extends GenerationControl {
  private pauseController: AbortController | undefined;
  /** The prompt's tokens, counted on the first run. */
  private promptTokens: number | undefined;
  /** When the first run started and the first text came, and the time spent writing after it (for the usage). */
  private readonly timing: { startedAt?: number; firstTextAt?: number | undefined; decodeMs: number } = { decodeMs: 0 };

  constructor(
    id: string,
    requester: string,
    spec: GenerationSpec,
    readonly model: ResolvedModel,
    /** Its place in line (kept across pauses). */
    readonly order: number,
    stream: ResponseStream<typeof GenerateDeltaSchema>,
    private readonly deps: GenerationDeps,
    receivedAt: number,
  ) {
    super(id, requester, spec, stream, deps.logger, receivedAt);
  }

  protected stopRun(): void {
    this.pauseController?.abort(new Error('paused'));
  }

  /** Runs it to the end; throws only for refusals (bad input, a model that fails to load, a prompt too long, not admitted). */
  async run(): Promise<GenerateResultInit> {
    const unfollowStream = this.followStream();
    try {
      this.ticket = await this.deps.submit(this);
      await this.until(() => this.admitted);
      const { api, llama } = await this.deps.api();
      const grammar = this.spec.jsonSchema ? await jsonGrammar(llama, this.spec.jsonSchema) : undefined;
      let stop: StopReason | undefined;
      while (!this.ended && stop === undefined) {
        if (this.ticket.pauseAdvised) {
          await this.waitWhilePaused();
          continue;
        }
        const slot = await this.acquireSlot();
        if (!slot) break;
        try {
          stop = await this.runOnSlot(slot, api, grammar);
        } finally {
          this.pauseController = undefined;
          slot.release();
        }
      }
      return this.finish(stop ?? END_REASONS[this.ended!.kind], this.ticket);
    } catch (error) {
      this.phase = 'ended';
      void this.ticket?.complete(false, (error as Error).message);
      throw error;
    } finally {
      unfollowStream();
    }
  }

  /** Queues for a slot on the model (loading it when needed); none when the generation ended while it waited. */
  private async acquireSlot(): Promise<Slot | undefined> {
    this.phase = 'queued';
    try {
      return await this.deps.acquire({
        model: this.model,
        order: this.order,
        onWaiting: (state) => this.sendWaiting(state),
        signal: this.endController.signal,
      });
    } catch (error) {
      if (this.ended) return undefined;
      throw error;
    }
  }

  /** The tokens a run may still write: the rest of max_tokens, or the room the context has left after the prompt. */
  private tokensLeft(api: NodeLlamaCpp, slot: Slot): number {
    if (this.promptTokens === undefined) {
      this.promptTokens = countPromptTokens(api, slot.resident.llamaModel, this.spec.input);
      this.deps.promptLog?.({
        generation: this.id,
        requester: this.requester,
        model: this.model.name,
        prompt: renderPrompt(api, slot.resident.llamaModel, this.spec.input),
      });
      assertFits(this.promptTokens, slot.resident.contextSize, this.model.name);
    }
    // The prompt as the engine reads it now: counted above on the first run, with the text so far on a resumed one.
    const reading = this.text === '' ? this.promptTokens : countPromptTokens(api, slot.resident.llamaModel, this.spec.input, this.text);
    return Math.min(this.spec.maxTokens - this.completionTokens, slot.resident.contextSize - reading);
  }

  /**
   * One run on a slot, until the model stops or the run is stopped (the end, a pause, the model leaving memory).
   * Answers the model's stop reason, or none when the run was stopped.
   */
  private async runOnSlot(slot: Slot, api: NodeLlamaCpp, grammar: LlamaGrammar | undefined): Promise<StopReason | undefined> {
    if (this.ended || this.ticket!.pauseAdvised) return undefined;
    const maxTokens = this.tokensLeft(api, slot);
    if (maxTokens <= 0) return StopReason.MAX_TOKENS;
    this.phase = 'running';
    this.pauseController = new AbortController();
    const runStop = AbortSignal.any([this.endController.signal, slot.evicted, this.pauseController.signal]);
    this.timing.startedAt ??= performance.now();
    // What this run streamed. Once the generation has ended, text the engine still writes before it stops is
    // neither sent nor kept (a stream the requester stopped takes no more deltas), and a run that was stopped
    // keeps what it streamed (not text the engine held back): the result is always the deltas joined, and a
    // paused generation resumes from exactly what its requester has.
    const streamed = { text: '', tokens: 0 };
    const onText = (text: string, tokens: number) => {
      if (this.ended) return;
      streamed.text += text;
      streamed.tokens = tokens;
      this.sendText(text, this.completionTokens + tokens);
    };
    const outcome = await runGeneration({ api, resident: slot.resident, spec: this.spec, continuation: this.text, maxTokens, grammar, stop: runStop, onText });
    const kept = this.ended || outcome.stop === 'aborted' ? streamed : { text: outcome.text, tokens: outcome.completionTokens };
    this.text += kept.text;
    this.completionTokens += kept.tokens;
    this.timing.firstTextAt ??= outcome.firstTextAt;
    if (outcome.firstTextAt !== undefined) this.timing.decodeMs += performance.now() - outcome.firstTextAt;
    if (outcome.stop !== 'aborted') return STOP_REASONS[outcome.stop];
    if (slot.evicted.aborted && !this.ended)
      this.end({ kind: 'unloaded', reason: String((slot.evicted.reason as Error)?.message ?? 'the model was unloaded') });
    return undefined;
  }

  /** The result, once the model or something else ended it; the job is completed without waiting for the monitor. */
  private finish(stopReason: StopReason, ticket: JobTicket): GenerateResultInit {
    const endedAt = performance.now();
    // The monitor's bookkeeping does not hold the reply: a monitor that is slow or gone would keep a finished
    // answer from its requester (past its deadline) for as long as the job request may take.
    void ticket.complete(true);
    this.phase = 'ended';
    this.logger.info(
      {
        generation: this.id,
        model: this.model.name,
        stop: StopReason[stopReason],
        completionTokens: this.completionTokens,
        ...(this.ended ? { why: this.ended.reason } : {}),
      },
      'Generation ended',
    );
    return { text: this.text, stopReason, model: this.model.name, jobId: ticket.id, usage: this.usage(endedAt) };
  }

  private usage(endedAt: number): UsageInit {
    const { startedAt, firstTextAt, decodeMs } = this.timing;
    const started = startedAt ?? endedAt;
    // The decode rate: tokens after the first one, over the time after the first one (what a reader sees stream).
    const rate = this.completionTokens > 1 && decodeMs > 0 ? ((this.completionTokens - 1) * 1000) / decodeMs : 0;
    return {
      promptTokens: this.promptTokens ?? 0,
      completionTokens: this.completionTokens,
      queuedMs: Math.round(started - this.receivedAt),
      timeToFirstTokenMs: firstTextAt !== undefined ? Math.round(firstTextAt - started) : 0,
      generationMs: Math.round(endedAt - started),
      tokensPerSecond: Math.round(rate * 10) / 10,
    };
  }
}

async function jsonGrammar(
  llama: { createGrammarForJsonSchema(schema: object): Promise<LlamaGrammar> },
  schema: Readonly<Record<string, unknown>>,
): Promise<LlamaGrammar> {
  try {
    return await llama.createGrammarForJsonSchema(schema);
  } catch (error) {
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `json_schema cannot be followed: ${(error as Error).message}`, { field: 'json_schema' });
  }
}
