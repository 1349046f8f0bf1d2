// A generation's result is the text its requester got in deltas, however it ends. llama.cpp (node-llama-cpp) may
// write one more token after a stop before it sees the abort; a stream the requester stopped takes no more deltas
// (the bus drops them), so that token must not be in the result either. The engine is faked here, at the edge: it
// writes its chunks, and one more after the stop, exactly as the real one was seen to (e2e/models/generation).
import { BusError, BusErrorCode, type ResponseStream } from '@aico/bus';
import { JobClass, ModelPurpose, StopReason, type GenerateDelta, type GenerateDeltaSchema } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { ResidentModel } from '../engine/llama-engine';
import type { ResolvedModel } from '../engine/model-resolver';
import type { JobTicket } from '../admission/monitor-jobs';
import type { NodeLlamaCpp } from '../node-llama-cpp';
import { Generation, type GenerationDeps } from './generation';
import type { GenerationSpec } from './generation-spec';
import type { Slot } from './model-scheduler';

const silent = { info: () => undefined, debug: () => undefined, warn: () => undefined, child: () => silent } as unknown as Logger;

const spec: GenerationSpec = {
  input: { kind: 'raw', prompt: 'abc' },
  model: { name: 'fake', purpose: ModelPurpose.CHAT },
  maxTokens: 100,
  temperature: 0,
  topP: undefined,
  topK: undefined,
  seed: undefined,
  stop: [],
  jsonSchema: undefined,
  jobClass: JobClass.INTERACTIVE,
  priority: 0,
};

/** A stream like the bus's: once its signal aborts, deltas are dropped (send resolves false). */
function fakeStream() {
  const controller = new AbortController();
  const delivered: GenerateDelta[] = [];
  const stream = {
    signal: controller.signal,
    get sent() {
      return delivered.length;
    },
    send: (delta: GenerateDelta) => {
      if (controller.signal.aborted) return Promise.resolve(false);
      delivered.push(delta);
      return Promise.resolve(true);
    },
  };
  return { stream: stream as unknown as ResponseStream<typeof GenerateDeltaSchema>, controller, delivered };
}

/**
 * node-llama-cpp's completion, faked: writes "d", "e", "f", … one chunk per token; `onChunk` is told each one, and
 * after the signal aborts it writes one more token before it stops (returning it in its response, as the real one).
 */
function fakeEngine(onChunk: (count: number) => void) {
  let used = 0;
  const sequence = {
    tokenMeter: { getState: () => ({}), diff: () => ({ usedOutputTokens: used }) },
    dispose: async () => undefined,
  };
  class LlamaCompletion {
    async generateCompletionWithMeta(_prompt: string, options: { maxTokens: number; signal: AbortSignal; onTextChunk: (text: string) => void }) {
      let response = '';
      for (let token = 0; token < options.maxTokens; token++) {
        const aborted = options.signal.aborted;
        const text = String.fromCharCode('d'.charCodeAt(0) + token);
        used++;
        response += text;
        options.onTextChunk(text);
        onChunk(used);
        if (aborted) return { response, metadata: { stopReason: 'abort' } };
        await Promise.resolve();
      }
      return { response, metadata: { stopReason: 'maxTokens' } };
    }
    dispose(): void {
      // Nothing to free in the fake.
    }
  }
  const llamaModel = { tokens: { shouldPrependBosToken: true, bos: 1 }, tokenize: (text: string) => [...text].map((_, index) => index + 10) };
  const resident = { model: { name: 'fake' }, llamaModel, context: { getSequence: () => sequence }, contextSize: 1024 } as unknown as ResidentModel;
  return { api: { LlamaCompletion } as unknown as NodeLlamaCpp, resident };
}

