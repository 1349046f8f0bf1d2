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
    const signal = this.endController.signal;
    const unfollowStream = this.followStream();
    let startedAt: number | undefined;
    let firstTextAt: number | undefined;
    let decodeMs = 0;
    let promptTokens: number | undefined;
    let grammar: LlamaGrammar | undefined;
    let stop: StopReason | undefined;
    try {
      this.ticket = await this.deps.submit(this);
      await this.until(() => this.admitted);
      const { api, llama } = await this.deps.api();
      if (this.spec.jsonSchema) grammar = await jsonGrammar(llama, this.spec.jsonSchema);
      while (!this.ended && stop === undefined) {
        if (this.ticket.pauseAdvised) {
          await this.waitWhilePaused();
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
            this.deps.promptLog?.({ generation: this.id, requester: this.requester, model: this.model.name, prompt: renderPrompt(api, slot.resident.llamaModel, this.spec.input) });
            assertFits(promptTokens, slot.resident.contextSize, this.model.name);
          }
          // The prompt as the engine reads it now: counted above on the first run, with the text so far on a resumed one.
          const reading = this.text === '' ? promptTokens : countPromptTokens(api, slot.resident.llamaModel, this.spec.input, this.text);
          const room = slot.resident.contextSize - reading;
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
              this.sendText(text, this.completionTokens + tokens);
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
      this.logger.info({ generation: this.id, model: this.model.name, stop: StopReason[stopReason], completionTokens: this.completionTokens, ...(this.ended ? { why: this.ended.reason } : {}) }, 'Generation ended');
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
      unfollowStream();
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
}

async function jsonGrammar(llama: { createGrammarForJsonSchema(schema: object): Promise<LlamaGrammar> }, schema: Readonly<Record<string, unknown>>): Promise<LlamaGrammar> {
  try {
    return await llama.createGrammarForJsonSchema(schema);
  } catch (error) {
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `json_schema cannot be followed: ${(error as Error).message}`, { field: 'json_schema' });
  }
}
