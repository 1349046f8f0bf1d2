// Texts to vectors with the resident model (the one in use for embeddings): an embedding context per request,
// freed after it, sized for the request's longest text (not the model's whole context: that would take the memory of
// a second full context, which the fit check never counted, for a few short texts).
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { ResidentModel } from '../engine/llama-engine';

export const MAX_EMBED_TEXTS = 256;

export interface EmbedOutcome {
  readonly vectors: readonly (readonly number[])[];
  readonly dimensions: number;
}

export function checkEmbedTexts(texts: readonly string[]): void {
  if (texts.length === 0) throw new ModelsError(ModelsErrorCode.InvalidArgument, 'Give at least one text to embed.', { field: 'texts' });
  if (texts.length > MAX_EMBED_TEXTS)
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `At most ${MAX_EMBED_TEXTS} texts per request, not ${texts.length}; send them in parts.`, {
      field: 'texts',
    });
}

/**
 * Tokens node-llama-cpp adds to a text it embeds (a beginning token, and an end token for some vocabularies): counted
 * as two, so a text the check lets through never fails in the engine with its generic "Input is longer" error.
 */
export const EMBED_SPECIAL_TOKENS = 2;
/** Embedding contexts are made in steps of this many tokens. */
const CONTEXT_STEP = 64;

export async function embedTexts(resident: ResidentModel, texts: readonly string[], signal: AbortSignal): Promise<EmbedOutcome> {
  const model = resident.llamaModel;
  let longest = 0;
  for (const [index, text] of texts.entries()) {
    const tokens = model.tokenize(text).length + EMBED_SPECIAL_TOKENS;
    if (tokens >= resident.contextSize) {
      throw new ModelsError(
        ModelsErrorCode.PromptTooLong,
        `texts[${index}] is ${tokens - EMBED_SPECIAL_TOKENS} tokens; model "${resident.model.name}" embeds at most ${resident.contextSize - 1 - EMBED_SPECIAL_TOKENS} at once. Split the text.`,
        {
          field: `texts[${index}]`,
          promptTokens: String(tokens - EMBED_SPECIAL_TOKENS),
          contextSize: String(resident.contextSize),
        },
      );
    }
    longest = Math.max(longest, tokens);
  }
  // Room for the longest text and one more token, evaluated in one batch.
  const contextSize = Math.min(resident.contextSize, Math.ceil((longest + 1) / CONTEXT_STEP) * CONTEXT_STEP);
  const context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, threads: resident.threads, createSignal: signal });
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
