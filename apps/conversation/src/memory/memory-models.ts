// What memory asks of the models service: one background generation constrained to a JSON schema (JOB_CLASS_BACKGROUND:
// the monitor holds it while the user is active or the machine is on battery, so it never competes with a reply),
// and embeddings to pick the facts relevant to a new message.
import type { BusClient } from '@aico/bus';
import { JobClass, ModelPurpose, ModelsTopics } from '@aico/contracts';

export interface MemoryGeneration {
  readonly chat: readonly { readonly role: string; readonly content: string }[];
  readonly jsonSchema: Record<string, unknown>;
  readonly maxTokens: number;
  readonly userId: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

export interface MemoryModels {
  /** The generated text (the JSON the schema allows). */
  generate(request: MemoryGeneration): Promise<string>;
  /** One vector per text, in order. */
  embed(texts: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<number[][]>;
}

export const MEMORY_MODELS = Symbol('MEMORY_MODELS');

export class BusMemoryModels implements MemoryModels {
  constructor(private readonly bus: BusClient) {}

  async generate(request: MemoryGeneration): Promise<string> {
    const result = await this.bus.requestStream(
      ModelsTopics.generate,
      {
        input: { case: 'chat', value: { messages: request.chat.map((message) => ({ role: message.role, content: message.content })) } },
        purpose: ModelPurpose.BACKGROUND,
        jobClass: JobClass.BACKGROUND,
        jsonSchema: JSON.stringify(request.jsonSchema),
        maxTokens: request.maxTokens,
        // Greedy: a memory is what the conversation said, not a sample of what it might have said.
        temperature: 0,
        userId: request.userId,
      },
      // A held background job streams nothing but keep-alives for as long as the monitor holds it: only the
      // overall timeout ends it.
      { timeoutMs: request.timeoutMs, signal: request.signal },
    );
    return result.text;
  }

  async embed(texts: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<number[][]> {
    const answer = await this.bus.request(ModelsTopics.embed, { texts: [...texts] }, { timeoutMs, ...(signal ? { signal } : {}) });
    return answer.embeddings.map((embedding) => [...embedding.values]);
  }
}
