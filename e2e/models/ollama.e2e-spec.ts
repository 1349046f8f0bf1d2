// The built models app with models.backend: ollama, generating through the real bus (bus, storage, monitor as real
// processes) against a loopback server that speaks Ollama's documented NDJSON API — no real Ollama can be installed
// on this machine (docs/architecture.md §9), so this checks aico's side of the contract, not Ollama itself: the request goes
// through the monitor's admission, the deltas come in order and the result carries Ollama's usage; a cancel through
// the bus closes the HTTP request; an Ollama that is down is MODELS_BACKEND_UNAVAILABLE and the process stays up.
import { randomUUID } from 'node:crypto';
import { RemoteError } from '@aico/bus';
import { ModelsErrorCode, ModelsTopics, StopReason } from '@aico/contracts';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test tooling: the same fake Ollama server the unit spec uses
import { FakeOllamaServer } from '../../apps/models/src/ollama/testing/fake-ollama-server.test-helpers';
import { ModelsStack, raw, textDeltas } from './models-stack';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

jest.setTimeout(6 * SIGNAL_TIMEOUT_MS);

describe('the models app with the Ollama back end', () => {
  let stack: ModelsStack;
  const ollama = new FakeOllamaServer();

  beforeAll(async () => {
    const url = await ollama.start();
    stack = await ModelsStack.start({ modelsEnv: { AICO_MODELS__BACKEND: 'ollama', AICO_MODELS__OLLAMA_URL: url } });
  }, 4 * SIGNAL_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
    await ollama.stop();
  });

  it('streams a raw generation from Ollama through the bus, admitted by the monitor, with Ollama’s usage', async () => {
    ollama.script.hang = false;
    const { result, deltas } = await stack.generate(raw('Once upon', { model: 'llama3.2:3b', maxTokens: 8 }));
    expect(textDeltas(deltas).map((delta) => (delta.kind.case === 'text' ? delta.kind.value : ''))).toEqual(['Hello', ',', ' world']);
    expect(deltas.map((delta) => Number(delta.sequence))).toEqual(deltas.map((_, index) => index + 1));
    expect(result).toMatchObject({
      text: 'Hello, world',
      stopReason: StopReason.END_OF_SEQUENCE,
      model: 'llama3.2:3b',
      usage: { promptTokens: 7, completionTokens: 3 },
    });
    expect(result.jobId).not.toBe('');
    expect(ollama.requests.find((entry) => entry.path === '/api/generate')!.body).toMatchObject({
      prompt: 'Once upon',
      raw: true,
      options: { num_predict: 8, temperature: 0 },
    });
    const status = await stack.requester.request(ModelsTopics.status, {}, { timeoutMs: SIGNAL_TIMEOUT_MS });
    expect(status.backend).toBe('ollama');
    // The aico catalog serves llama.cpp only: under Ollama a change to it is refused, saying where models live.
    await expect(stack.requester.request(ModelsTopics.catalogUse, { name: 'anything' }, { timeoutMs: SIGNAL_TIMEOUT_MS })).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('Ollama keeps its own models ("ollama pull <model>"'),
    });
  });

  it('a cancel through the bus closes the HTTP request to Ollama and ends cancelled with the text so far', async () => {
    ollama.script.hang = true;
    const generationId = randomUUID();
    let cancelling: Promise<unknown> | undefined;
    let texts = 0;
    const [{ result }, closed] = await Promise.all([
      stack.generate(raw('Once', { model: 'llama3.2:3b' }), {
        correlationId: generationId,
        onDelta: (delta) => {
          if (delta.kind.case === 'text' && ++texts === 3)
            cancelling = stack.requester.request(ModelsTopics.generateCancel, { generationId, reason: 'enough' }, { timeoutMs: SIGNAL_TIMEOUT_MS });
        },
      }),
      ollama.closedEarly(),
    ]);
    await cancelling;
    expect(closed.path).toBe('/api/generate');
    expect(result).toMatchObject({ stopReason: StopReason.CANCELLED, text: 'Hello, world' });
  });

  it('Ollama down: MODELS_BACKEND_UNAVAILABLE naming the URL, and the app stays up', async () => {
    ollama.script.hang = false;
    const url = ollama.url;
    await ollama.stop();
    const failure = await stack.generate(raw('x', { model: 'llama3.2:3b' })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RemoteError);
    expect(failure).toMatchObject({ code: ModelsErrorCode.BackendUnavailable });
    expect((failure as Error).message).toContain(`Ollama at ${url} does not answer`);
    expect((failure as Error).message).toContain('is Ollama running? (ollama serve)');
    await expect(stack.requester.request(ModelsTopics.generateCancel, { generationId: randomUUID() }, { timeoutMs: SIGNAL_TIMEOUT_MS })).resolves.toMatchObject(
      { found: false },
    );
  });
});
