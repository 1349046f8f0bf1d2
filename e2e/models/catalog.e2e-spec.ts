// The model catalog through the bus, with real processes: bus, keys, storage and the built models app (which reads
// GGUF files with the real node-llama-cpp). A generated model is imported, listed with its metadata, put to use and
// removed (its entry is a storage record, its file in <dataDir>/models); every bad input gets its own code and the
// process stays up; a pull from a loopback HTTP server, one with a wrong checksum (nothing left), and one on a full
// disk (a file-size limit on the models process); and the `aico models` commands against it all.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestClient, requestWhenRoutable, type TestClient } from '@aico/bus/testing';
import { ModelPurpose, ModelsErrorCode, ModelsTopics, RecordKind, StorageTopics, type CatalogChanged } from '@aico/contracts';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { runAico } from '../support/aico-cli';
import { builtApp } from '../support/gateway-stack';
import { ModelFileServer } from '../support/model-file-server';
import { ServiceProcess } from '../support/service-process';
import { makeTestModelFile, type GeneratedModel } from '../support/test-models';
import { LOAD_TOLERANT_ENV, SIGNAL_TIMEOUT_MS } from '../support/timing';

// Four process starts (five with the restart on a small disk), a few model files of half a megabyte.
jest.setTimeout(10 * SIGNAL_TIMEOUT_MS);

