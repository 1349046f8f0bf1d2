// The models app in the whole supervised system (issue 15), as a user runs it: `aico setup` → `aico start` → `aico
// models import` of a model the project generates → `aico generate --raw` prints the model's predicted continuation.
// Then the models app is killed with SIGKILL in the middle of a generation, twice: once under a requester on the bus
// (it gets STREAM_STALLED, the bus's word for "the responder stopped answering", long before its 10-minute deadline)
// and once under `aico generate` (it says the models app ended and exits 69 as soon as the supervisor reports the
// crash). Each time the supervisor restarts the app and the next generation works. Nothing waits for time: every
// step waits for an answer, an exit or a state under a generous deadline.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusError, BusErrorCode, type BusClient } from '@aico/bus';
import { JobClass, ModelsTopics } from '@aico/contracts';
import { NORMAL_MONITOR_ENV, predictContinuation } from '../models/models-stack';
import { AICO_CLI } from '../support/aico-cli';
import { RunningSystem, type SupervisedAppStatus } from '../support/system';
import { connectAsCli, eventually } from '../support/system-bus';
import { makeTestModelFile } from '../support/test-models';

const PASSWORD = 'Models-system-2026!';
/** Setup, start, an import, a few generations and two SIGKILLs each waited out to a restart: minutes on a loaded machine. */
const TEST_MS = 900_000;
/** A state of the supervised system (an app restarted and ready): its deadline. */
const STATE_TIMEOUT_MS = 300_000;
/** The deadline of the generations that are killed: long, so an error before it is the requester noticing the crash. */
const LONG_DEADLINE_MS = 600_000;
/** A generation long enough to be running when the first delta arrives (the test model never writes end of sequence). */
const LONG_GENERATION_TOKENS = 900;

