// The generated test models, checked with the real engine (llama.cpp through node-llama-cpp, in this process,
// CPU, 1 thread): the bytes are deterministic, the metadata reads back, greedy output is exactly the predicted
// chain, a chat session answers through the ChatML template, and broken models fail with llama.cpp's own reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import { continuationTokens, makeTestModel, predictContinuation, type TestModel } from './make-test-model.mjs';
import { openTestEngine, type TestEngine } from './test-engine.mjs';

/** The sha256 of makeTestModel's default file: the same on every machine (seeded, integer-only arithmetic). */
const DEFAULT_MODEL_SHA256 = '089d977a0bbe3656abb10447392024baf6702abfd89a3d3fec73b40dca59bdde';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aico-test-model-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('predictContinuation', () => {
  it('follows the vocabulary chain from the last character: letters, digits, space, punctuation, round again', () => {
    expect(predictContinuation('abc', 10)).toBe('defghijklm');
    expect(predictContinuation('xyz', 4)).toBe('ABCD');
    expect(predictContinuation('the end: 8', 4)).toBe('9 !"');
    expect(predictContinuation('~', 3)).toBe('abc');
    // After a newline (where a chat template's generation prompt ends) the chain starts at its beginning.
    expect(predictContinuation('question\n', 5)).toBe('abcde');
  });

  it('drops a leading space, as llama.cpp does when it detokenizes a text starting with "▁"', () => {
    expect(continuationTokens('9', 3)).toEqual([' ', '!', '"']);
    expect(predictContinuation('9', 3)).toBe('!"');
  });

  it('refuses a prompt whose last character the model has no token for', () => {
    expect(() => predictContinuation('café', 3)).toThrow('not after "é"');
    expect(() => predictContinuation('', 3)).toThrow('not after ""');
  });

  it('follows a custom vocabulary', () => {
    expect(predictContinuation('b', 4, { vocabulary: 'abc' })).toBe('cabc');
  });
});

