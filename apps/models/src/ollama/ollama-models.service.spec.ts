// The Ollama back end against a loopback server that speaks Ollama's documented NDJSON API (the edge of a unit test:
// no real Ollama can be installed here, docs/architecture.md §9). The monitor is a scripted bus that admits every job at once;
// real admission is the same MonitorJobs the llama.cpp back end uses (e2e/models/admission.e2e-spec.ts).
import { create } from '@bufbuild/protobuf';
import type { BusClient, ResponseStream } from '@aico/bus';
import {
  EmbedRequestSchema,
  GenerateRequestSchema,
  JobClass,
  JobState,
  JobStatusSchema,
  MonitorTopics,
  StopReason,
  type GenerateDelta,
  type GenerateDeltaSchema,
} from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { modelsConfigSchema, type ModelsConfig } from '../models.config';
import { ModelsError, ModelsErrorCode } from '../models.error';
import { OllamaModelsService } from './ollama-models.service';
import { FakeOllamaServer } from './testing/fake-ollama-server.test-helpers';

const silent = { info: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent } as unknown as Logger;

type Handler = (event: { source: string; payload: unknown }) => void;
const handlers = new Map<string, Handler[]>();
/** A monitor event, as the bus would deliver it. */
const emit = (definition: { topic: string }, payload: unknown): void => {
  for (const handler of handlers.get(definition.topic) ?? []) handler({ source: 'monitor', payload });
};

/** The bus as the service uses it: the monitor admits every job at once; its events are sent by hand (emit). */
const admittingBus = {
  subscribe: (definition: { topic: string }, handler: Handler) => {
    handlers.set(definition.topic, [...(handlers.get(definition.topic) ?? []), handler]);
    return () => undefined;
  },
  publish: () => Promise.resolve(),
  request: (definition: { topic: string }, payload: { id?: string }) => {
    if (definition.topic === MonitorTopics.jobSubmit.topic) {
      return Promise.resolve({
        job: create(JobStatusSchema, {
          id: payload.id ?? '',
          jobClass: JobClass.INTERACTIVE,
          state: JobState.RUNNING,
          submitter: 'models',
          submitterInstanceId: 'models-1',
        }),
      });
    }
    if (definition.topic === MonitorTopics.resourceStatus.topic) return Promise.reject(new Error('no monitor in this test'));
    return Promise.resolve({});
  },
} as unknown as BusClient;

function fakeStream() {
  const controller = new AbortController();
  const delivered: GenerateDelta[] = [];
  const stream = { signal: controller.signal, send: (delta: GenerateDelta) => (delivered.push(delta), Promise.resolve(true)) };
  return { stream: stream as unknown as ResponseStream<typeof GenerateDeltaSchema>, controller, delivered };
}

const texts = (delivered: GenerateDelta[]): string[] => delivered.flatMap((delta) => (delta.kind.case === 'text' ? [delta.kind.value] : []));

function service(url: string, models: Record<string, unknown> = {}): OllamaModelsService {
  const config = {
    dataDir: '/nonexistent',
    models: modelsConfigSchema.shape.models.parse({ backend: 'ollama', ollamaUrl: url, ...models }),
  } as unknown as ModelsConfig;
  return new OllamaModelsService({ config, bus: admittingBus, logger: silent, instanceId: 'models-1' });
}

let ids = 0;
const meta = () => ({ id: `gen-${++ids}`, source: 'cli', deadlineMs: undefined });

