// `aico models` against a stand-in models service on a real CURVE bus: what each subcommand sends, what it prints,
// and the exit code of every outcome (each ModelsErrorCode, no models service).
import { join } from 'node:path';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BusError, BusErrorCode, RemoteError } from '@aico/bus';
import { TestBus, type TestClient } from '@aico/bus/testing';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { ModelPurpose, ModelsErrorCode, ModelsTopics, PublicError } from '@aico/contracts';
import { KeyManager } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import type { CliContext } from '../cli-context';
import { runCli } from '../cli-program';
import { ExitCode, modelsExitCode } from '../exit-codes';
import { formatCount, progressLine } from './models.command';

class StandInError extends PublicError {}

const TINY = {
  id: 'tiny',
  file: 'tiny.gguf',
  sizeBytes: 521_056n,
  sha256: 'a'.repeat(64),
  architecture: 'llama',
  parameters: 127_808n,
  quantization: 'F32',
  contextLength: 1024,
  hasChatTemplate: true,
  embeddingLength: 64,
  blockCount: 2,
  displayName: 'aico test model',
  source: 'import:/home/me/tiny.gguf',
  addedAt: timestampFromDate(new Date('2026-03-01T10:00:00Z')),
  usedFor: [ModelPurpose.CHAT],
};
const QWEN = {
  ...TINY,
  id: 'qwen2.5-1.5b',
  file: 'qwen2.5-1.5b.gguf',
  sizeBytes: 1_117_320_736n,
  architecture: 'qwen2',
  parameters: 1_543_714_304n,
  quantization: 'Q4_K_M',
  contextLength: 32768,
  usedFor: [] as ModelPurpose[],
};

