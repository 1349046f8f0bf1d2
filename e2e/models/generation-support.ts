// Helpers for the generation e2e (generation.e2e-spec.ts), beside models-stack.ts: the sizes and limits its
// measurements use, greedy chat requests, a long generation held running (or stopped once it has written enough), the
// models process's CPU read after a stop, `aico generate` killed while it prints, the models app restarted with other
// settings, and a refusal checked by its code and message. Every wait is for a signal, with the e2e deadline.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { requestWhenRoutable } from '@aico/bus/testing';
import { ModelsTopics, type GenerateDelta } from '@aico/contracts';
import { cpuTicks, MODELS_TEST_ENV, raw, type Generated, type GenerateRequestInit, type ModelsStack } from './models-stack';
import { AICO_CLI } from '../support/aico-cli';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

/** A context no generation here fills before the test acts on it (each token is a fraction of a millisecond). */
export const LONG_CONTEXT = 65_536;
/** How far before its request's deadline a generation ends (so its reply surely arrives in time on a busy machine). */
export const DEADLINE_MARGIN_MS = 5_000;
/** The interval over which the models process's CPU time is read after a stop (a measurement, not a wait). */
export const IDLE_INTERVAL_MS = 3_000;
/** CPU ticks (1/100 s on Linux) an idle models process may use in IDLE_INTERVAL_MS: 10 % of a core; generating uses all of one. */
export const IDLE_TICKS = 30;
/** A raw completion of "abc" on "long" that runs until the test ends it (it never fills the context in a test's time). */
export const endless = (): GenerateRequestInit => raw('abc', { model: 'long', maxTokens: LONG_CONTEXT - 16 });

/** The deltas' sequence numbers are 1, 2, 3, … in arrival order. */
export function expectContiguous(deltas: readonly GenerateDelta[]): void {
  expect(deltas.map((delta) => Number(delta.sequence))).toEqual(deltas.map((_, index) => index + 1));
}

/** A greedy chat of these turns (the test models' answer is then known: predictContinuation after the template). */
export const greedyChat = (
  messages: { role: string; content: string }[],
  fields: Omit<GenerateRequestInit, 'input' | '$typeName'> = {},
): GenerateRequestInit => ({ input: { case: 'chat', value: { messages } }, temperature: 0, ...fields });

/** Asks the models service to cancel a generation (by its correlation id). */
export const cancelGeneration = (stack: ModelsStack, generationId: string) =>
  stack.requester.request(ModelsTopics.generateCancel, { generationId }, { timeoutMs: SIGNAL_TIMEOUT_MS });

/** The models service's status. */
export const modelsStatus = (stack: ModelsStack) => stack.requester.request(ModelsTopics.status, {}, { timeoutMs: SIGNAL_TIMEOUT_MS });

/** An endless generation on "long", stopped by `stop` once `afterTexts` text deltas have arrived. */
export async function stoppedGeneration(
  stack: ModelsStack,
  afterTexts: number,
  stop: (generationId: string) => Promise<void>,
): Promise<Generated & { generationId: string }> {
  const generationId = randomUUID();
  let texts = 0;
  let stopping: Promise<void> | undefined;
  const generated = await stack.generate(endless(), {
    correlationId: generationId,
    onDelta: (delta) => {
      if (delta.kind.case === 'text' && ++texts === afterTexts) stopping = stop(generationId);
    },
  });
  await stopping;
  return { ...generated, generationId };
}

/** An endless generation on "long" that has written its first text (it holds a slot until cancelled by its id). */
export async function runningGeneration(stack: ModelsStack): Promise<{ generationId: string; generated: Promise<Generated> }> {
  const generationId = randomUUID();
  let firstStarted!: () => void;
  const started = new Promise<void>((resolve) => (firstStarted = resolve));
  const generated = stack.generate(endless(), {
    correlationId: generationId,
    onDelta: (delta) => void (delta.kind.case === 'text' && firstStarted()),
  });
  generated.catch(() => undefined);
  await started;
  return { generationId, generated };
}

/** CPU ticks the models process uses over IDLE_INTERVAL_MS, read after the generation ended. */
export async function ticksAfterStop(stack: ModelsStack): Promise<number> {
  const pid = stack.process('models').pid;
  const before = await cpuTicks(pid);
  await delay(IDLE_INTERVAL_MS);
  return (await cpuTicks(pid)) - before;
}

/** Runs `aico generate` of an endless "abc" on "long" and kills it (SIGKILL) once it has printed `chars` characters. */
export async function generateKilledAfter(stack: ModelsStack, chars: number): Promise<{ printed: string; killedAt: number }> {
  const cli = spawn(
    process.execPath,
    [AICO_CLI, 'generate', '--raw', '--model', 'long', '--max-tokens', String(LONG_CONTEXT - 16), '--temperature', '0', 'abc'],
    { env: { PATH: process.env['PATH'], ...stack.environment.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = once(cli, 'exit');
  let printed = '';
  // The command prints the text as it streams.
  await new Promise<void>((resolve, reject) => {
    cli.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      printed += chunk;
      if (printed.length >= chars) resolve();
    });
    cli.on('error', reject);
    cli.on('exit', (code) => reject(new Error(`aico generate exited (${code}) before it printed ${chars} characters: ${printed}`)));
  });
  cli.kill('SIGKILL');
  const killedAt = Date.now();
  await exited;
  return { printed, killedAt };
}

/** The models app stopped and started again with these settings (over MODELS_TEST_ENV), once it answers. */
export async function restartModels(stack: ModelsStack, env: NodeJS.ProcessEnv): Promise<void> {
  await stack.process('models').stop();
  await stack.startApp('models', { ...MODELS_TEST_ENV, ...env });
  await requestWhenRoutable((timeoutMs) => stack.requester.request(ModelsTopics.status, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
}

/** The generation is refused with `code`, its message saying `says`. */
export const refused = (stack: ModelsStack, request: GenerateRequestInit, code: string, says: string) =>
  expect(stack.generate(request)).rejects.toMatchObject({ code, message: expect.stringContaining(says) });
