// The catalog's rules on real files, generated models, the real GGUF reader and a loopback HTTP server; only the
// storage records are kept in memory (the e2e spec runs them through the real storage app).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelPurpose, type CatalogModel } from '@aico/contracts';
import { captureLogger } from '@aico/logging';
import { CatalogEvents, type CatalogChange } from './catalog-events';
import { InMemoryCatalogRecords } from './catalog-records';
import { ModelCatalog, type ModelCatalogOptions } from './model-catalog';
import { ModelsErrorCode } from '../models.error';
import { LoopbackFileServer } from './testing/loopback-file-server.test-helpers';
import { importNodeLlamaCpp, makeTestModel, type TestModel } from './testing/test-models.test-helpers';

class HeardEvents extends CatalogEvents {
  readonly heard: [CatalogChange, string][] = [];
  changed(change: CatalogChange, model: CatalogModel): void {
    this.heard.push([change, model.id]);
  }
}

let dir: string;
let tiny: TestModel;
let other: TestModel;
let server: LoopbackFileServer;
let run = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aico-catalog-'));
  mkdirSync(join(dir, 'in'));
  tiny = makeTestModel(join(dir, 'in', 'Tiny-Model.F32.gguf'));
  other = makeTestModel(join(dir, 'in', 'other.gguf'), { seed: 3, chatTemplate: false });
  server = await LoopbackFileServer.start();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function newCatalog(overrides: Partial<ModelCatalogOptions> = {}) {
  const modelsDir = join(dir, `models-${++run}`);
  const records = new InMemoryCatalogRecords();
  const events = new HeardEvents();
  const released: string[] = [];
  const { logger, lines } = captureLogger('models');
  const sut = new ModelCatalog({
    modelsDir,
    records,
    events,
    logger,
    nodeLlamaCpp: importNodeLlamaCpp,
    residency: () => ({
      release: (name) => {
        // Released while the file is still there: the engine unloads before the file goes.
        released.push(`${name}:${existsSync(join(modelsDir, `${name}.gguf`)) ? 'file there' : 'file gone'}`);
        return Promise.resolve();
      },
    }),
    now: () => Date.UTC(2026, 0, 2),
    ...overrides,
  });
  return { sut, modelsDir, records, events: events.heard, released, lines };
}

