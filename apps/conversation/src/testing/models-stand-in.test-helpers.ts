// At the edge of the conversation contract tests: the models service's generate and token-count topics answered by
// a client with the models identity. Each generation is scripted by the test: it records the request, then writes
// the pieces the test gives (one delta each) and ends when told, or when the requester stops it (cancelled, with the
// text so far), like the real service. The real engine runs in the e2e tests.
import type { BusClient, ResponseStream } from '@aico/bus';
import {
  ModelsErrorCode,
  ModelsTopics,
  PublicError,
  StopReason,
  type GenerateDeltaSchema,
  type GenerateRequest,
  type GenerateResultSchema,
} from '@aico/contracts';
import type { MessageInitShape } from '@bufbuild/protobuf';

class ModelsRefusal extends PublicError {}

export class ScriptedGeneration {
  text = '';
  private readonly pieces: string[] = [];
  private wake: (() => void) | undefined;
  private ending: { stopReason: StopReason } | { error: PublicError } | undefined;

  constructor(
    readonly request: GenerateRequest,
    readonly correlationId: string,
  ) {}

  /** The model writes these, one delta each. */
  write(...pieces: string[]): void {
    this.pieces.push(...pieces);
    this.wake?.();
  }

  end(stopReason: StopReason = StopReason.END_OF_SEQUENCE): void {
    this.ending = { stopReason };
    this.wake?.();
  }

  fail(code: string, message: string): void {
    this.ending = { error: new ModelsRefusal(code, message) };
    this.wake?.();
  }

  async run(stream: ResponseStream<typeof GenerateDeltaSchema>): Promise<MessageInitShape<typeof GenerateResultSchema>> {
    await stream.send({ kind: { case: 'waiting', value: { stage: 'queued', position: 1, reason: 'the test holds it' } } });
    for (;;) {
      while (this.pieces.length > 0 && !stream.signal.aborted) {
        const piece = this.pieces.shift()!;
        this.text += piece;
        await stream.send({ kind: { case: 'text', value: piece } });
      }
      if (stream.signal.aborted) return this.result(StopReason.CANCELLED);
      if (this.ending && 'error' in this.ending) throw this.ending.error;
      if (this.ending) return this.result(this.ending.stopReason);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        stream.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  private result(stopReason: StopReason): MessageInitShape<typeof GenerateResultSchema> {
    return { text: this.text, stopReason, model: 'scripted', usage: { promptTokens: 10, completionTokens: this.text.length } };
  }
}

export class ModelsStandIn {
  readonly generations: ScriptedGeneration[] = [];
  readonly counted: GenerateRequest['input'][] = [];
  /** Generation ids models.text.cancel named, in order. */
  readonly cancelled: string[] = [];
  /** The context size token counts report; a token is a character here. */
  contextSize = 4096;
  /** Set: every request is refused with this (e.g. no model installed). */
  refusal: { code: string; message: string } | undefined;
  /** Set: token counts answer this late (a tokenizer loading on a busy machine). */
  countDelayMs = 0;
  private waiters: ((generation: ScriptedGeneration) => void)[] = [];

  constructor(client: BusClient) {
    client.handle(ModelsTopics.tokensCount, async ({ payload }) => {
      if (this.countDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.countDelayMs).unref());
      if (this.refusal) throw new ModelsRefusal(this.refusal.code, this.refusal.message);
      const tokens =
        payload.input.case === 'chat'
          ? payload.input.value.messages.reduce((sum, message) => sum + message.content.length + 4, 0)
          : (payload.input.value ?? '').length;
      return { tokens, contextSize: this.contextSize, model: 'scripted' };
    });
    client.handle(ModelsTopics.generateCancel, ({ payload }) => {
      this.cancelled.push(payload.generationId);
      return { found: this.generations.some((generation) => generation.correlationId === payload.generationId) };
    });
    client.handleStream(ModelsTopics.generate, (message, stream) => {
      if (this.refusal) throw new ModelsRefusal(this.refusal.code, this.refusal.message);
      const generation = new ScriptedGeneration(message.payload, message.correlationId);
      this.generations.push(generation);
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter(generation);
      return generation.run(stream);
    });
  }

  /** The next generation asked for (or the latest, if it was asked for after `seen` generations). */
  next(seen = this.generations.length): Promise<ScriptedGeneration> {
    if (this.generations.length > seen) return Promise.resolve(this.generations[seen]!);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export const NO_MODEL = { code: ModelsErrorCode.NoModel, message: 'No model is in use for chat.' };
