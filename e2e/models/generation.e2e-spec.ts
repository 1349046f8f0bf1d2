// Generation through the bus with the real engine (llama.cpp through node-llama-cpp) on the project's generated test
// models, whose greedy output is known in advance: bus, storage, monitor and the built models app as real processes,
// one thread, one slot. A raw completion comes in ordered deltas with the exact predicted text, a chat is answered,
// cancel (by models.text.cancel, and by the requester's stop) ends with "cancelled" and the partial text and the
// models process's CPU falls back to idle, a deadline ends a generation with its text so far, a second request
// waits for the one slot and says where, and every bad input gets its own code while the process stays up.
//
// Nothing here depends on the machine's speed: long generations are long in tokens (a context of 64K tokens, far
// more than any machine writes before the test acts on a delta), and every step waits for a delta or a reply.
import { randomUUID } from 'node:crypto';
import { ModelPurpose, ModelsErrorCode, ModelsTopics, StopReason } from '@aico/contracts';
import {
  cancelGeneration,
  DEADLINE_MARGIN_MS,
  endless,
  expectContiguous,
  generateKilledAfter,
  greedyChat,
  IDLE_INTERVAL_MS,
  IDLE_TICKS,
  LONG_CONTEXT,
  modelsStatus,
  refused,
  restartModels,
  runningGeneration,
  stoppedGeneration,
  ticksAfterStop,
} from './generation-support';
import { cpuTicks, ModelsStack, predictContinuation, raw, textDeltas, textOf, waitingDeltas, type GenerateRequestInit } from './models-stack';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

// Three process starts and a restart of the models app, a few model loads of a fraction of a second.
jest.setTimeout(10 * SIGNAL_TIMEOUT_MS);

