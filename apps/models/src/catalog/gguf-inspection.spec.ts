// GGUF inspection on the project's generated models with the real node-llama-cpp reader: the facts a catalog entry
// shows, and a specific refusal for each bad file (not GGUF, cut short in its metadata or its tensor data, an
// architecture llama.cpp does not know, a directory, no file). The size table and the architecture list are checked
// against the bundled llama.cpp binary itself.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GGML_TYPE_SIZES } from './ggml-type-sizes';
import { inspectGgufFile, supportedArchitectures } from './gguf-inspection';
import { ModelsErrorCode } from '../models.error';
import type { NodeLlamaCpp } from '../node-llama-cpp';
import { importNodeLlamaCpp, makeTestModel, openTestEngine } from './testing/test-models.test-helpers';

let dir: string;
let api: NodeLlamaCpp;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aico-gguf-inspection-'));
  api = await importNodeLlamaCpp();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inspectGgufFile', () => {
  it('reads what the catalog shows: architecture, parameters, file type, context, template, sizes, name', async () => {
    const model = makeTestModel(join(dir, 'tiny.gguf'));
    expect(await inspectGgufFile(model.path, api)).toEqual({
      sizeBytes: BigInt(model.bytes),
      architecture: 'llama',
      parameters: BigInt(model.parameters),
      quantization: 'F32',
      contextLength: 1024,
      hasChatTemplate: true,
      embeddingLength: 64,
      blockCount: 2,
      displayName: 'aico test model',
    });
    const f16 = makeTestModel(join(dir, 'f16.gguf'), { f16: true, chatTemplate: false, context: 512, name: 'half' });
    expect(await inspectGgufFile(f16.path, api)).toMatchObject({ quantization: 'F16', hasChatTemplate: false, contextLength: 512, displayName: 'half' });
  });

  it('refuses a file that is not GGUF, and an empty one (NOT_GGUF)', async () => {
    writeFileSync(join(dir, 'notes.gguf'), 'just some text, not a model\n');
    await expect(inspectGgufFile(join(dir, 'notes.gguf'), api)).rejects.toMatchObject({
      code: ModelsErrorCode.NotGguf,
      message: expect.stringContaining('starts with "just", not "GGUF"'),
    });
    writeFileSync(join(dir, 'empty.gguf'), '');
    await expect(inspectGgufFile(join(dir, 'empty.gguf'), api)).rejects.toMatchObject({
      code: ModelsErrorCode.NotGguf,
      message: expect.stringContaining('it is empty'),
    });
  });

  it('refuses a GGUF version llama.cpp does not read (NOT_GGUF)', async () => {
    writeFileSync(join(dir, 'v9.gguf'), Buffer.concat([Buffer.from('GGUF'), Buffer.from([9, 0, 0, 0]), Buffer.alloc(40)]));
    await expect(inspectGgufFile(join(dir, 'v9.gguf'), api)).rejects.toMatchObject({
      code: ModelsErrorCode.NotGguf,
      message: expect.stringContaining('GGUF version 9'),
    });
  });

  it('refuses a file cut in its tensor data, naming the tensor as llama.cpp does (DAMAGED)', async () => {
    const cut = makeTestModel(join(dir, 'cut.gguf'), { truncate: true });
    await expect(inspectGgufFile(cut.path, api)).rejects.toMatchObject({
      code: ModelsErrorCode.Damaged,
      message: expect.stringMatching(/cut short \(\d+ bytes\): tensor 'blk\.\d\.[a-z_]+\.weight' data is not within the file bounds/),
      details: expect.objectContaining({ tensor: expect.stringMatching(/^blk\./) }),
    });
  });

  it('refuses a file cut one byte short, inside its last tensor (DAMAGED)', async () => {
    const whole = makeTestModel(join(dir, 'whole.gguf'));
    const cut = makeTestModel(join(dir, 'short-by-one.gguf'), { truncate: whole.bytes - 1 });
    await expect(inspectGgufFile(cut.path, api)).rejects.toMatchObject({
      code: ModelsErrorCode.Damaged,
      details: expect.objectContaining({ tensor: 'blk.1.ffn_down.weight' }),
    });
  });

  it('refuses a file cut inside its metadata, which node-llama-cpp reads past the end as zeros (DAMAGED)', async () => {
    const cut = makeTestModel(join(dir, 'cut-header.gguf'), { truncate: 200 });
    await expect(inspectGgufFile(cut.path, api)).rejects.toMatchObject({
      code: ModelsErrorCode.Damaged,
      message: expect.stringContaining('the file ends inside its metadata'),
    });
  });

  it('refuses an architecture llama.cpp does not know, and a vision projector (UNKNOWN_ARCHITECTURE)', async () => {
    const unknown = makeTestModel(join(dir, 'unknown.gguf'), { architecture: 'aico-unknown' });
    await expect(inspectGgufFile(unknown.path, api)).rejects.toMatchObject({
      code: ModelsErrorCode.UnknownArchitecture,
      message: expect.stringContaining('a "aico-unknown" model, an architecture the bundled llama.cpp does not know'),
      details: { architecture: 'aico-unknown' },
    });
    const projector = makeTestModel(join(dir, 'clip.gguf'), { architecture: 'clip' });
    await expect(inspectGgufFile(projector.path, api)).rejects.toMatchObject({ code: ModelsErrorCode.UnknownArchitecture });
  });

  it('says what is wrong with a path that is a directory, missing, or a URL (never fetched)', async () => {
    mkdirSync(join(dir, 'folder.gguf'));
    await expect(inspectGgufFile(join(dir, 'folder.gguf'), api)).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('is a directory'),
    });
    await expect(inspectGgufFile(join(dir, 'missing.gguf'), api)).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('there is no such file'),
    });
    await expect(inspectGgufFile('https://127.0.0.1:9/model.gguf', api)).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('there is no such file'),
    });
  });

  it('names the file as the caller knows it, not the temporary path it reads', async () => {
    writeFileSync(join(dir, '.tmp-1234'), 'nope');
    await expect(inspectGgufFile(join(dir, '.tmp-1234'), api, '/home/me/model.gguf')).rejects.toMatchObject({
      message: expect.stringMatching(/^\/home\/me\/model\.gguf is not a GGUF model file/),
    });
  });
});