function generationWith(
  onChunk: (generation: Generation, count: number) => void,
  complete: () => Promise<void> = async () => undefined,
  extra: Partial<GenerationDeps> = {},
) {
  const { stream, controller, delivered } = fakeStream();
  // The engine's chunk callback needs the generation, which needs the engine: a holder ties the knot.
  const holder: { generation?: Generation } = {};
  const { api, resident } = fakeEngine((count) => onChunk(holder.generation!, count));
  const ticket = { id: 'job-1', pauseAdvised: false, complete } as unknown as JobTicket;
  const deps: GenerationDeps = {
    api: async () => ({ api, llama: { createGrammarForJsonSchema: () => Promise.reject(new Error('no grammar here')) } }),
    acquire: async (): Promise<Slot> => ({ resident, evicted: new AbortController().signal, release: () => undefined }),
    submit: async (owner) => {
      owner.admittedNow();
      return ticket;
    },
    logger: silent,
    ...extra,
  };
  const generation = new Generation('gen-1', 'gateway', spec, { name: 'fake' } as ResolvedModel, 1, stream, deps, performance.now());
  holder.generation = generation;
  return { generation, controller, delivered };
}

const joined = (deltas: readonly GenerateDelta[]) => deltas.map((delta) => (delta.kind.case === 'text' ? delta.kind.value : '')).join('');

describe('Generation', () => {
  it('answers with the text its requester got when the requester stops the stream, not a token written after the stop', async () => {
    const { generation, controller, delivered } = generationWith((_, count) => {
      if (count === 3) controller.abort(new BusError(BusErrorCode.Cancelled, 'the requester stopped it'));
    });
    const result = await generation.run();
    expect(joined(delivered)).toBe('def');
    expect(result).toMatchObject({ text: 'def', stopReason: StopReason.CANCELLED });
    expect(result.usage).toMatchObject({ completionTokens: 3 });
  });

  it('answers with the deltas joined when it is cancelled while its stream stays open', async () => {
    const { generation, delivered } = generationWith((self, count) => {
      if (count === 3) self.end({ kind: 'cancelled', reason: 'models.text.cancel' });
    });
    const result = await generation.run();
    expect(result).toMatchObject({ text: joined(delivered), stopReason: StopReason.CANCELLED });
    expect(result.text).toBe('def');
    expect(delivered.map((delta) => Number(delta.sequence))).toEqual([1, 2, 3]);
  });

  it('answers without waiting for the monitor to take the job’s completion', async () => {
    // A monitor that does not answer (stopped, or gone mid-generation): the job request would wait its whole timeout.
    let completions = 0;
    const { generation } = generationWith(
      (self, count) => {
        if (count === 3) self.end({ kind: 'deadline', reason: 'the request deadline passed' });
      },
      () => {
        completions++;
        return new Promise<void>(() => undefined);
      },
    );
    await expect(generation.run()).resolves.toMatchObject({ text: 'def', stopReason: StopReason.DEADLINE });
    expect(completions).toBe(1);
  });

  describe('its deadline', () => {
    afterEach(() => jest.useRealTimers());

    const endsAfter = (deadlineInMs: number, marginMs: number): number => {
      jest.useFakeTimers({ now: 1_000_000 });
      const { generation } = generationWith(() => undefined);
      const end = jest.spyOn(generation, 'end');
      generation.expireAt(Date.now() + deadlineInMs, marginMs);
      let elapsed = 0;
      while (end.mock.calls.length === 0 && elapsed <= deadlineInMs) {
        jest.advanceTimersByTime(1);
        elapsed++;
      }
      expect(end).toHaveBeenCalledWith({ kind: 'deadline', reason: 'the request deadline passed' });
      return elapsed;
    };

    it('ends it the margin before the request’s deadline', () => {
      expect(endsAfter(30_000, 1_000)).toBe(29_000);
    });

    it('ends it halfway to a deadline nearer than twice the margin, not at once', () => {
      expect(endsAfter(800, 1_000)).toBe(400);
      expect(endsAfter(3_000, 5_000)).toBe(1_500);
    });
  });

  it('tells the prompt log (models.promptLogFile) the prompt once, as the model reads it', async () => {
    const logged: unknown[] = [];
    const { generation } = generationWith(() => undefined, undefined, { promptLog: (entry) => logged.push(entry) });
    await generation.run();
    expect(logged).toEqual([{ generation: 'gen-1', requester: 'gateway', model: 'fake', prompt: 'abc' }]);
  });

  it('keeps every token when the model ends it', async () => {
    const { generation, delivered } = generationWith(() => undefined);
    const result = await generation.run();
    expect(result.stopReason).toBe(StopReason.MAX_TOKENS);
    expect(result.text).toHaveLength(100);
    expect(joined(delivered)).toBe(result.text);
  });
});