describe('the model catalog through the bus', () => {
  let environment: ServiceTestEnvironment;
  const processes: ServiceProcess[] = [];
  let models: ServiceProcess;
  let client: TestClient;
  let storage: StorageClient;
  let inputs: string;
  let modelsDir: string;
  let tiny: GeneratedModel;
  let other: GeneratedModel;
  const changes: CatalogChanged[] = [];

  const start = async (name: string, options: { fileSizeLimitKiB?: number } = {}) => {
    const child = new ServiceProcess(name, builtApp(name), [], environment.env, options);
    processes.push(child);
    await child.waitForMessage(`${name} ready`);
    return child;
  };
  const request = <T>(send: (timeoutMs: number) => Promise<T>) => send(SIGNAL_TIMEOUT_MS);

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('tcp', {
      ...LOAD_TOLERANT_ENV,
      AICO_LOG__LEVEL: 'info',
      AICO_LOG__FILE: 'false',
      AICO_BUS__HEARTBEAT_INTERVAL_MS: '250',
    });
    inputs = join(environment.dir, 'inputs');
    modelsDir = join(environment.dir, 'models');
    await mkdir(inputs);
    [tiny, other] = await Promise.all([
      makeTestModelFile(join(inputs, 'Tiny-Chat.gguf')),
      makeTestModelFile(join(inputs, 'other.gguf'), '--seed', '5', '--no-chat-template'),
    ]);
    await start('bus');
    await Promise.all([start('keys'), start('storage')]);
    models = await start('models');
    client = createTestClient('cli', environment.keys, environment.endpoints);
    client.subscribe(ModelsTopics.catalogChanged, (message) => void changes.push(message.payload));
    await client.connect();
    storage = new StorageClient(client, { deadlineMs: SIGNAL_TIMEOUT_MS });
    await requestWhenRoutable((timeoutMs) => client.request(StorageTopics.databaseCheck, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
    await requestWhenRoutable((timeoutMs) => client.request(ModelsTopics.catalogList, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
  }, 6 * SIGNAL_TIMEOUT_MS);
  afterAll(async () => {
    await client?.close({ drainTimeoutMs: 0 });
    for (const child of processes) child.signal('SIGKILL');
    await Promise.all(processes.map((child) => child.exited));
    await environment.cleanup();
  });

  it('imports a generated model, lists it with its GGUF metadata, puts another to use, and removes it', async () => {
    const { model } = await request((timeoutMs) => client.request(ModelsTopics.catalogImport, { path: tiny.path }, { timeoutMs }));
    expect(model).toMatchObject({
      id: 'tiny-chat',
      file: 'tiny-chat.gguf',
      sizeBytes: BigInt(tiny.bytes),
      sha256: tiny.sha256,
      architecture: 'llama',
      parameters: BigInt(tiny.parameters),
      quantization: 'F32',
      contextLength: 1024,
      hasChatTemplate: true,
      embeddingLength: 64,
      blockCount: 2,
      displayName: 'aico test model',
      source: `import:${tiny.path}`,
      usedFor: [ModelPurpose.CHAT],
    });
    expect((await readFile(join(modelsDir, 'tiny-chat.gguf'))).equals(await readFile(tiny.path))).toBe(true);
    // The entry is a storage record (so it is in backups); the weights are a file beside the database.
    expect((await storage.getRecord(RecordKind.MODEL, 'tiny-chat')).record?.kind).toMatchObject({
      case: 'model',
      value: { id: 'tiny-chat', sha256: tiny.sha256 },
    });

    await request((timeoutMs) => client.request(ModelsTopics.catalogImport, { path: other.path, name: 'other', sha256: other.sha256 }, { timeoutMs }));
    const used = await request((timeoutMs) => client.request(ModelsTopics.catalogUse, { name: 'other', purpose: ModelPurpose.CHAT }, { timeoutMs }));
    expect(used.model).toMatchObject({ id: 'other', usedFor: [ModelPurpose.CHAT], hasChatTemplate: false });
    const listing = await request((timeoutMs) => client.request(ModelsTopics.catalogList, {}, { timeoutMs }));
    expect(listing).toMatchObject({ modelsDir, missingFiles: [] });
    expect(listing.models.map((entry) => [entry.id, entry.usedFor])).toEqual([
      ['other', [ModelPurpose.CHAT]],
      ['tiny-chat', []],
    ]);

    const removed = await request((timeoutMs) => client.request(ModelsTopics.catalogRemove, { name: 'tiny-chat' }, { timeoutMs }));
    expect(removed).toMatchObject({ removed: true, freedBytes: BigInt(tiny.bytes) });
    expect((await readdir(modelsDir)).sort()).toEqual(['other.gguf']);
    expect((await storage.getRecord(RecordKind.MODEL, 'tiny-chat')).found).toBe(false);
    expect(changes.map((change) => [change.change, change.model?.id])).toEqual([
      ['imported', 'tiny-chat'],
      ['imported', 'other'],
      ['used', 'other'],
      ['removed', 'tiny-chat'],
    ]);
  });

  it('refuses each bad input with its own code and message, and stays up', async () => {
    await mkdir(join(inputs, 'a-folder.gguf'));
    const notGguf = join(inputs, 'notes.gguf');
    await writeFile(notGguf, 'These are notes, not a model.\n');
    const truncated = await makeTestModelFile(join(inputs, 'cut.gguf'), '--truncate');
    const alien = await makeTestModelFile(join(inputs, 'alien.gguf'), '--architecture', 'aico-unknown');
    const refusals: [{ path: string; name?: string; sha256?: string }, ModelsErrorCode, string][] = [
      [{ path: notGguf }, ModelsErrorCode.NotGguf, 'is not a GGUF model file'],
      [{ path: truncated.path }, ModelsErrorCode.Damaged, 'data is not within the file bounds'],
      [{ path: alien.path }, ModelsErrorCode.UnknownArchitecture, '"aico-unknown" model'],
      [{ path: tiny.path, sha256: other.sha256 }, ModelsErrorCode.ChecksumMismatch, `expected ${other.sha256}, got ${tiny.sha256}`],
      [{ path: join(inputs, 'a-folder.gguf') }, ModelsErrorCode.InvalidArgument, 'is a directory'],
      [{ path: join(inputs, 'nowhere.gguf') }, ModelsErrorCode.InvalidArgument, 'there is no such file'],
      [{ path: 'inputs/other.gguf' }, ModelsErrorCode.InvalidArgument, 'is not an absolute path'],
      [{ path: tiny.path, name: '../../escape' }, ModelsErrorCode.InvalidArgument, 'is not a model name'],
      [{ path: other.path, name: 'other' }, ModelsErrorCode.AlreadyExists, 'is in the catalog already'],
    ];
    for (const [payload, code, message] of refusals) {
      await expect(request((timeoutMs) => client.request(ModelsTopics.catalogImport, payload, { timeoutMs }))).rejects.toMatchObject({
        code,
        message: expect.stringContaining(message),
        source: 'models',
      });
    }
    await expect(request((timeoutMs) => client.request(ModelsTopics.catalogUse, { name: 'nobody' }, { timeoutMs }))).rejects.toMatchObject({
      code: ModelsErrorCode.UnknownModel,
    });
    await expect(request((timeoutMs) => client.request(ModelsTopics.catalogRemove, { name: 'nobody' }, { timeoutMs }))).rejects.toMatchObject({
      code: ModelsErrorCode.UnknownModel,
    });
    // Nothing was copied, the process is up and answering, and nothing was logged as an error.
    expect((await readdir(modelsDir)).sort()).toEqual(['other.gguf']);
    expect((await request((timeoutMs) => client.request(ModelsTopics.catalogList, {}, { timeoutMs }))).models.map((entry) => entry.id)).toEqual(['other']);
    expect(models.lines.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('pulls a model from a server on loopback, and keeps nothing of a pull whose checksum does not match', async () => {
    const server = await ModelFileServer.start();
    try {
      const url = server.serve('/models/Tiny-Chat.gguf', await readFile(tiny.path));
      const { model } = await request((timeoutMs) =>
        client.request(ModelsTopics.catalogPull, { source: `${url}?token=not-kept`, sha256: tiny.sha256 }, { timeoutMs }),
      );
      expect(model).toMatchObject({ id: 'tiny-chat', sha256: tiny.sha256, source: url, architecture: 'llama' });
      expect((await readFile(join(modelsDir, 'tiny-chat.gguf'))).equals(await readFile(tiny.path))).toBe(true);

      await expect(
        request((timeoutMs) => client.request(ModelsTopics.catalogPull, { source: url, name: 'wrong', sha256: other.sha256 }, { timeoutMs })),
      ).rejects.toMatchObject({
        code: ModelsErrorCode.ChecksumMismatch,
        message: expect.stringContaining('Nothing was kept'),
      });
      expect((await readdir(modelsDir)).sort()).toEqual(['other.gguf', 'tiny-chat.gguf']);
      await expect(
        request((timeoutMs) => client.request(ModelsTopics.catalogPull, { source: 'http://models.example/m.gguf' }, { timeoutMs })),
      ).rejects.toMatchObject({ code: ModelsErrorCode.InvalidArgument, message: expect.stringContaining('plain http') });
      expect(server.requests).toEqual(['/models/Tiny-Chat.gguf', '/models/Tiny-Chat.gguf']);
    } finally {
      await server.stop();
    }
  });

  it('answers the aico models commands', async () => {
    const env = environment.env;
    const list = await runAico(['models', 'list', '--json'], env);
    expect(list).toMatchObject({ code: 0 });
    expect(JSON.parse(list.stdout)).toMatchObject({
      modelsDir,
      models: [
        { name: 'other', usedFor: ['chat'], fileMissing: false },
        { name: 'tiny-chat', architecture: 'llama', parameters: tiny.parameters, quantization: 'F32', contextLength: 1024, hasChatTemplate: true, usedFor: [] },
      ],
    });
    const imported = await runAico(['models', 'import', tiny.path, '--name', 'third'], env);
    expect(imported).toMatchObject({ code: 0, stdout: expect.stringContaining('Imported third (llama, 128K parameters, F32, context 1024, chat template)') });
    expect(await runAico(['models', 'use', 'third', '--for', 'background'], env)).toMatchObject({ code: 0, stdout: 'third is now used for background.\n' });
    expect((await runAico(['models', 'list'], env)).stdout).toMatch(/^third +llama +128K +F32 +1024 +508\.8 KiB +yes +background$/m);
    expect(await runAico(['models', 'import', join(inputs, 'notes.gguf')], env)).toMatchObject({
      code: 65,
      stderr: expect.stringContaining('is not a GGUF model file'),
    });
    expect(await runAico(['models', 'remove', 'nobody'], env)).toMatchObject({ code: 66, stderr: expect.stringContaining('(MODELS_UNKNOWN_MODEL)') });
    expect(await runAico(['models', 'remove', 'third'], env)).toMatchObject({ code: 0, stdout: 'Removed third (508.8 KiB freed).\n' });
  });

  it('reports a model whose file went missing, and refuses a pull the disk cannot hold, leaving no partial file', async () => {
    await rm(join(modelsDir, 'tiny-chat.gguf'));
    const listing = await request((timeoutMs) => client.request(ModelsTopics.catalogList, {}, { timeoutMs }));
    expect(listing.missingFiles).toEqual(['tiny-chat']);
    await request((timeoutMs) => client.request(ModelsTopics.catalogRemove, { name: 'tiny-chat' }, { timeoutMs }));

    // The models process again, now with a file-size limit below the model's size: writes past it fail (EFBIG),
    // as on a full disk, while the free space it reads is plenty (so the check against Content-Length passes). The
    // process must survive it: importing node-llama-cpp made SIGXFSZ deadly (see keepFileSizeLimitErrors).
    models.signal('SIGTERM');
    expect(await models.exited).toEqual({ code: 0, signal: null });
    models = await start('models', { fileSizeLimitKiB: 256 });
    const server = await ModelFileServer.start();
    try {
      const url = server.serve('/models/big.gguf', await readFile(tiny.path));
      await requestWhenRoutable((timeoutMs) => client.request(ModelsTopics.catalogList, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
      await expect(request((timeoutMs) => client.request(ModelsTopics.catalogPull, { source: url }, { timeoutMs }))).rejects.toMatchObject({
        code: ModelsErrorCode.DiskFull,
        message: expect.stringContaining('The partial download was removed'),
      });
      expect((await readdir(modelsDir)).sort()).toEqual(['other.gguf']);
      expect((await request((timeoutMs) => client.request(ModelsTopics.catalogList, {}, { timeoutMs }))).models.map((entry) => entry.id)).toEqual(['other']);
      expect((await stat(join(modelsDir, 'other.gguf'))).size).toBe(other.bytes);
      expect(models.lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
