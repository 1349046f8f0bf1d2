// The memory job's requests to the models service: background class and purpose (the monitor holds them while the
// user is active or on battery), the JSON schema, greedy, the user named; embeddings as plain vectors.
import { JobClass, ModelPurpose, ModelsTopics } from '@aico/contracts';
import type { BusClient } from '@aico/bus';
import { BusMemoryModels } from './memory-models';

describe('BusMemoryModels', () => {
  it('asks for a background, schema-constrained, greedy generation', async () => {
    const requestStream = jest.fn().mockResolvedValue({ text: '{"summary":"","facts":[]}' });
    const models = new BusMemoryModels({ requestStream } as unknown as BusClient);
    const signal = new AbortController().signal;
    const schema = { type: 'object' };
    expect(
      await models.generate({ chat: [{ role: 'user', content: 'hi' }], jsonSchema: schema, maxTokens: 64, userId: 'ada', timeoutMs: 60_000, signal }),
    ).toBe('{"summary":"","facts":[]}');
    expect(requestStream).toHaveBeenCalledWith(
      ModelsTopics.generate,
      expect.objectContaining({
        input: { case: 'chat', value: { messages: [{ role: 'user', content: 'hi' }] } },
        jobClass: JobClass.BACKGROUND,
        purpose: ModelPurpose.BACKGROUND,
        jsonSchema: JSON.stringify(schema),
        maxTokens: 64,
        temperature: 0,
        userId: 'ada',
      }),
      { timeoutMs: 60_000, signal },
    );
  });

  it('answers embeddings as number arrays in order', async () => {
    const request = jest.fn().mockResolvedValue({ embeddings: [{ values: [1, 2] }, { values: [3, 4] }] });
    const models = new BusMemoryModels({ request } as unknown as BusClient);
    expect(await models.embed(['a', 'b'], 500)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(request).toHaveBeenCalledWith(ModelsTopics.embed, { texts: ['a', 'b'] }, { timeoutMs: 500 });
  });
});