describe('aico models', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let models: TestClient;
  let context: CliContext;
  const received: { topic: string; payload: Record<string, unknown>; source: string }[] = [];
  let listing: { models: (typeof TINY)[]; modelsDir: string; missingFiles: string[] };
  let refusal: StandInError | undefined;
  let out: string[] = [];
  let progress: string[] = [];
  let errors: string[] = [];

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__FILE: 'false' });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    models = bus.client('models');
    const record = (topic: string, payload: Record<string, unknown>, source: string) => {
      received.push({ topic, payload, source });
      if (refusal) throw refusal;
    };
    models.handle(ModelsTopics.catalogList, (request) => {
      record(request.topic, {}, request.source);
      return listing;
    });
    models.handle(ModelsTopics.catalogImport, (request) => {
      const { path, name, sha256 } = request.payload;
      record(request.topic, { path, name, sha256 }, request.source);
      return { model: { ...TINY, id: name || 'tiny' } };
    });
    models.handle(ModelsTopics.catalogPull, (request) => {
      const { source, name, sha256 } = request.payload;
      record(request.topic, { source, name, sha256, timeoutMs: (request.deadlineMs ?? 0) - Date.now() }, request.source);
      return { model: { ...QWEN, source } };
    });
    models.handle(ModelsTopics.catalogRemove, (request) => {
      record(request.topic, { name: request.payload.name }, request.source);
      return { removed: true, freedBytes: 521_056n };
    });
    models.handle(ModelsTopics.catalogUse, (request) => {
      record(request.topic, { name: request.payload.name, purpose: request.payload.purpose }, request.source);
      return { model: { ...TINY, usedFor: [request.payload.purpose] } };
    });
    await models.connect();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    const { config } = loadConfig({ schema: baseConfigSchema, env });
    context = { config, keyManager: new KeyManager({ dataDir: config.dataDir }), out: (line) => out.push(line), progress: (line) => progress.push(line) };
  });
  beforeEach(() => {
    received.length = 0;
    out = [];
    progress = [];
    errors = [];
    refusal = undefined;
    listing = { models: [TINY, QWEN], modelsDir: '/data/models', missingFiles: [] };
  });
  afterAll(async () => {
    await bus.stop();
    await environment.cleanup();
  });

  const aico = (...args: string[]) =>
    runCli(
      ['node', 'aico', ...args],
      () => context,
      (text) => void errors.push(text),
    );

  it('lists the models with their GGUF facts and purposes, and says which files are missing', async () => {
    listing.missingFiles = ['qwen2.5-1.5b'];
    expect(await aico('models', 'list')).toBe(ExitCode.Ok);
    expect(received).toEqual([{ topic: 'models.catalog.list', payload: {}, source: 'cli' }]);
    expect(out).toEqual([
      'NAME                         ARCHITECTURE  PARAMETERS  QUANT   CONTEXT  SIZE       CHAT TEMPLATE  USED FOR',
      'tiny                         llama         128K        F32     1024     508.8 KiB  yes            chat',
      'qwen2.5-1.5b (file missing)  qwen2         1.5B        Q4_K_M  32768    1.04 GiB   yes            -',
      'Models directory: /data/models',
      'The file of qwen2.5-1.5b is missing: import or pull it again, or "aico models remove qwen2.5-1.5b".',
    ]);
  });

  it('lists as JSON', async () => {
    expect(await aico('models', 'list', '--json')).toBe(ExitCode.Ok);
    const printed = JSON.parse(out.join('\n')) as { modelsDir: string; models: unknown[] };
    expect(printed.modelsDir).toBe('/data/models');
    expect(printed.models[0]).toEqual({
      name: 'tiny',
      file: 'tiny.gguf',
      fileMissing: false,
      sizeBytes: 521056,
      sha256: 'a'.repeat(64),
      architecture: 'llama',
      parameters: 127808,
      quantization: 'F32',
      contextLength: 1024,
      hasChatTemplate: true,
      embeddingLength: 64,
      blockCount: 2,
      displayName: 'aico test model',
      source: 'import:/home/me/tiny.gguf',
      addedAt: '2026-03-01T10:00:00.000Z',
      usedFor: ['chat'],
    });
  });

  it('says how to get a first model when the catalog is empty', async () => {
    listing.models = [];
    expect(await aico('models', 'list')).toBe(ExitCode.Ok);
    expect(out).toEqual([
      'No models yet: "aico models import <file.gguf>", or "aico models pull <https URL | hf:owner/repo/file.gguf>". Models directory: /data/models',
    ]);
  });

  it("imports a file by its absolute path (the service does not know this shell's directory)", async () => {
    expect(await aico('models', 'import', 'downloads/tiny.gguf', '--name', 'mine', '--sha256', 'b'.repeat(64))).toBe(ExitCode.Ok);
    expect(received).toEqual([
      { topic: 'models.catalog.import', payload: { path: join(process.cwd(), 'downloads/tiny.gguf'), name: 'mine', sha256: 'b'.repeat(64) }, source: 'cli' },
    ]);
    expect(out).toEqual([
      `Imported mine (llama, 128K parameters, F32, context 1024, chat template), 508.8 KiB, sha256 ${'a'.repeat(64)}.`,
      'It is used for chat.',
    ]);
  });

  it('pulls a model, saying so on stderr, with a long deadline by default', async () => {
    expect(await aico('models', 'pull', 'hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf', '--sha256', 'c'.repeat(64))).toBe(ExitCode.Ok);
    expect(received[0]).toMatchObject({
      topic: 'models.catalog.pull',
      payload: { source: 'hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf', sha256: 'c'.repeat(64), name: '' },
    });
    expect(received[0]!.payload['timeoutMs']).toBeGreaterThan(11 * 3_600_000);
    expect(progress).toEqual(['Pulling hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf…']);
    expect(out[0]).toMatch(/^Pulled qwen2\.5-1\.5b \(qwen2, 1\.5B parameters, Q4_K_M, context 32768, chat template\), 1\.04 GiB/);
    expect(out[1]).toBe('"aico models use qwen2.5-1.5b" makes chat use it.');
    expect(await aico('models', 'pull', 'https://example.org/m.gguf', '--timeout', '30')).toBe(ExitCode.Ok);
    expect(progress.at(-1)).toContain('no --sha256 given');
    expect(received[1]!.payload['timeoutMs']).toBeLessThanOrEqual(30 * 60_000);
    expect(await aico('models', 'pull', 'https://example.org/m.gguf', '--timeout', 'long')).toBe(ExitCode.Usage);
  });

  it('removes a model and says how much was freed', async () => {
    expect(await aico('models', 'remove', 'tiny')).toBe(ExitCode.Ok);
    expect(received).toEqual([{ topic: 'models.catalog.remove', payload: { name: 'tiny' }, source: 'cli' }]);
    expect(out).toEqual(['Removed tiny (508.8 KiB freed).']);
  });

  it('puts a model to use for chat by default, or for another purpose', async () => {
    expect(await aico('models', 'use', 'tiny')).toBe(ExitCode.Ok);
    expect(await aico('models', 'use', 'tiny', '--for', 'embedding')).toBe(ExitCode.Ok);
    expect(received.map((request) => request.payload)).toEqual([
      { name: 'tiny', purpose: ModelPurpose.CHAT },
      { name: 'tiny', purpose: ModelPurpose.EMBEDDING },
    ]);
    expect(out).toEqual(['tiny is now used for chat.', 'tiny is now used for embedding.']);
    expect(await aico('models', 'use', 'tiny', '--for', 'dreams')).toBe(ExitCode.Usage);
    expect(errors.join('')).toContain('--for takes chat, background or embedding, not "dreams"');
  });

  it.each([
    [ModelsErrorCode.NotGguf, ExitCode.DataError],
    [ModelsErrorCode.Damaged, ExitCode.DataError],
    [ModelsErrorCode.UnknownArchitecture, ExitCode.DataError],
    [ModelsErrorCode.ChecksumMismatch, ExitCode.DataError],
    [ModelsErrorCode.AlreadyExists, ExitCode.AlreadyExists],
    [ModelsErrorCode.InvalidArgument, ExitCode.Usage],
    [ModelsErrorCode.DiskFull, ExitCode.IoError],
    [ModelsErrorCode.UnknownModel, ExitCode.NoInput],
  ])("prints the service's refusal %s and exits %d", async (code, exit) => {
    refusal = new StandInError(code, `refused: ${code}`);
    expect(await aico('models', 'import', '/tmp/x.gguf')).toBe(exit);
    expect(errors.join('')).toBe(`aico: refused: ${code} (${code})\n`);
  });

  it('says the models service is unavailable (69) when nothing answers for it', async () => {
    await models.close();
    expect(await aico('models', 'list')).toBe(ExitCode.Unavailable);
    expect(errors.join('')).toContain('The models service does not answer on the bus');
  });
});