describe('generation through the bus with the real engine', () => {
  let stack: ModelsStack;
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    stack = await ModelsStack.start({
      modelsEnv: {
        AICO_MODELS__SEQUENCES: '1',
        AICO_MODELS__MAX_CONTEXT_SIZE: String(LONG_CONTEXT),
        AICO_MODELS__DEADLINE_MARGIN_MS: String(DEADLINE_MARGIN_MS),
      },
    });
    // "long" is the chat model; "tiny" (its trained context: 1024 tokens) is for a prompt longer than its context.
    await stack.addModel('long', { context: LONG_CONTEXT }, [ModelPurpose.CHAT, ModelPurpose.EMBEDDING]);
    await stack.addModel('tiny', { seed: 2 });
  }, 6 * SIGNAL_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
    // Figures for the report (never asserted): tokens/s on the test model, CPU ticks after a stop.
    process.stdout.write(`generation e2e figures: ${JSON.stringify(figures)}\n`);
  });

  it('streams a raw completion of a known prompt: the exact predicted text in ordered deltas, with its stop reason and usage', async () => {
    const { result, deltas, streamed } = await stack.generate(raw('abc', { model: 'long', maxTokens: 40 }));
    const expected = await predictContinuation('abc', 40);
    expect(result).toMatchObject({ text: expected, stopReason: StopReason.MAX_TOKENS, model: 'long', error: '' });
    expect(result.jobId).not.toBe('');
    expectContiguous(deltas);
    expect(streamed).toBe(expected);
    // The model was loaded on demand: the deltas before the text say so, the text deltas count the tokens so far.
    const texts = textDeltas(deltas);
    expect(texts.length).toBeGreaterThan(1);
    const counts = texts.map((delta) => delta.completionTokens);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(40);
    const usage = result.usage!;
    // <s> and one token per character.
    expect(usage).toMatchObject({ promptTokens: 4, completionTokens: 40 });
    expect(usage.timeToFirstTokenMs).toBeGreaterThan(0);
    expect(usage.tokensPerSecond).toBeGreaterThan(0);
    expect(usage.generationMs).toBeGreaterThanOrEqual(usage.timeToFirstTokenMs);
    figures['rawTokensPerSecond'] = usage.tokensPerSecond;
    figures['rawTimeToFirstTokenMs'] = usage.timeToFirstTokenMs;
  });

  it('answers a chat through the model’s chat template', async () => {
    const recite = [
      { role: 'system', content: 'You recite.' },
      { role: 'user', content: 'Recite.' },
    ];
    const { result, deltas, streamed } = await stack.generate(greedyChat(recite, { maxTokens: 12 }));
    // The ChatML template ends in "<|im_start|>assistant\n": the answer continues after the newline.
    const expected = await predictContinuation('\n', 12);
    expect(expected.startsWith('abcdef')).toBe(true);
    expect(result).toMatchObject({ text: expected, stopReason: StopReason.MAX_TOKENS, model: 'long' });
    expect(result.usage).toMatchObject({ completionTokens: 12 });
    expect(result.usage!.promptTokens).toBeGreaterThan(10);
    expectContiguous(deltas);
    expect(streamed).toBe(expected);

    // A chat that ends with the assistant's words: the model continues them.
    const continuing = [
      { role: 'user', content: 'Recite.' },
      { role: 'assistant', content: 'abc' },
    ];
    const continued = await stack.generate(greedyChat(continuing, { maxTokens: 6 }));
    expect(continued.result).toMatchObject({ text: await predictContinuation('abc', 6), stopReason: StopReason.MAX_TOKENS });
  });

  it('stops before a stop string, and samples the same text twice with the same seed', async () => {
    const stopped = await stack.generate(raw('abc', { model: 'long', maxTokens: 40, stop: ['ijk', 'zzz'] }));
    expect(stopped.result).toMatchObject({ text: 'defgh', stopReason: StopReason.STOP_STRING });
    expect(stopped.streamed).toBe('defgh');

    const sampled = () => stack.generate(raw('abc', { model: 'long', maxTokens: 20, temperature: 1.5, topK: 40, topP: 0.95, seed: 7 }));
    const [once, twice] = [await sampled(), await sampled()];
    expect(once.result.text).toBe(twice.result.text);
    expect(once.result.usage!.completionTokens).toBe(20);
    expect(once.streamed).toBe(once.result.text);
  });

  it('follows a JSON schema given with the request', async () => {
    const schema = { type: 'object', properties: { answer: { enum: ['yes', 'no'] } }, required: ['answer'] };
    const { result, streamed } = await stack.generate(raw('abc', { model: 'long', maxTokens: 64, jsonSchema: JSON.stringify(schema) }));
    expect(streamed).toBe(result.text);
    expect(result.stopReason).toBe(StopReason.END_OF_SEQUENCE);
    expect(JSON.parse(result.text)).toEqual({ answer: expect.stringMatching(/^(yes|no)$/) });
  });

  it('ends a generation cancelled mid-stream (models.text.cancel, and the requester’s stop) with its partial text, and the CPU falls back to idle', async () => {
    let answer: unknown;
    const cancelled = await stoppedGeneration(stack, 20, async (generationId) => {
      answer = await stack.requester.request(ModelsTopics.generateCancel, { generationId, reason: 'the test stops it' }, { timeoutMs: SIGNAL_TIMEOUT_MS });
    });
    expect(answer).toMatchObject({ found: true });
    expect(cancelled.result.stopReason).toBe(StopReason.CANCELLED);
    expectContiguous(cancelled.deltas);
    expect(cancelled.streamed).toBe(cancelled.result.text);
    const tokens = cancelled.result.usage!.completionTokens;
    expect(tokens).toBeGreaterThanOrEqual(20);
    expect(tokens).toBeLessThan(LONG_CONTEXT - 16);
    expect(cancelled.result.text).toBe(await predictContinuation('abc', tokens));
    const idleAfterCancel = await ticksAfterStop(stack);
    expect(idleAfterCancel).toBeLessThanOrEqual(IDLE_TICKS);
    // A generation that is not (or no longer) there is not found.
    await expect(cancelGeneration(stack, cancelled.generationId)).resolves.toMatchObject({ found: false });

    // The requester stops the stream itself: the same end, and its reply still comes with the text so far.
    const stopper = new AbortController();
    const generationId = randomUUID();
    let texts = 0;
    const stopped = await stack.generate(endless(), {
      correlationId: generationId,
      stopSignal: stopper.signal,
      onDelta: (delta) => {
        if (delta.kind.case === 'text' && ++texts === 20) stopper.abort();
      },
    });
    expect(stopped.result.stopReason).toBe(StopReason.CANCELLED);
    expect(stopped.streamed).toBe(stopped.result.text);
    expect(stopped.result.usage!.completionTokens).toBeGreaterThanOrEqual(20);
    expect(stopped.result.text).toBe(await predictContinuation('abc', stopped.result.usage!.completionTokens));
    const idleAfterStop = await ticksAfterStop(stack);
    expect(idleAfterStop).toBeLessThanOrEqual(IDLE_TICKS);
    Object.assign(figures, {
      cancelledAfterTokens: tokens,
      idleTicksAfterCancel: idleAfterCancel,
      idleTicksAfterStop: idleAfterStop,
      idleIntervalMs: IDLE_INTERVAL_MS,
    });
  });

  it('stops a generation whose requester is killed mid-stream (aico generate, kill -9), and the CPU falls back to idle', async () => {
    const models = stack.process('models');
    const since = models.lines.length;
    // The command prints the text as it streams: kill it once 20 characters are on the screen.
    const { printed, killedAt } = await generateKilledAfter(stack, 20);
    expect(await predictContinuation('abc', printed.length)).toBe(printed);
    // The models service notices the requester is gone (it stops sending keep-alives) and ends the generation.
    const ended = await models.waitFor(
      (line) => line.msg === 'Generation ended' && line['why'] === 'the requester went away',
      SIGNAL_TIMEOUT_MS,
      'the end of the killed requester’s generation',
      since,
    );
    expect(ended).toMatchObject({ model: 'long', stop: 'CANCELLED' });
    const idle = await ticksAfterStop(stack);
    expect(idle).toBeLessThanOrEqual(IDLE_TICKS);
    Object.assign(figures, { idleTicksAfterRequesterKilled: idle, msFromKillToEnd: new Date(ended['time'] as string | number).getTime() - killedAt });
    await expect(modelsStatus(stack)).resolves.toMatchObject({ running: 0, waiting: 0 });
  });

  it('ends a generation whose deadline passes mid-stream with stop reason "deadline" and its text so far', async () => {
    let firstText = false;
    const pid = stack.process('models').pid;
    const ticksBefore = await cpuTicks(pid);
    // The request's deadline: the generation ends DEADLINE_MARGIN_MS before it, the reply arrives before it.
    const { result, deltas, streamed } = await stack.generate(endless(), {
      timeoutMs: DEADLINE_MARGIN_MS + 8_000,
      onDelta: (delta) => void (firstText ||= delta.kind.case === 'text'),
    });
    figures['ticksWhileGenerating'] = (await cpuTicks(pid)) - ticksBefore;
    figures['generatingMs'] = result.usage!.generationMs;
    expect(firstText).toBe(true);
    expect(result.stopReason).toBe(StopReason.DEADLINE);
    expectContiguous(deltas);
    expect(streamed).toBe(result.text);
    const tokens = result.usage!.completionTokens;
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThan(LONG_CONTEXT - 16);
    expect(result.text).toBe(await predictContinuation('abc', tokens));
    figures['tokensBeforeDeadline'] = tokens;
    figures['deadlineTokensPerSecond'] = result.usage!.tokensPerSecond;
  });

  it('answers at the deadline with the text so far while the monitor does not answer (its bookkeeping never holds a reply)', async () => {
    const monitor = stack.process('monitor');
    let stopped = false;
    try {
      const { result, streamed } = await stack.generate(endless(), {
        timeoutMs: DEADLINE_MARGIN_MS + 8_000,
        onDelta: (delta) => {
          // Admitted and streaming: now the monitor stops answering (its job requests wait their whole timeout).
          if (delta.kind.case !== 'text' || stopped) return;
          stopped = true;
          monitor.signal('SIGSTOP');
        },
      });
      expect(stopped).toBe(true);
      expect(result.stopReason).toBe(StopReason.DEADLINE);
      expect(result.text).toBe(streamed);
      expect(result.text).toBe(await predictContinuation('abc', result.usage!.completionTokens));
    } finally {
      monitor.signal('SIGCONT');
    }
  });

  it('with one slot, lets later requests wait, saying where they stand, and runs them in order after the first', async () => {
    const { generationId: firstId, generated: first } = await runningGeneration(stack);

    // The second waits behind the running first; the third, sent once the second is queued, waits behind both.
    let secondQueued!: () => void;
    const queued = new Promise<void>((resolve) => (secondQueued = resolve));
    const second = stack.generate(raw('abc', { model: 'long', maxTokens: 10 }), {
      onDelta: (delta) => void (delta.kind.case === 'waiting' && delta.kind.value.stage === 'queued' && secondQueued()),
    });
    second.catch(() => undefined);
    await queued;
    let statusWhileWaiting: unknown;
    let cancelling: Promise<unknown> | undefined;
    const third = await stack.generate(raw('ABC', { model: 'long', maxTokens: 10 }), {
      onDelta: (delta) => {
        if (delta.kind.case !== 'waiting' || delta.kind.value.position !== 2 || cancelling) return;
        // Both wait for the one slot: the status says so, then the first generation is stopped to free it.
        cancelling = modelsStatus(stack)
          .then((status) => (statusWhileWaiting = status))
          .then(() => cancelGeneration(stack, firstId));
      },
    });
    await cancelling;
    const secondResult = await second;
    expect(statusWhileWaiting).toMatchObject({ running: 1, waiting: 2, loaded: [{ name: 'long', sequences: 1, threads: 1 }] });

    expect(waitingDeltas(secondResult.deltas)).toEqual([expect.objectContaining({ stage: 'queued', position: 1, reason: '1 of 1 generation slots in use' })]);
    // The third moved up when the second took the slot.
    expect(waitingDeltas(third.deltas).map(({ stage, position }) => [stage, position])).toEqual([
      ['queued', 2],
      ['queued', 1],
    ]);
    for (const [later, prompt] of [
      [secondResult, 'abc'],
      [third, 'ABC'],
    ] as const) {
      expect(later.result).toMatchObject({ text: await predictContinuation(prompt, 10), stopReason: StopReason.MAX_TOKENS });
      expectContiguous(later.deltas);
      // The waiting deltas came before any text.
      expect(later.deltas.findIndex((delta) => delta.kind.case === 'text')).toBeGreaterThan(
        later.deltas.findLastIndex((delta) => delta.kind.case === 'waiting'),
      );
      expect(textOf(later.deltas)).toBe(later.result.text);
      expect(later.result.usage!.queuedMs).toBeGreaterThan(0);
    }
    expect((await first).result.stopReason).toBe(StopReason.CANCELLED);
  });

  it('refuses bad input with its own code and message, and stays up', async () => {
    const generate = (request: GenerateRequestInit) => stack.generate(request);
    // "tiny" reads 1024 tokens at once; a prompt of 1500 characters is 1501 tokens.
    await expect(generate(raw('abcdefghij'.repeat(150), { model: 'tiny', maxTokens: 4 }))).rejects.toMatchObject({
      code: ModelsErrorCode.PromptTooLong,
      message: expect.stringContaining('The prompt is 1501 tokens, and model "tiny" reads at most 1024 at once'),
      source: 'models',
    });
    await refused(stack, raw('abc', { model: 'nobody' }), ModelsErrorCode.UnknownModel, 'nobody');
    await refused(stack, raw('abc', { model: 'long', temperature: 5 }), ModelsErrorCode.InvalidArgument, 'temperature must be from 0 (greedy) to 2, not 5');
    await refused(stack, raw('abc', { model: 'long', topP: 0 }), ModelsErrorCode.InvalidArgument, 'top_p must be above 0 and at most 1, not 0');
    await refused(stack, raw('', { model: 'long' }), ModelsErrorCode.InvalidArgument, 'The prompt is empty');
    await refused(
      stack,
      { input: { case: 'chat', value: { messages: [{ role: 'wizard', content: 'hi' }] } }, model: 'long' },
      ModelsErrorCode.InvalidArgument,
      'chat.messages[0].role is "wizard"',
    );
    await refused(stack, raw('abc', { model: 'long', jsonSchema: '{not json' }), ModelsErrorCode.InvalidArgument, 'json_schema is not JSON');

    // Files in the catalog that cannot be loaded (changed on disk after their import): llama.cpp's own reason.
    await stack.addModel('cut', { truncate: true, seed: 3 });
    await stack.addModel('alien', { architecture: 'aico-unknown', seed: 4 });
    await refused(stack, raw('abc', { model: 'cut', maxTokens: 4 }), ModelsErrorCode.Damaged, 'data is not within the file bounds');
    await refused(stack, raw('abc', { model: 'alien', maxTokens: 4 }), ModelsErrorCode.UnknownArchitecture, 'aico-unknown');

    // Still up, still generating.
    const after = await generate(raw('abc', { model: 'long', maxTokens: 5 }));
    expect(after.result).toMatchObject({ text: await predictContinuation('abc', 5), stopReason: StopReason.MAX_TOKENS });
    expect(stack.process('models').lines.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('counts tokens, embeds texts, and shows the loaded model in its status', async () => {
    const request = <T>(send: (timeoutMs: number) => Promise<T>) => send(SIGNAL_TIMEOUT_MS);
    const counted = await request((timeoutMs) =>
      stack.requester.request(ModelsTopics.tokensCount, { input: { case: 'text', value: 'abcdefghij' }, model: 'tiny' }, { timeoutMs }),
    );
    expect(counted).toMatchObject({ model: 'tiny', contextSize: 1024 });
    expect(counted.tokens).toBeGreaterThanOrEqual(10);
    expect(counted.tokens).toBeLessThanOrEqual(11);
    const chat = await request((timeoutMs) =>
      stack.requester.request(ModelsTopics.tokensCount, { input: { case: 'chat', value: { messages: [{ role: 'user', content: 'abc' }] } } }, { timeoutMs }),
    );
    expect(chat).toMatchObject({ model: 'long', contextSize: LONG_CONTEXT });
    // The count is what a generation of that chat reads (what context budgeting needs).
    const answered = await stack.generate(greedyChat([{ role: 'user', content: 'abc' }], { maxTokens: 1 }));
    expect(chat.tokens).toBe(answered.result.usage!.promptTokens);
    await expect(request((timeoutMs) => stack.requester.request(ModelsTopics.tokensCount, { model: 'long' }, { timeoutMs }))).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
    });

    const embedded = await request((timeoutMs) => stack.requester.request(ModelsTopics.embed, { texts: ['abc', 'abc', 'xyz'] }, { timeoutMs }));
    expect(embedded).toMatchObject({ model: 'long', dimensions: 64 });
    expect(embedded.embeddings.map((embedding) => embedding.values.length)).toEqual([64, 64, 64]);
    const [a, again, other] = embedded.embeddings.map((embedding) => embedding.values);
    expect(again).toEqual(a);
    expect(other).not.toEqual(a);
    expect(a!.every(Number.isFinite)).toBe(true);
    await expect(request((timeoutMs) => stack.requester.request(ModelsTopics.embed, { texts: [] }, { timeoutMs }))).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('at least one text'),
    });
    // "tiny" reads 1024 tokens at once: a longer text is refused with the numbers, a text just short of it embeds.
    await expect(
      request((timeoutMs) => stack.requester.request(ModelsTopics.embed, { texts: ['abc', 'abcdefghij'.repeat(150)], model: 'tiny' }, { timeoutMs })),
    ).rejects.toMatchObject({
      code: ModelsErrorCode.PromptTooLong,
      message: expect.stringContaining('texts[1] is 150'),
    });
    const nearlyFull = await request((timeoutMs) =>
      stack.requester.request(ModelsTopics.embed, { texts: ['abcdefghij'.repeat(100)], model: 'tiny' }, { timeoutMs }),
    );
    expect(nearlyFull).toMatchObject({ model: 'tiny', dimensions: 64 });
    expect(nearlyFull.embeddings[0]!.values).toHaveLength(64);

    const status = await request((timeoutMs) => stack.requester.request(ModelsTopics.status, {}, { timeoutMs }));
    expect(status).toMatchObject({
      backend: 'llama.cpp',
      running: 0,
      waiting: 0,
      loaded: [{ name: 'tiny', contextSize: 1024, sequences: 1, threads: 1, gpu: 'cpu', gpuLayers: 0 }],
      lastUnloadReason: 'replaced',
    });
    expect(status.loaded[0]!.memoryBytes).toBeGreaterThan(0n);
    expect(status.loaded[0]!.unloadAt).toBeDefined();
    expect(status.rssBytes).toBeGreaterThan(0n);
  });

  it('runs two generations at once with two sequences, each with its exact text', async () => {
    await restartModels(stack, { AICO_MODELS__SEQUENCES: '2', AICO_MODELS__MAX_CONTEXT_SIZE: String(LONG_CONTEXT) });
    const { generationId: firstId, generated: first } = await runningGeneration(stack);

    // The first one still runs (it has tens of thousands of tokens to go): the second gets the other sequence.
    let running: unknown;
    const second = await stack.generate(raw('ABC', { model: 'long', maxTokens: 30 }), {
      onDelta: (delta) => {
        if (delta.kind.case === 'text' && running === undefined) running = modelsStatus(stack);
      },
    });
    expect(second.result).toMatchObject({ text: await predictContinuation('ABC', 30), stopReason: StopReason.MAX_TOKENS });
    expect(waitingDeltas(second.deltas).filter((state) => state.stage === 'queued')).toEqual([]);
    await expect(running).resolves.toMatchObject({ running: 2, waiting: 0, loaded: [{ name: 'long', sequences: 2 }] });

    await cancelGeneration(stack, firstId);
    const { result } = await first;
    expect(result.stopReason).toBe(StopReason.CANCELLED);
    expect(result.text).toBe(await predictContinuation('abc', result.usage!.completionTokens));
  });

  it('refuses a model that does not fit before loading it, with the numbers, and stays up', async () => {
    // The models app again, now keeping 1 TiB free beyond what a model needs: nothing fits.
    await restartModels(stack, { AICO_MODELS__MEMORY_HEADROOM_BYTES: String(1024 ** 4) });
    await expect(stack.generate(raw('abc', { model: 'tiny', maxTokens: 4 }))).rejects.toMatchObject({
      code: ModelsErrorCode.DoesNotFit,
      message: expect.stringMatching(
        /^Model "tiny" does not fit: it needs about .+ of memory \(the model .+, a context of 1024 tokens .+, .+ kept free\) and .+ is available\. Try .+/,
      ),
      details: expect.objectContaining({
        model: 'tiny',
        neededRamBytes: expect.any(String),
        freeRamBytes: expect.any(String),
        shortByBytes: expect.any(String),
      }),
    });
    // Refused before loading: nothing is in memory, and nothing was loaded.
    expect(await modelsStatus(stack)).toMatchObject({ loaded: [], running: 0, waiting: 0 });
    expect(stack.process('models').lines.filter((line) => line.msg === 'Model loaded')).toEqual([]);
    // Counting tokens reads the vocabulary alone: it still answers.
    await expect(
      stack.requester.request(ModelsTopics.tokensCount, { input: { case: 'text', value: 'abc' }, model: 'tiny' }, { timeoutMs: SIGNAL_TIMEOUT_MS }),
    ).resolves.toMatchObject({ model: 'tiny' });
    expect(stack.process('models').lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