describe('ModelCatalog', () => {
  it('imports a model: checked, copied (0600) under its name, with its GGUF facts and SHA-256; the first is used for chat', async () => {
    const { sut, modelsDir, records, events } = newCatalog();
    const model = await sut.import({ path: tiny.path, sha256: tiny.sha256.toUpperCase() });
    expect(model).toMatchObject({
      id: 'tiny-model.f32',
      file: 'tiny-model.f32.gguf',
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
      addedAt: expect.objectContaining({ seconds: BigInt(Date.UTC(2026, 0, 2) / 1000) }),
    });
    expect(readFileSync(join(modelsDir, 'tiny-model.f32.gguf')).equals(readFileSync(tiny.path))).toBe(true);
    expect(statSync(join(modelsDir, 'tiny-model.f32.gguf')).mode & 0o777).toBe(0o600);
    expect(records.entries.get('tiny-model.f32')).toEqual(model);
    expect(events).toEqual([['imported', 'tiny-model.f32']]);

    const second = await sut.import({ path: other.path, name: 'second' });
    expect(second).toMatchObject({ id: 'second', hasChatTemplate: false, usedFor: [] });
    expect(await sut.list()).toEqual({ models: [second, model], modelsDir, missingFiles: [] });
  });

  it('refuses a name that is taken, or being imported at the same moment (ALREADY_EXISTS)', async () => {
    const { sut, modelsDir } = newCatalog();
    await sut.import({ path: tiny.path, name: 'tiny' });
    await expect(sut.import({ path: other.path, name: 'tiny' })).rejects.toMatchObject({
      code: ModelsErrorCode.AlreadyExists,
      message: expect.stringContaining('is in the catalog already'),
    });
    const both = await Promise.allSettled([sut.import({ path: other.path, name: 'twin' }), sut.import({ path: other.path, name: 'twin' })]);
    expect(both.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(both.find((result) => result.status === 'rejected')).toMatchObject({
      reason: { code: ModelsErrorCode.AlreadyExists, message: expect.stringContaining('being imported or pulled right now') },
    });
    expect(readdirSync(modelsDir).sort()).toEqual(['tiny.gguf', 'twin.gguf']);
  });

  it('refuses bad files with their own codes, copying nothing', async () => {
    const { sut, modelsDir, records } = newCatalog();
    writeFileSync(join(dir, 'in', 'text.gguf'), 'hello');
    const truncated = makeTestModel(join(dir, 'in', 'cut.gguf'), { truncate: true });
    const unknown = makeTestModel(join(dir, 'in', 'alien.gguf'), { architecture: 'aico-unknown' });
    mkdirSync(join(dir, 'in', 'folder.gguf'), { recursive: true });
    const cases: [string, ModelsErrorCode, string][] = [
      [join(dir, 'in', 'text.gguf'), ModelsErrorCode.NotGguf, 'is not a GGUF model file'],
      [truncated.path, ModelsErrorCode.Damaged, 'data is not within the file bounds'],
      [unknown.path, ModelsErrorCode.UnknownArchitecture, '"aico-unknown"'],
      [join(dir, 'in', 'folder.gguf'), ModelsErrorCode.InvalidArgument, 'is a directory'],
      [join(dir, 'in', 'nothing.gguf'), ModelsErrorCode.InvalidArgument, 'there is no such file'],
      ['in/tiny.gguf', ModelsErrorCode.InvalidArgument, 'is not an absolute path'],
    ];
    for (const [path, code, message] of cases) await expect(sut.import({ path })).rejects.toMatchObject({ code, message: expect.stringContaining(message) });
    await expect(sut.import({ path: tiny.path, name: '../escape' })).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('is not a model name'),
    });
    await expect(sut.import({ path: tiny.path, sha256: 'abc' })).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('is not a SHA-256'),
    });
    expect(records.entries.size).toBe(0);
    expect(existsSync(modelsDir) ? readdirSync(modelsDir) : []).toEqual([]);
  });

  it('refuses a file whose SHA-256 is not the one given, leaving nothing behind (CHECKSUM_MISMATCH)', async () => {
    const { sut, modelsDir, records } = newCatalog();
    await expect(sut.import({ path: tiny.path, sha256: other.sha256 })).rejects.toMatchObject({
      code: ModelsErrorCode.ChecksumMismatch,
      message: expect.stringContaining(`expected ${other.sha256}, got ${tiny.sha256}. Nothing was imported.`),
    });
    expect(readdirSync(modelsDir)).toEqual([]);
    expect(records.entries.size).toBe(0);
  });

  it('refuses an import the disk has no room for, before copying (DISK_FULL)', async () => {
    const { sut, modelsDir } = newCatalog({ freeSpace: () => Promise.resolve(10 * 1024 * 1024) });
    await expect(sut.import({ path: tiny.path })).rejects.toMatchObject({
      code: ModelsErrorCode.DiskFull,
      message: expect.stringContaining('kept free for aico'),
    });
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it('removes the copied file when storage does not take the record', async () => {
    const records = new InMemoryCatalogRecords();
    records.put = () => Promise.reject(new Error('storage is gone'));
    const { sut, modelsDir } = newCatalog({ records });
    await expect(sut.import({ path: tiny.path })).rejects.toThrow('storage is gone');
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it('makes one model the one for a purpose, taking it from the model that had it', async () => {
    const { sut, events } = newCatalog();
    await sut.import({ path: tiny.path, name: 'a' });
    await sut.import({ path: other.path, name: 'b' });
    expect(await sut.use('b')).toMatchObject({ id: 'b', usedFor: [ModelPurpose.CHAT] });
    expect(await sut.use('b', ModelPurpose.EMBEDDING)).toMatchObject({ usedFor: [ModelPurpose.CHAT, ModelPurpose.EMBEDDING] });
    const { models } = await sut.list();
    expect(models.map((model) => [model.id, model.usedFor])).toEqual([
      ['a', []],
      ['b', [ModelPurpose.CHAT, ModelPurpose.EMBEDDING]],
    ]);
    expect(events.filter(([change]) => change === 'used')).toEqual([
      ['used', 'b'],
      ['used', 'b'],
    ]);
    await expect(sut.use('nope')).rejects.toMatchObject({
      code: ModelsErrorCode.UnknownModel,
      message: expect.stringContaining('There is no model named "nope"'),
    });
  });

  it('resolves a model for the engine by name or purpose (background falls back to chat), and says what is missing', async () => {
    const { sut, modelsDir } = newCatalog();
    await expect(sut.resolve()).rejects.toMatchObject({ code: ModelsErrorCode.NoModel, message: expect.stringContaining('There is no model yet') });
    await sut.import({ path: tiny.path, name: 'a' });
    await sut.import({ path: other.path, name: 'b' });
    expect(await sut.resolve()).toMatchObject({ entry: { id: 'a' }, absolutePath: join(modelsDir, 'a.gguf') });
    expect(await sut.resolve({ purpose: ModelPurpose.BACKGROUND })).toMatchObject({ entry: { id: 'a' } });
    expect(await sut.resolve({ name: 'b' })).toMatchObject({ entry: { id: 'b' }, absolutePath: join(modelsDir, 'b.gguf') });
    await expect(sut.resolve({ purpose: ModelPurpose.EMBEDDING })).rejects.toMatchObject({
      code: ModelsErrorCode.NoModel,
      message: expect.stringContaining('aico models use <name> --for embedding'),
    });
    await expect(sut.resolve({ name: 'c' })).rejects.toMatchObject({ code: ModelsErrorCode.UnknownModel });
  });

  it('reports a model whose file went missing, without failing the list', async () => {
    const { sut, modelsDir, lines } = newCatalog();
    await sut.import({ path: tiny.path, name: 'gone' });
    await sut.import({ path: other.path, name: 'here' });
    rmSync(join(modelsDir, 'gone.gguf'));
    const listing = await sut.list();
    expect(listing.models.map((model) => model.id)).toEqual(['gone', 'here']);
    expect(listing.missingFiles).toEqual(['gone']);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'Catalog models without their weight file', models: ['gone'] }));
    await expect(sut.resolve({ name: 'gone' })).rejects.toMatchObject({
      code: ModelsErrorCode.LoadFailed,
      message: expect.stringContaining('The weight file of model "gone" is missing'),
    });
    expect(await sut.remove('gone')).toEqual({ removed: true, freedBytes: 0n });
  });

  it('removes a model: released by the engine first, then its record and its file', async () => {
    const { sut, modelsDir, records, released, events } = newCatalog();
    await sut.import({ path: tiny.path, name: 'tiny' });
    expect(await sut.remove('tiny')).toEqual({ removed: true, freedBytes: BigInt(tiny.bytes) });
    expect(released).toEqual(['tiny:file there']);
    expect(records.entries.size).toBe(0);
    expect(readdirSync(modelsDir)).toEqual([]);
    expect(events.at(-1)).toEqual(['removed', 'tiny']);
    await expect(sut.remove('tiny')).rejects.toMatchObject({ code: ModelsErrorCode.UnknownModel });
  });

  it('pulls a model from a server, keeping its URL without the query as the source', async () => {
    server.serve('/m/tiny.gguf', { body: readFileSync(tiny.path), etag: '"t"' });
    const { sut, modelsDir, events } = newCatalog();
    const phases: string[] = [];
    const model = await sut.pull({ source: `${server.origin}/m/tiny.gguf?token=secret`, sha256: tiny.sha256 }, { onProgress: (p) => phases.push(p.phase) });
    expect(model).toMatchObject({
      id: 'tiny',
      sha256: tiny.sha256,
      source: `${server.origin}/m/tiny.gguf`,
      architecture: 'llama',
      usedFor: [ModelPurpose.CHAT],
    });
    expect(readdirSync(modelsDir)).toEqual(['tiny.gguf']);
    expect(phases[0]).toBe('checking');
    expect(phases.at(-1)).toBe('done');
    expect(events).toEqual([['pulled', 'tiny']]);
  });

  it('leaves nothing behind when a pulled file has the wrong checksum or is not a model', async () => {
    server.serve('/m/tiny.gguf', { body: readFileSync(tiny.path) }).serve('/m/login.gguf', { body: Buffer.from('<html>please sign in</html>') });
    const { sut, modelsDir, records } = newCatalog();
    await expect(sut.pull({ source: `${server.origin}/m/tiny.gguf`, sha256: other.sha256 })).rejects.toMatchObject({ code: ModelsErrorCode.ChecksumMismatch });
    await expect(sut.pull({ source: `${server.origin}/m/login.gguf` })).rejects.toMatchObject({
      code: ModelsErrorCode.NotGguf,
      message: expect.stringContaining(`${server.origin}/m/login.gguf is not a GGUF model file`),
    });
    expect(readdirSync(modelsDir)).toEqual([]);
    expect(records.entries.size).toBe(0);
  });

  it('stops a running pull when the service stops, keeping what arrived', async () => {
    server.serve('/m/slow.gguf', { body: readFileSync(tiny.path), stallAfter: 1000 });
    const { sut, modelsDir } = newCatalog();
    const pull = sut.pull({ source: `${server.origin}/m/slow.gguf` }, { onProgress: (p) => p.phase === 'downloading' && sut.stop() });
    await expect(pull).rejects.toMatchObject({ code: ModelsErrorCode.DownloadFailed, message: expect.stringContaining('the download was stopped') });
    expect(readdirSync(modelsDir).sort()).toEqual(['slow.gguf.part', 'slow.gguf.part.json']);
  });

  it('removes temporary files an interrupted import left at start, and keeps .part files for a resume', async () => {
    const { sut, modelsDir } = newCatalog();
    mkdirSync(modelsDir);
    writeFileSync(join(modelsDir, '.tiny.gguf.0123456789ab.tmp'), 'half a copy');
    writeFileSync(join(modelsDir, 'big.gguf.part'), 'half a download');
    await sut.start();
    expect(readdirSync(modelsDir)).toEqual(['big.gguf.part']);
  });
});