describe('modelsExitCode', () => {
  it('maps every models error code (and bus failures) to an exit code', () => {
    const expected: Record<ModelsErrorCode, ExitCode> = {
      [ModelsErrorCode.InvalidArgument]: ExitCode.Usage,
      [ModelsErrorCode.NoModel]: ExitCode.NoInput,
      [ModelsErrorCode.UnknownModel]: ExitCode.NoInput,
      [ModelsErrorCode.AlreadyExists]: ExitCode.AlreadyExists,
      [ModelsErrorCode.NotGguf]: ExitCode.DataError,
      [ModelsErrorCode.Damaged]: ExitCode.DataError,
      [ModelsErrorCode.UnknownArchitecture]: ExitCode.DataError,
      [ModelsErrorCode.DoesNotFit]: ExitCode.Unavailable,
      [ModelsErrorCode.LoadFailed]: ExitCode.Failure,
      [ModelsErrorCode.PromptTooLong]: ExitCode.DataError,
      [ModelsErrorCode.ChecksumMismatch]: ExitCode.DataError,
      [ModelsErrorCode.DiskFull]: ExitCode.IoError,
      [ModelsErrorCode.DownloadFailed]: ExitCode.TryLater,
      [ModelsErrorCode.Busy]: ExitCode.TryLater,
      [ModelsErrorCode.BackendUnavailable]: ExitCode.Unavailable,
      [ModelsErrorCode.NotAdmitted]: ExitCode.TryLater,
    };
    for (const code of Object.values(ModelsErrorCode)) expect([code, modelsExitCode(new RemoteError(code, 'x', 'models'))]).toEqual([code, expected[code]]);
    expect(modelsExitCode(new BusError(BusErrorCode.DeadlineExceeded, 'x'))).toBe(ExitCode.Unavailable);
  });
});

describe('pull progress', () => {
  it('draws a bar with percent and bytes, and says where a resume started', () => {
    expect(progressLine({ phase: 'downloading', doneBytes: 512n * 1024n * 1024n, totalBytes: 2048n * 1024n * 1024n, resumedFromBytes: 0n }, 20)).toBe(
      'downloading  25% [#####...............] 512.0 MiB / 2.00 GiB',
    );
    expect(progressLine({ phase: 'downloading', doneBytes: 300n, totalBytes: 0n, resumedFromBytes: 100n })).toBe('downloading 300 B (resumed at 100 B)');
    expect(progressLine({ phase: 'done', doneBytes: 10n, totalBytes: 10n, resumedFromBytes: 0n }, 4)).toBe('done        100% [####] 10 B / 10 B');
  });

  it('counts parameters as people say them', () => {
    expect([formatCount(999n), formatCount(127_808n), formatCount(1_543_714_304n), formatCount(70_553_706_496n)]).toEqual(['999', '128K', '1.5B', '71B']);
  });
});
