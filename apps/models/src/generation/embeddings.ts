// Texts to vectors with the resident model (the one in use for embeddings): an embedding context per request,
// freed after it (it is small next to the model, and embedding requests are rare next to generations).
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { ResidentModel } from '../engine/llama-engine';

export const MAX_EMBED_TEXTS = 256;

export interface EmbedOutcome {
  readonly vectors: readonly (readonly number[])[];
  readonly dimensions: number;
}

export function checkEmbedTexts(texts: readonly string[]): void {
  if (texts.length === 0) throw new ModelsError(ModelsErrorCode.InvalidArgument, 'Give at least one text to embed.', { field: 'texts' });
  if (texts.length > MAX_EMBED_TEXTS) throw new ModelsError(ModelsErrorCode.InvalidArgument, `At most ${MAX_EMBED_TEXTS} texts per request, not ${texts.length}; send them in parts.`, { field: 'texts' });
}

export async function embedTexts(resident: ResidentModel, texts: readonly string[], signal: AbortSignal): Promise<EmbedOutcome> {
  const model = resident.llamaModel;
  for (const [index, text] of texts.entries()) {
    const tokens = model.tokenize(text).length;
    if (tokens >= resident.contextSize) {
      throw new ModelsError(ModelsErrorCode.PromptTooLong, `texts[${index}] is ${tokens} tokens; model "${resident.model.name}" embeds at most ${resident.contextSize - 1} at once. Split the text.`, {
        field: `texts[${index}]`,
        promptTokens: String(tokens),
        contextSize: String(resident.contextSize),
      });
    }
  }
  const context = await model.createEmbeddingContext({ contextSize: resident.contextSize, threads: resident.threads, createSignal: signal });
  try {
    const vectors: number[][] = [];
    for (const text of texts) {
      if (signal.aborted) throw signal.reason;
      vectors.push([...(await context.getEmbeddingFor(text)).vector]);
    }
    return { vectors, dimensions: vectors[0]?.length ?? model.embeddingVectorSize };
  } finally {
    await context.dispose();
  }
}
