// An embedding request gets a context sized for its longest text, not the model's whole context (which would take
// the memory of a second full context the fit check never counted), and a text refused by node-llama-cpp's own
// length rule (it adds a beginning token, sometimes an end token) is refused before, as PROMPT_TOO_LONG. The model
// is faked at the edge: what matters is what the service asks of it.
import { ModelsErrorCode } from '@aico/contracts';
import type { ResidentModel } from '../engine/llama-engine';
import { embedTexts } from './embeddings';

/** A beginning and an end token, which node-llama-cpp may add to a text it embeds. */
const EMBED_SPECIAL_TOKENS = 2;

function fakeResident(contextSize: number) {
  const created: { contextSize: number; batchSize?: number }[] = [];
  const llamaModel = {
    embeddingVectorSize: 4,
    // One token per character.
    tokenize: (text: string) => [...text].map((_, index) => index),
    createEmbeddingContext: async (options: { contextSize: number; batchSize?: number }) => {
      created.push(options);
      return {
        getEmbeddingFor: async (text: string) => {
          // node-llama-cpp's rule: the text plus its beginning token must be shorter than the context.
          if (text.length + 1 >= options.contextSize) throw new Error('Input is longer than the usable context size.');
          return { vector: [text.length, 1, 2, 3] };
        },
        dispose: async () => undefined,
      };
    },
  };
  const resident = { model: { name: 'fake' }, llamaModel, contextSize, threads: 1 } as unknown as ResidentModel;
  return { resident, created };
}

describe('embedTexts', () => {
  it('makes a context for the longest text, not the model’s whole context', async () => {
    const { resident, created } = fakeResident(8192);
    const outcome = await embedTexts(resident, ['abc', 'abcdefgh'], new AbortController().signal);
    expect(outcome).toEqual({
      vectors: [
        [3, 1, 2, 3],
        [8, 1, 2, 3],
      ],
      dimensions: 4,
    });
    expect(created).toEqual([expect.objectContaining({ contextSize: 64, batchSize: 64 })]);

    const long = 'x'.repeat(500);
    await embedTexts(resident, [long], new AbortController().signal);
    expect(created[1]).toMatchObject({ contextSize: 512, batchSize: 512 });
  });

  it('never asks for more than the model’s context', async () => {
    const { resident, created } = fakeResident(100);
    await embedTexts(resident, ['y'.repeat(90)], new AbortController().signal);
    expect(created).toEqual([expect.objectContaining({ contextSize: 100 })]);
  });

  it('refuses a text the engine could not take as PROMPT_TOO_LONG, before making a context', async () => {
    const { resident, created } = fakeResident(1024);
    const tooLong = 'z'.repeat(1024 - EMBED_SPECIAL_TOKENS);
    await expect(embedTexts(resident, ['fine', tooLong], new AbortController().signal)).rejects.toMatchObject({
      code: ModelsErrorCode.PromptTooLong,
      message: `texts[1] is ${tooLong.length} tokens; model "fake" embeds at most ${1024 - 1 - EMBED_SPECIAL_TOKENS} at once. Split the text.`,
    });
    expect(created).toEqual([]);
    // The longest text allowed goes through the engine.
    await expect(embedTexts(resident, ['z'.repeat(1024 - 1 - EMBED_SPECIAL_TOKENS)], new AbortController().signal)).resolves.toMatchObject({ dimensions: 4 });
  });
});
