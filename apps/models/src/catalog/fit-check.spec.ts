// The fit check: the decision on numbers (laptop-sized cases), and the estimate from the real llama.cpp for a
// generated model fed into it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertFits, checkFit, estimateMemory, type FitInput } from './fit-check';
import { ModelsErrorCode } from '../models.error';
import { makeTestModel, openTestEngine, type TestEngine } from './testing/test-models.test-helpers';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const sevenB = (overrides: Partial<FitInput> = {}): FitInput => ({
  model: { name: 'mistral-7b-f16', quantization: 'F16', parameters: 7_241_732_096n },
  estimate: { modelRamBytes: 13.5 * GiB, modelVramBytes: 0, contextRamBytes: 1 * GiB, contextVramBytes: 0, contextSize: 8192 },
  freeRamBytes: 8 * GiB,
  freeVramBytes: 0,
  headroomBytes: 512 * MiB,
  ...overrides,
});

describe('checkFit', () => {
  it('fits when model, context and headroom are within what is available', () => {
    expect(checkFit(sevenB({ freeRamBytes: 16 * GiB }))).toEqual({
      fits: true,
      neededRamBytes: 15 * GiB,
      freeRamBytes: 16 * GiB,
      neededVramBytes: 0,
      freeVramBytes: 0,
      shortByBytes: 0,
      suggestions: [],
      message: '',
    });
    // Exactly enough is enough.
    expect(checkFit(sevenB({ freeRamBytes: 15 * GiB })).fits).toBe(true);
  });

  it('refuses a model too big for the machine, with the numbers, a smaller quantization and closing apps to try', () => {
    const decision = checkFit(sevenB());
    expect(decision).toMatchObject({ fits: false, neededRamBytes: 15 * GiB, shortByBytes: 7 * GiB });
    expect(decision.contextThatFits).toBeUndefined();
    expect(decision.suggestions).toEqual([
      'a smaller quantization of this model (a Q4_K_M file is about 4.1 GiB, this F16 one needs 14 GiB)',
      'closing other applications (7.0 GiB more memory is needed)',
    ]);
    expect(decision.message).toBe(
      'Model "mistral-7b-f16" does not fit: it needs about 15 GiB of memory (the model 14 GiB, a context of 8192 tokens 1.0 GiB, 512 MiB kept free) and 8.0 GiB is available. ' +
        'Try a smaller quantization of this model (a Q4_K_M file is about 4.1 GiB, this F16 one needs 14 GiB), or closing other applications (7.0 GiB more memory is needed).',
    );
  });

  it('suggests the largest context that would fit, and a smaller model when the file is already small', () => {
    const decision = checkFit({
      model: { name: 'qwen2.5-7b-q4_k_m', quantization: 'Q4_K_M', parameters: 7_615_616_512n },
      estimate: { modelRamBytes: 4 * GiB, modelVramBytes: 0, contextRamBytes: 4 * GiB, contextVramBytes: 0, contextSize: 32768 },
      freeRamBytes: 6.5 * GiB,
      freeVramBytes: 0,
      headroomBytes: 512 * MiB,
    });
    expect(decision.contextThatFits).toBe(16384);
    expect(decision.suggestions).toEqual([
      'a smaller context (models.contextSize 16384 or less, instead of 32768)',
      'a smaller model (fewer parameters)',
      'closing other applications (2.0 GiB more memory is needed)',
    ]);
  });

  it('does not suggest a context too small to chat in', () => {
    const decision = checkFit(
      sevenB({
        freeRamBytes: 14.1 * GiB,
        estimate: { modelRamBytes: 13.5 * GiB, modelVramBytes: 0, contextRamBytes: 1 * GiB, contextVramBytes: 0, contextSize: 2048 },
      }),
    );
    expect(decision.fits).toBe(false);
    expect(decision.contextThatFits).toBeUndefined();
  });

  it('checks GPU memory too, and suggests fewer GPU layers', () => {
    const decision = checkFit(
      sevenB({
        freeRamBytes: 32 * GiB,
        freeVramBytes: 4 * GiB,
        estimate: { modelRamBytes: 1 * GiB, modelVramBytes: 12 * GiB, contextRamBytes: 0.5 * GiB, contextVramBytes: 1 * GiB, contextSize: 8192 },
      }),
    );
    expect(decision).toMatchObject({
      fits: false,
      neededVramBytes: 13 * GiB,
      shortByBytes: 9 * GiB,
      suggestions: ['fewer GPU layers, or the CPU (models.gpu: cpu)'],
    });
    expect(decision.message).toContain('it needs about 13 GiB of GPU memory and 4.0 GiB is free');
  });
});

describe('assertFits', () => {
  it('refuses with DOES_NOT_FIT, the numbers in the details', () => {
    expect(() => assertFits(sevenB())).toThrow(
      expect.objectContaining({
        code: ModelsErrorCode.DoesNotFit,
        message: expect.stringContaining('does not fit: it needs about 15 GiB'),
        details: {
          model: 'mistral-7b-f16',
          neededRamBytes: String(15 * GiB),
          freeRamBytes: String(8 * GiB),
          neededVramBytes: '0',
          freeVramBytes: '0',
          shortByBytes: String(7 * GiB),
        },
      }),
    );
    expect(assertFits(sevenB({ freeRamBytes: 20 * GiB })).fits).toBe(true);
  });
});

describe('estimateMemory with the real llama.cpp', () => {
  let dir: string;
  let engine: TestEngine;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aico-fit-'));
    engine = await openTestEngine({ maxThreads: 1 });
  });
  afterAll(async () => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('estimates a generated model and its context without loading it, and the check refuses it in too little memory', async () => {
    const model = makeTestModel(join(dir, 'tiny.gguf'));
    const small = await estimateMemory(engine.api, engine.llama, model.path, { contextSize: 256 });
    const large = await estimateMemory(engine.api, engine.llama, model.path, { contextSize: 4096 });
    expect(small.modelRamBytes).toBeGreaterThan(model.bytes * 0.5);
    expect(small.modelRamBytes).toBeLessThan(model.bytes * 4);
    expect(small.modelVramBytes).toBe(0);
    expect(large.contextRamBytes).toBeGreaterThan(small.contextRamBytes);
    // Figures for the record, never asserted against the machine.
    console.log(JSON.stringify({ fileBytes: model.bytes, estimate256: small, estimate4096: large }));

    const input = { model: { name: 'tiny', quantization: 'F32', parameters: model.parameters }, estimate: large, freeVramBytes: 0, headroomBytes: 0 };
    expect(checkFit({ ...input, freeRamBytes: large.modelRamBytes + large.contextRamBytes }).fits).toBe(true);
    expect(() => assertFits({ ...input, freeRamBytes: large.modelRamBytes + large.contextRamBytes - 1 })).toThrow(
      expect.objectContaining({ code: ModelsErrorCode.DoesNotFit, details: expect.objectContaining({ shortByBytes: '1' }) }),
    );
  });
});