describe('the models app in the whole system', () => {
  let base: string;
  let system: RunningSystem | undefined;
  let client: BusClient | undefined;
  let modelPath: string;
  /** How long each requester waited after the kill for its error: printed, never asserted beyond its deadline. */
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'aico-models-system-'));
    modelPath = (await makeTestModelFile(join(base, 'tiny.gguf'))).path;
    system = await RunningSystem.start({
      password: PASSWORD,
      env: {
        // The machine is shared with other work: the monitor admits every generation (admission is tested elsewhere).
        ...NORMAL_MONITOR_ENV,
        AICO_MODELS__GPU: 'cpu',
        AICO_MODELS__THREADS: '1',
      },
    });
    client = await connectAsCli(system.env);
  }, STATE_TIMEOUT_MS);

  afterAll(async () => {
    await client?.close({ drainTimeoutMs: 0 });
    // `aico stop` stops every app it finds by its pid file, and apps never outlive their supervisor anyway; no pid is
    // signalled from here (a pid of a killed app may belong to another process by now).
    await system?.stop();
    await rm(base, { recursive: true, force: true });
    process.stdout.write(`${JSON.stringify({ modelsKilledMidGeneration: figures })}\n`);
  }, 180_000);

  const models = () => system!.app('models');
  const restartedAfter = (before: SupervisedAppStatus) =>
    eventually(
      async () => {
        const app = await models();
        return app.state === 'ready' && app.pid !== before.pid ? app : undefined;
      },
      'the models app restarted and ready',
      STATE_TIMEOUT_MS,
    );

  it(
    'imports a generated model and prints its predicted raw continuation with aico generate (and the usage with --verbose)',
    async () => {
      expect(await system!.aico(['models', 'import', modelPath, '--name', 'tiny'])).toMatchObject({ code: 0 });
      expect(await system!.aico(['models', 'use', 'tiny'])).toMatchObject({ code: 0, stdout: 'tiny is now used for chat.\n' });
      const expected = await predictContinuation('abc', 12);
      expect(expected).toMatch(/^defghij/);

      const plain = await system!.aico(['generate', '--raw', '--temperature', '0', '--max-tokens', '12', 'abc']);
      expect(plain).toMatchObject({ code: 0, stdout: `${expected}\n` });
      // Usage only when asked for.
      expect(plain.stderr).not.toMatch(/completion tokens/);

      const verbose = await system!.aico([
        'generate',
        '--raw',
        '--model',
        'tiny',
        '--temperature',
        '0',
        '--seed',
        '7',
        '--max-tokens',
        '12',
        '--verbose',
        'abc',
      ]);
      expect(verbose.stdout).toBe(`${expected}\n`);
      expect(verbose.stderr).toMatch(
        /^model tiny: \d+ prompt \+ 12 completion tokens, waited \d+ ms, first token after \d+ ms, [\d.]+ tokens\/s, stop: max tokens$/m,
      );
    },
    TEST_MS,
  );

  it(
    'a requester on the bus gets STREAM_STALLED before its deadline when the models app is killed mid-generation; the supervisor restarts it and the next request works',
    async () => {
      const before = await models();
      expect(before.state).toBe('ready');
      let killed = false;
      let killedAt = 0;
      let text = '';
      const started = Date.now();
      const outcome = await client!
        .requestStream(
          ModelsTopics.generate,
          { input: { case: 'prompt', value: 'abc' }, model: 'tiny', maxTokens: LONG_GENERATION_TOKENS, temperature: 0, jobClass: JobClass.INTERACTIVE },
          {
            timeoutMs: LONG_DEADLINE_MS,
            onDelta: (delta) => {
              if (delta.kind.case !== 'text') return;
              text += delta.kind.value;
              if (!killed) {
                killed = true;
                killedAt = Date.now();
                process.kill(before.pid, 'SIGKILL');
              }
            },
          },
        )
        .then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
      const waitedMs = Date.now() - started;
      figures['busRequesterErrorAfterKillMs'] = Date.now() - killedAt;
      expect(killed).toBe(true);
      expect(text).toMatch(/^d/);
      // Not a final reply (the process died before it could write one), and not the deadline: the bus noticed the silence.
      expect('error' in outcome && outcome.error).toBeInstanceOf(BusError);
      const error = (outcome as { error: BusError }).error;
      expect({ code: error.code, source: error.details['source'] }).toEqual({ code: BusErrorCode.StreamStalled, source: 'models' });
      expect(error.message).toMatch(/"models" stopped answering models\.text\.generate/);
      expect(waitedMs).toBeLessThan(LONG_DEADLINE_MS);

      const after = await restartedAfter(before);
      expect(after.restarts).toBe(before.restarts + 1);
      const next = await client!.requestStream(
        ModelsTopics.generate,
        { input: { case: 'prompt', value: 'abc' }, model: 'tiny', maxTokens: 12, temperature: 0, jobClass: JobClass.INTERACTIVE },
        { timeoutMs: STATE_TIMEOUT_MS },
      );
      expect(next.text).toBe(await predictContinuation('abc', 12));
    },
    TEST_MS,
  );

  it(
    'aico generate says the models app ended and exits 69 when it is killed mid-generation; the next aico generate works',
    async () => {
      const before = await models();
      expect(before.state).toBe('ready');
      const child = spawn(
        process.execPath,
        [
          AICO_CLI,
          'generate',
          '--raw',
          '--temperature',
          '0',
          '--max-tokens',
          String(LONG_GENERATION_TOKENS),
          '--timeout',
          String(LONG_DEADLINE_MS / 1000),
          'abc',
        ],
        {
          env: { PATH: process.env['PATH'], ...system!.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      let killed = false;
      let killedAt = 0;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (!killed && stdout.length > 0) {
          killed = true;
          killedAt = Date.now();
          process.kill(before.pid, 'SIGKILL');
        }
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const started = Date.now();
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (exitCode) => resolve(exitCode));
      });
      const waitedMs = Date.now() - started;
      figures['cliExitAfterKillMs'] = Date.now() - killedAt;
      expect(killed).toBe(true);
      expect(stdout).toMatch(/^d/);
      expect({ code, stderr }).toEqual({ code: 69, stderr: expect.stringMatching(/the models app ended \(signal SIGKILL\) .*\(RESPONDER_GONE\)/i) });
      expect(waitedMs).toBeLessThan(LONG_DEADLINE_MS);

      const after = await restartedAfter(before);
      expect(after.state).toBe('ready');
      expect(await system!.aico(['generate', '--raw', '--temperature', '0', '--max-tokens', '12', 'abc'])).toMatchObject({
        code: 0,
        stdout: `${await predictContinuation('abc', 12)}\n`,
      });
    },
    TEST_MS,
  );
});