describe('against the bundled llama.cpp (CPU, prebuilt binary)', () => {
  /** llama.cpp's own answers, through node-llama-cpp's native binding (not public API: a check of our copies). */
  interface Bindings {
    getIsArchSupported(name: string): boolean;
    getBlockSizeForGgmlType(type: number): number | undefined;
    getTypeSizeForGgmlType(type: number): number | undefined;
  }
  let bindings: Bindings;
  let close: () => void;
  beforeAll(async () => {
    const engine = await openTestEngine({ maxThreads: 1 });
    bindings = (engine.llama as unknown as { _bindings: Bindings })._bindings;
    close = () => engine.close();
  });
  afterAll(() => close());

  it('knows every architecture the catalog accepts, and not the ones it refuses', () => {
    const accepted = [...supportedArchitectures(api)];
    expect(accepted.length).toBeGreaterThan(100);
    expect(accepted).toEqual(expect.arrayContaining(['llama', 'qwen2', 'qwen3', 'gemma3', 'phi3']));
    expect(accepted.filter((name) => !bindings.getIsArchSupported(name))).toEqual([]);
    expect(bindings.getIsArchSupported('aico-unknown')).toBe(false);
  });

  it('gives every ggml type the block and type size of the size table', () => {
    const types = Object.values(api.GgmlType).filter((value): value is number => typeof value === 'number');
    const native = new Map(types.map((type) => [type, [bindings.getBlockSizeForGgmlType(type) ?? 0, bindings.getTypeSizeForGgmlType(type) ?? 0] as const]));
    // ggml answers 0 for the types it removed; the table leaves them out.
    const known = new Map([...native].filter(([, [block]]) => block > 0));
    expect(new Map(GGML_TYPE_SIZES)).toEqual(known);
  });
});