describe('OllamaModelsService against a server speaking Ollama’s API', () => {
  let server: FakeOllamaServer;
  let models: OllamaModelsService;

  beforeEach(async () => {
    handlers.clear();
    server = new FakeOllamaServer();
    models = service(await server.start());
  });

  afterEach(async () => {
    await models.stop();
    await server.stop();
  });

  it('streams a raw generation from /api/generate in ordered deltas, with the sampling mapped and usage from the last chunk', async () => {
    const { stream, delivered } = fakeStream();
    const request = create(GenerateRequestSchema, {
      input: { case: 'prompt', value: 'Once upon' },
      model: 'llama3.2:3b',
      maxTokens: 20,
      temperature: 0,
      topP: 0.9,
      topK: 40,
      seed: 7,
      stop: ['\n\n'],
      jsonSchema: '{"type":"object"}',
    });
    const result = await models.generate(request, stream, meta());
    expect(texts(delivered)).toEqual(['Hello', ',', ' world']);
    expect(delivered.map((delta) => Number(delta.sequence))).toEqual([1, 2, 3]);
    expect(result).toMatchObject({
      text: 'Hello, world',
      stopReason: StopReason.END_OF_SEQUENCE,
      model: 'llama3.2:3b',
      usage: { promptTokens: 7, completionTokens: 3, tokensPerSecond: 1500 },
    });
    const seen = server.requests.find((entry) => entry.path === '/api/generate')!;
    expect(seen.body).toMatchObject({
      model: 'llama3.2:3b',
      prompt: 'Once upon',
      raw: true,
      stream: true,
      keep_alive: '300000ms',
      format: { type: 'object' },
      options: { num_predict: 20, temperature: 0, top_p: 0.9, top_k: 40, seed: 7, stop: ['\n\n'] },
    });
  });

  it('streams a chat from /api/chat; done_reason "length" is MAX_TOKENS', async () => {
    server.script.doneReason = 'length';
    const { stream, delivered } = fakeStream();
    const request = create(GenerateRequestSchema, {
      input: {
        case: 'chat',
        value: {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hi' },
          ],
        },
      },
      model: 'llama3.2:3b',
      maxTokens: 3,
    });
    const result = await models.generate(request, stream, meta());
    expect(texts(delivered)).toEqual(['Hello', ',', ' world']);
    expect(result).toMatchObject({ text: 'Hello, world', stopReason: StopReason.MAX_TOKENS });
    expect(server.requests.find((entry) => entry.path === '/api/chat')!.body).toMatchObject({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      options: { num_predict: 3 },
    });
  });

  it('cancel aborts the HTTP request (Ollama sees the connection close) and ends CANCELLED with the partial text', async () => {
    server.script.hang = true;
    const { stream } = fakeStream();
    const id = meta();
    const running = models.generate(create(GenerateRequestSchema, { input: { case: 'prompt', value: 'Once' }, model: 'llama3.2:3b' }), stream, id);
    await server.chunksSent(3);
    // The chunks are written; wait until the service has streamed them on (its generation is running).
    while ((await models.status()).running === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(models.cancel({ generationId: id.id, reason: 'enough' } as never, 'cli')).toEqual({ found: true });
    const [result, closed] = await Promise.all([running, server.closedEarly()]);
    expect(closed.path).toBe('/api/generate');
    expect(result.stopReason).toBe(StopReason.CANCELLED);
    expect(result.text).toBe('Hello, world');
  });

  it('the requester going away aborts the request too', async () => {
    server.script.hang = true;
    const { stream, controller } = fakeStream();
    const running = models.generate(create(GenerateRequestSchema, { input: { case: 'prompt', value: 'Once' }, model: 'llama3.2:3b' }), stream, meta());
    await server.chunksSent(3);
    controller.abort(new Error('gone'));
    const [result] = await Promise.all([running, server.closedEarly()]);
    expect(result.stopReason).toBe(StopReason.CANCELLED);
  });

  it('critical resources: the running request is aborted (UNLOADED) and every loaded model is unloaded with keep_alive 0', async () => {
    server.script.hang = true;
    server.script.loaded = ['llama3.2:3b'];
    const { stream } = fakeStream();
    const running = models.generate(create(GenerateRequestSchema, { input: { case: 'prompt', value: 'Once' }, model: 'llama3.2:3b' }), stream, meta());
    await server.chunksSent(3);
    while ((await models.status()).running === 0) await new Promise((resolve) => setImmediate(resolve));
    models.setCritical('memory: 3 % available');
    const [result] = await Promise.all([running, server.closedEarly()]);
    expect(result.stopReason).toBe(StopReason.UNLOADED);
    while (server.script.loaded.length > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(server.requests.find((entry) => entry.body['keep_alive'] === 0)!.body).toMatchObject({ model: 'llama3.2:3b', prompt: '', keep_alive: 0 });
    expect((await models.status()).lastUnloadReason).toBe('critical');
  });

  it('a pause advice aborts the request; on resume it continues from the prompt plus the text so far', async () => {
    server.script.hang = true;
    const { stream, delivered } = fakeStream();
    const id = meta();
    const running = models.generate(
      create(GenerateRequestSchema, { input: { case: 'prompt', value: 'Once' }, model: 'llama3.2:3b', jobClass: JobClass.LLM }),
      stream,
      id,
    );
    await server.chunksSent(3);
    while ((await models.status()).running === 0) await new Promise((resolve) => setImmediate(resolve));
    const job = create(JobStatusSchema, { id: id.id, jobClass: JobClass.LLM, state: JobState.RUNNING, submitter: 'models', submitterInstanceId: 'models-1' });
    emit(MonitorTopics.jobPaused, { job, reason: 'the user is active' });
    await server.closedEarly();
    server.script.hang = false;
    server.script.chunks = [' again'];
    emit(MonitorTopics.jobResumed, { job, reason: 'the user is idle' });
    const result = await running;
    expect(result).toMatchObject({ text: 'Hello, world again', stopReason: StopReason.END_OF_SEQUENCE });
    expect(delivered.some((delta) => delta.kind.case === 'waiting' && delta.kind.value.stage === 'paused')).toBe(true);
    expect(server.requests.filter((entry) => entry.path === '/api/generate').map((entry) => entry.body['prompt'])).toEqual(['Once', 'OnceHello, world']);
  });

  it('a model Ollama does not have is MODELS_UNKNOWN_MODEL, naming it and `ollama pull`', async () => {
    const { stream } = fakeStream();
    const failure = models.generate(create(GenerateRequestSchema, { input: { case: 'prompt', value: 'x' }, model: 'nope:1b' }), stream, meta());
    await expect(failure).rejects.toMatchObject({ code: ModelsErrorCode.UnknownModel });
    await expect(failure).rejects.toThrow(/nope:1b.*ollama pull nope:1b/);
  });

  it('no model named is MODELS_NO_MODEL (the catalog does not choose for Ollama)', async () => {
    const { stream } = fakeStream();
    await expect(models.generate(create(GenerateRequestSchema, { input: { case: 'prompt', value: 'x' } }), stream, meta())).rejects.toMatchObject({
      code: ModelsErrorCode.NoModel,
    });
  });

  it('embeds texts with /api/embed', async () => {
    const result = await models.embed(create(EmbedRequestSchema, { model: 'nomic-embed-text', texts: ['ab', 'cde'] }), undefined);
    expect(result).toEqual({ embeddings: [{ values: [2, 0, 0.5] }, { values: [3, 1, 0.5] }], dimensions: 3, model: 'nomic-embed-text' });
    expect(server.requests.at(-1)!.body).toMatchObject({ input: ['ab', 'cde'], keep_alive: '300000ms' });
  });

  it('status lists what Ollama has loaded (/api/ps)', async () => {
    server.script.loaded = ['llama3.2:3b'];
    const status = await models.status();
    expect(status).toMatchObject({ backend: 'ollama', running: 0, waiting: 0, loaded: [{ name: 'llama3.2:3b', memoryBytes: 2_019_393_189n }] });
  });

  it('refuses to count tokens with a clear message (Ollama has no tokenize endpoint)', async () => {
    await expect(models.countTokens()).rejects.toThrow(/no tokenize endpoint/);
  });

  it('a server that is not running is MODELS_BACKEND_UNAVAILABLE, naming the URL and `ollama serve`', async () => {
    const url = server.url;
    await server.stop();
    const down = service(url);
    const { stream } = fakeStream();
    const failure = down.generate(create(GenerateRequestSchema, { input: { case: 'prompt', value: 'x' }, model: 'llama3.2:3b' }), stream, meta());
    await expect(failure).rejects.toBeInstanceOf(ModelsError);
    await expect(failure).rejects.toMatchObject({ code: ModelsErrorCode.BackendUnavailable });
    await expect(failure).rejects.toThrow(`Ollama at ${url} does not answer`);
    await expect(failure).rejects.toThrow('is Ollama running? (ollama serve)');
    await expect(down.status()).rejects.toMatchObject({ code: ModelsErrorCode.BackendUnavailable });
    server = new FakeOllamaServer();
    await server.start();
  });
});

describe('models.ollamaUrl', () => {
  const parse = (ollamaUrl: string) => modelsConfigSchema.shape.models.safeParse({ backend: 'ollama', ollamaUrl });

  it('takes http on this machine and https anywhere; refuses http across the network', () => {
    expect(parse('http://127.0.0.1:11434').success).toBe(true);
    expect(parse('http://localhost:11434').success).toBe(true);
    expect(parse('http://[::1]:11434').success).toBe(true);
    expect(parse('https://ollama.example.org').success).toBe(true);
    expect(parse('http://192.168.1.20:11434').success).toBe(false);
  });

  it('defaults to llama.cpp and Ollama’s own address', () => {
    expect(modelsConfigSchema.shape.models.parse({})).toMatchObject({ backend: 'llama.cpp', ollamaUrl: 'http://127.0.0.1:11434' });
  });
});