describe('makeTestModel', () => {
  let model: TestModel;
  beforeAll(() => {
    model = makeTestModel(join(dir, 'default.gguf'));
  });

  it('writes the same bytes every time, with a fixed sha256 for the default options, about 0.5 MB', () => {
    const again = makeTestModel(join(dir, 'again.gguf'));
    expect(readFileSync(again.path).equals(readFileSync(model.path))).toBe(true);
    expect(createHash('sha256').update(readFileSync(model.path)).digest('hex')).toBe(DEFAULT_MODEL_SHA256);
    expect(model.sha256).toBe(DEFAULT_MODEL_SHA256);
    expect(model.bytes).toBe(statSync(model.path).size);
    expect(model.bytes).toBeGreaterThan(400_000);
    expect(model.bytes).toBeLessThan(600_000);
  });

  it('changes with the seed, and halves in size in f16', () => {
    expect(makeTestModel(join(dir, 'seed2.gguf'), { seed: 2 }).sha256).not.toBe(DEFAULT_MODEL_SHA256);
    const f16 = makeTestModel(join(dir, 'f16.gguf'), { f16: true });
    expect(f16.bytes).toBeLessThan(model.bytes * 0.55);
    expect(f16.parameters).toBe(model.parameters);
  });

  it('refuses a width too small for a predictable model, and options that make no model', () => {
    expect(() => makeTestModel(join(dir, 'narrow.gguf'), { width: 16 })).toThrow(/16-wide model's greedy output is not predictable/);
    expect(() => makeTestModel(join(dir, 'odd.gguf'), { width: 64, heads: 3 })).toThrow(/must split into 3 heads/);
    expect(() => makeTestModel(join(dir, 'zero.gguf'), { layers: 0 })).toThrow('layers must be a positive integer');
    expect(() => makeTestModel(join(dir, 'dup.gguf'), { vocabulary: 'abca' })).toThrow('"a" appears twice');
  });

  it('writes metadata node-llama-cpp reads back: llama architecture, sizes, byte-fallback tokenizer, ChatML template', async () => {
    const { api } = await engine();
    const info = await api.readGgufFileInfo(model.path);
    const metadata = info.metadata as unknown as {
      general: Record<string, unknown>;
      llama: Record<string, unknown> & { attention: Record<string, unknown> };
      tokenizer: { ggml: Record<string, unknown> & { tokens: string[]; token_type: number[] }; chat_template: string };
    };
    expect(metadata.general).toMatchObject({ architecture: 'llama', name: 'aico test model', alignment: 32, file_type: 0 });
    expect(metadata.llama).toMatchObject({ context_length: 1024, embedding_length: 64, block_count: 2, feed_forward_length: 128 });
    expect(metadata.llama.attention).toMatchObject({ head_count: 4, head_count_kv: 4 });
    const { tokens, token_type: types } = metadata.tokenizer.ggml;
    expect(metadata.tokenizer.ggml).toMatchObject({ model: 'llama', bos_token_id: 1, eos_token_id: 2, unknown_token_id: 0 });
    expect(tokens).toHaveLength(model.vocabularySize);
    expect(tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(tokens[model.tokens.newline]).toBe('<0x0A>');
    expect(types[model.tokens.newline]).toBe(6);
    expect(tokens).toContain('▁');
    expect(tokens.slice(-2)).toEqual(['<|im_start|>', '<|im_end|>']);
    expect(metadata.tokenizer.chat_template).toContain('<|im_start|>assistant');
    expect(info.tensorInfo?.find((tensor) => tensor.name === 'token_embd.weight')?.dimensions).toEqual([64, model.vocabularySize]);
  });

  it('is made by the command line too', () => {
    const out = join(dir, 'cli.gguf');
    const printed = execFileSync(process.execPath, [join(__dirname, 'make-test-model.mjs'), out, '--width', '32', '--no-chat-template', '--f16'], {
      encoding: 'utf8',
    });
    const summary = JSON.parse(printed) as { bytes: number; sha256: string; options: { width: number; chatTemplate: boolean; f16: boolean } };
    expect(summary.options).toMatchObject({ width: 32, chatTemplate: false, f16: true });
    expect(summary.sha256).toBe(makeTestModel(join(dir, 'same-as-cli.gguf'), { width: 32, chatTemplate: false, f16: true }).sha256);
    const wrong = spawnSync(process.execPath, [join(__dirname, 'make-test-model.mjs'), out, '--layers', 'many'], { encoding: 'utf8' });
    expect(wrong.status).toBe(64);
    expect(wrong.stderr).toContain('--layers needs an integer');
  });
});

// ---- the real engine ----

let opened: Promise<TestEngine> | undefined;
/** One engine for this file (the process's shared Llama, with a log of this file's own). */
function engine(): Promise<TestEngine> {
  opened ??= openTestEngine({ maxThreads: 1 });
  return opened;
}
afterAll(async () => {
  if (opened) (await opened).close();
});

describe('a generated model in the real engine (llama.cpp, CPU, 1 thread)', () => {
  let model: TestModel;
  let loaded: LlamaModel;
  let loadMs: number;

  beforeAll(async () => {
    model = makeTestModel(join(dir, 'engine.gguf'));
    const { llama } = await engine();
    const started = performance.now();
    loaded = await llama.loadModel({ modelPath: model.path, gpuLayers: 0 });
    loadMs = performance.now() - started;
  });
  afterAll(async () => {
    await loaded?.dispose();
  });

  it('completes "abc" greedily with exactly the predicted continuation, streamed in order', async () => {
    const { api } = await engine();
    const context = await loaded.createContext({ contextSize: 256, threads: 1 });
    try {
      const completion = new api.LlamaCompletion({ contextSequence: context.getSequence() });
      const chunks: string[] = [];
      let firstChunkAt: number | undefined;
      const started = performance.now();
      const text = await completion.generateCompletion('abc', {
        maxTokens: 64,
        temperature: 0,
        onTextChunk: (chunk) => {
          firstChunkAt ??= performance.now();
          chunks.push(chunk);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      expect(text).toBe(predictContinuation('abc', 64));
      expect(text.startsWith('defghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')).toBe(true);
      expect(chunks.join('')).toBe(text);
      // Figures for the record (never asserted: tests must not depend on the machine's speed).
      console.log(
        JSON.stringify({
          model: { bytes: model.bytes, parameters: model.parameters },
          loadMs: Math.round(loadMs),
          firstTokenMs: Math.round((firstChunkAt ?? Number.NaN) - started),
          tokensPerSecond: Math.round(64 / seconds),
          threads: 1,
        }),
      );
    } finally {
      await context.dispose();
    }
  });

  it('keeps to the chain past the vocabulary end, through the space, and around again', async () => {
    const { api } = await engine();
    const context = await loaded.createContext({ contextSize: 512, threads: 1 });
    try {
      const completion = new api.LlamaCompletion({ contextSequence: context.getSequence() });
      expect(await completion.generateCompletion('xyz', { maxTokens: 120, temperature: 0 })).toBe(predictContinuation('xyz', 120));
      expect(await completion.generateCompletion('Z9', { maxTokens: 5, temperature: 0 })).toBe('!"#$');
    } finally {
      await context.dispose();
    }
  });

  it('answers a chat session through the ChatML template: the chain from the newline after "assistant"', async () => {
    const { api } = await engine();
    const context = await loaded.createContext({ contextSize: 256, threads: 1 });
    try {
      // A short system prompt: node-llama-cpp's default one does not fit a small context.
      const session = new api.LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: 'Be brief.' });
      expect(session.chatWrapper.wrapperName).toBe('ChatML');
      expect(await session.prompt('Hello there', { maxTokens: 12, temperature: 0 })).toBe(predictContinuation('\n', 12));
    } finally {
      await context.dispose();
    }
  });

  it('gives the same continuation from an f16 model', async () => {
    const { api, llama } = await engine();
    const f16 = await llama.loadModel({ modelPath: makeTestModel(join(dir, 'engine-f16.gguf'), { f16: true }).path, gpuLayers: 0 });
    try {
      const context = await f16.createContext({ contextSize: 256, threads: 1 });
      const completion = new api.LlamaCompletion({ contextSequence: context.getSequence() });
      expect(await completion.generateCompletion('abc', { maxTokens: 32, temperature: 0 })).toBe(predictContinuation('abc', 32));
    } finally {
      await f16.dispose();
    }
  });

  it("fails to load a truncated file, with llama.cpp's reason in the log", async () => {
    const { llama, log } = await engine();
    const truncated = makeTestModel(join(dir, 'truncated.gguf'), { truncate: true });
    expect(truncated.bytes).toBeLessThan(model.bytes);
    await expect(llama.loadModel({ modelPath: truncated.path, gpuLayers: 0 })).rejects.toThrow('Failed to load model');
    // The reason reaches the logger through a thread-safe callback, possibly after the rejection: wait for it.
    const reason = await log.waitFor(/tensor '[^']+' data is not within the file bounds/);
    expect(reason.level).toBe('error');
  });

  it('fails to load an unknown architecture, with its name in the reason', async () => {
    const { llama, log } = await engine();
    const unknown = makeTestModel(join(dir, 'unknown.gguf'), { architecture: 'aico-unknown' });
    await expect(llama.loadModel({ modelPath: unknown.path, gpuLayers: 0 })).rejects.toThrow('Failed to load model');
    await log.waitFor(/unknown model architecture: 'aico-unknown'/);
  });
});
