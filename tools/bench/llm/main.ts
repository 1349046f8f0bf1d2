// The LLM benchmark (`npm run bench:llm`, issue 15): what the bus and the models app cost a generation, on the
// ~100M-parameter model tools/models generates (run.mjs makes it in a temporary directory). Not a test; JSON on
// stdout. In rounds that alternate their order (the machine may be busy with other work):
//   (a) node-llama-cpp in a process of its own, used as the models app uses it (in-process.mjs), driven over IPC;
//   (b) the same generation through the real bus, storage, monitor and models processes, as the `cli` identity with
//       bus.requestStream, and as a person runs it with the built `aico generate --raw --verbose`.
// Per generation: time to first token (from the call to the first text chunk/delta) and decode tokens/s (tokens after
// the first over the time from the first to the last chunk), greedy, the same raw prompt, tokens and threads. Then
// cancel to idle CPU: a long generation is stopped after some tokens and the process's CPU time (the sum of its
// threads' /proc schedstat, nanoseconds) is read every millisecond or so until it stays idle. And the resident memory
// the loaded model adds, against the file's size. Linux only.
// Usage: main.js <model.gguf> [threads, default 1] [tokens, default 128] [rounds, default 7]
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { builtAppEntryPoint } from '../../build/build-paths.mjs';
import type { MessageShape } from '@bufbuild/protobuf';
import { type BusClient } from '@aico/bus';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import { JobClass, ModelsTopics, StopReason } from '@aico/contracts';
import { createServiceTestEnvironment } from '@aico/service/testing';
import { machine, median, round, startAdmittingMonitor, startBuiltApp, WORKSPACE_ROOT } from '../support/bench-runtime';
import { cpuNs, IDLE_SHARE, IDLE_WINDOW_MS, idleAfter, rssOf } from './process-figures';

const [modelPath, threadsText = '1', tokensText = '128', roundsText = '7'] = process.argv.slice(2);
if (!modelPath) throw new Error('usage: main.js <model.gguf> [threads] [tokens] [rounds]');
const THREADS = Number(threadsText);
const TOKENS = Number(tokensText);
const ROUNDS = Number(roundsText);
/** The raw prompt of every measured generation: 104 characters of the test vocabulary's chain. */
const PROMPT = 'abcdefghijklmnopqrstuvwxyz'.repeat(4);
const CONTEXT = 2_048;
/** The short generation before each measured one. */
const WARM_TOKENS = 8;
/** The long generation a cancel stops: cancelled after CANCEL_AFTER text chunks. */
const LONG_TOKENS = 1_500;
const CANCEL_AFTER = 24;
const DEADLINE_MS = 600_000;

interface Generation {
  readonly timeToFirstTokenMs: number;
  readonly decodeTokensPerSecond: number;
  readonly completionTokens: number;
  readonly totalMs: number;
  /** CPU time per completion token of each process involved (prefill included). */
  readonly cpuMsPerToken: Readonly<Record<string, number>>;
}

const decodeRate = (completionTokens: number, firstToLastMs: number) => round(((completionTokens - 1) * 1000) / firstToLastMs, 1);

// ---- (a) node-llama-cpp in a process of its own ------------------------------------------------------------------

type ChildMessage = { type: 'ready' | 'progress' | 'result' | 'error'; [field: string]: unknown };

class InProcess {
  private listeners: ((message: ChildMessage) => void)[] = [];
  ready!: ChildMessage;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'error') throw new Error(`in-process benchmark: ${String(message['message'])}`);
      for (const listener of [...this.listeners]) listener(message);
    });
  }

  static async start(): Promise<InProcess> {
    const child = fork(join(WORKSPACE_ROOT, 'tools/bench/llm/in-process.mjs'), [modelPath!, String(THREADS), String(CONTEXT)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const self = new InProcess(child);
    self.ready = await self.next('ready');
    return self;
  }

  next(type: ChildMessage['type']): Promise<ChildMessage> {
    return new Promise((resolve) => {
      const listener = (message: ChildMessage) => {
        if (message.type !== type) return;
        this.listeners = this.listeners.filter((other) => other !== listener);
        resolve(message);
      };
      this.listeners.push(listener);
    });
  }

  async generate(maxTokens: number): Promise<Generation> {
    const result = this.next('result');
    const cpuBefore = cpuNs(this.child.pid!);
    this.child.send({ type: 'generate', prompt: PROMPT, maxTokens });
    const r = await result;
    const completionTokens = Number(r['completionTokens']);
    return {
      timeToFirstTokenMs: round(Number(r['timeToFirstTokenMs'])),
      decodeTokensPerSecond: decodeRate(completionTokens, Number(r['firstToLastMs'])),
      completionTokens,
      totalMs: round(Number(r['totalMs'])),
      cpuMsPerToken: { engine: round((cpuNs(this.child.pid!) - cpuBefore) / 1e6 / completionTokens, 3) },
    };
  }

  async cancelToIdle() {
    const progress = this.next('progress');
    const result = this.next('result');
    this.child.send({ type: 'generate', prompt: PROMPT, maxTokens: LONG_TOKENS, progressAfter: CANCEL_AFTER });
    await progress;
    const cancelledAt = performance.now();
    this.child.send({ type: 'cancel' });
    const idle = idleAfter(this.child.pid!);
    const stopReason = String((await result)['stopReason']);
    const resultAfterMs = round(performance.now() - cancelledAt, 1);
    return { stopReason, resultAfterMs, ...(await idle) };
  }
}

// ---- (b) through the bus and the models app ----------------------------------------------------------------------

async function busGenerate(client: BusClient, maxTokens: number, cancelAfter?: number) {
  const stop = new AbortController();
  let first: number | undefined;
  let last = 0;
  let chunks = 0;
  let cancelledAt = 0;
  let idle: ReturnType<typeof idleAfter> | undefined;
  const cpuBefore = { models: cpuNs(modelsPid), bus: cpuNs(busPid), requester: cpuNs(process.pid) };
  const started = performance.now();
  const result = await client.requestStream(
    ModelsTopics.generate,
    { input: { case: 'prompt', value: PROMPT }, model: 'bench', maxTokens, temperature: 0, jobClass: JobClass.INTERACTIVE },
    {
      timeoutMs: DEADLINE_MS,
      stopSignal: stop.signal,
      onDelta: (delta) => {
        if (delta.kind.case !== 'text' || delta.kind.value === '') return;
        const now = performance.now();
        first ??= now;
        last = now;
        if (++chunks === cancelAfter) {
          cancelledAt = performance.now();
          stop.abort();
          idle = idleAfter(modelsPid);
        }
      },
    },
  );
  const ended = performance.now();
  const completionTokens = result.usage?.completionTokens ?? 0;
  const perToken = (ns: number) => round(ns / 1e6 / completionTokens, 3);
  const cpuMsPerToken = {
    models: perToken(cpuNs(modelsPid) - cpuBefore.models),
    bus: perToken(cpuNs(busPid) - cpuBefore.bus),
    requester: perToken(cpuNs(process.pid) - cpuBefore.requester),
  };
  return {
    generation: {
      timeToFirstTokenMs: round(first! - started),
      decodeTokensPerSecond: decodeRate(completionTokens, last - first!),
      completionTokens,
      totalMs: round(ended - started),
      cpuMsPerToken,
    } satisfies Generation,
    usage: result.usage,
    result,
    cancel: idle ? { stopReason: StopReason[result.stopReason], resultAfterMs: round(ended - cancelledAt, 1), ...(await idle) } : undefined,
  };
}

/** `aico generate --raw --verbose` as a person runs it: first output and exit from the spawn, and the usage it prints. */
function cliGenerate(env: NodeJS.ProcessEnv, maxTokens: number): Promise<{ firstOutputMs: number; exitMs: number; usage: string; code: number | null }> {
  const cli = builtAppEntryPoint(WORKSPACE_ROOT, 'cli');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [cli, 'generate', '--raw', '--model', 'bench', '--temperature', '0', '--max-tokens', String(maxTokens), '--verbose', PROMPT],
    {
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let firstOutputMs = 0;
  let stderr = '';
  child.stdout.on('data', () => (firstOutputMs ||= round(performance.now() - started)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ firstOutputMs, exitMs: round(performance.now() - started), usage: stderr.trim().split('\n').at(-1) ?? '', code }));
  });
}

let modelsPid = 0;
let busPid = 0;

type ModelsUsage = { queuedMs: number; timeToFirstTokenMs: number; tokensPerSecond: number };
type Row = {
  round: number;
  loadAverage1m: number;
  inProcess: Generation;
  bus: Generation;
  modelsAppUsage: ModelsUsage;
  cli: Awaited<ReturnType<typeof cliGenerate>>;
};
type Cancel = { inProcess: Awaited<ReturnType<InProcess['cancelToIdle']>>; bus: NonNullable<Awaited<ReturnType<typeof busGenerate>>['cancel']> };

/** bus, storage, a monitor that admits every generation, and models; their pids for the CPU figures. */
async function startApps(env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<void> {
  const busApp = await startBuiltApp('bus', env, 120_000);
  children.push(busApp);
  busPid = busApp.pid!;
  children.push(await startBuiltApp('storage', env, 120_000));
  children.push(await startAdmittingMonitor(env, 120_000));
  const models = await startBuiltApp(
    'models',
    {
      ...env,
      AICO_MODELS__GPU: 'cpu',
      AICO_MODELS__THREADS: String(THREADS),
      AICO_MODELS__MAX_CONTEXT_SIZE: String(CONTEXT),
      AICO_MODELS__KEEP_ALIVE_MS: '3600000',
      AICO_MODELS__KEEP_ALIVE_ON_BATTERY_MS: '3600000',
    },
    120_000,
  );
  children.push(models);
  modelsPid = models.pid!;
}

/** ROUNDS rounds of in-process, bus and CLI generations, alternating which of the first two goes first. */
async function measureGenerations(bus: BusClient, inProcess: InProcess, env: NodeJS.ProcessEnv): Promise<Row[]> {
  const rows: Row[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const loadAverage1m = round(loadavg()[0]!);
    let a: Generation;
    let b: Awaited<ReturnType<typeof busGenerate>>;
    // Each measured generation right after a short one in the same process: a process that generated a moment ago
    // starts faster (caches, clocks; measured here: first token ~330 ms back to back, ~470 ms after 3 s idle).
    const measureA = async () => (await inProcess.generate(WARM_TOKENS), inProcess.generate(TOKENS));
    const measureB = async () => (await busGenerate(bus, WARM_TOKENS), busGenerate(bus, TOKENS));
    if (r % 2 === 0) {
      a = await measureA();
      b = await measureB();
    } else {
      b = await measureB();
      a = await measureA();
    }
    const cli = await cliGenerate(env, TOKENS);
    const usage = b.usage!;
    rows.push({
      round: r,
      loadAverage1m,
      inProcess: a,
      bus: b.generation,
      modelsAppUsage: { queuedMs: usage.queuedMs, timeToFirstTokenMs: usage.timeToFirstTokenMs, tokensPerSecond: usage.tokensPerSecond },
      cli,
    });
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
  }
  return rows;
}

/** ROUNDS cancellations each way, from a warm start: how long until the process is idle and the final result came. */
async function measureCancels(bus: BusClient, inProcess: InProcess): Promise<Cancel[]> {
  await inProcess.generate(WARM_TOKENS);
  const cancels: Cancel[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await inProcess.cancelToIdle();
    const b = (await busGenerate(bus, LONG_TOKENS, CANCEL_AFTER)).cancel!;
    cancels.push({ inProcess: a, bus: b });
    process.stderr.write(`${JSON.stringify(cancels.at(-1))}\n`);
  }
  return cancels;
}

interface Measured {
  readonly loadAverageAtStart: number[];
  readonly imported: MessageShape<typeof ModelsTopics.catalogImport.response>;
  readonly status: MessageShape<typeof ModelsTopics.status.response>;
  readonly rssBeforeLoad: number;
  readonly rssAfterLoad: number;
  readonly ready: InProcess['ready'];
  readonly rows: readonly Row[];
  readonly cancels: readonly Cancel[];
}

function report({ loadAverageAtStart, imported, status, rssBeforeLoad, rssAfterLoad, ready, rows, cancels }: Measured): string {
  const medianCpu = (of: readonly Generation[]) =>
    Object.fromEntries(Object.keys(of[0]!.cpuMsPerToken).map((name) => [name, median(of.map((g) => g.cpuMsPerToken[name]!))]));
  const summary = (of: readonly Generation[]) => ({
    timeToFirstTokenMs: median(of.map((g) => g.timeToFirstTokenMs)),
    decodeTokensPerSecond: median(of.map((g) => g.decodeTokensPerSecond)),
    cpuMsPerToken: medianCpu(of),
  });
  const a = summary(rows.map((row) => row.inProcess));
  const b = {
    ...summary(rows.map((row) => row.bus)),
    // What the models app measured itself: queued (admission by the monitor included), first token after the start, decode rate.
    modelsAppUsage: {
      requesterMinusModelsAppTimeToFirstTokenMs: median(rows.map((row) => row.bus.timeToFirstTokenMs - row.modelsAppUsage.timeToFirstTokenMs)),
      queuedMs: median(rows.map((row) => row.modelsAppUsage.queuedMs)),
      timeToFirstTokenMs: median(rows.map((row) => row.modelsAppUsage.timeToFirstTokenMs)),
      tokensPerSecond: median(rows.map((row) => row.modelsAppUsage.tokensPerSecond)),
    },
  };
  const loaded = status.loaded[0];
  return JSON.stringify(
    {
      machine: { ...machine(), loadAverageAtStart, loadAverageAtEnd: loadavg().map((value) => round(value)) },
      model: { fileBytes: statSync(modelPath!).size, parameters: Number(imported.model?.parameters ?? 0), quantization: imported.model?.quantization },
      settings: {
        threads: THREADS,
        promptCharacters: PROMPT.length,
        maxTokens: TOKENS,
        rounds: ROUNDS,
        contextSize: loaded?.contextSize,
        greedy: true,
        cancelAfterChunks: CANCEL_AFTER,
        idle: `< ${IDLE_SHARE * 100} % of a core over ${IDLE_WINDOW_MS} ms`,
      },
      median: {
        inProcess: a,
        bus: b,
        cli: {
          firstOutputFromSpawnMs: median(rows.map((row) => row.cli.firstOutputMs)),
          exitFromSpawnMs: median(rows.map((row) => row.cli.exitMs)),
        },
        ratioDecodeTokensPerSecondBusToInProcess: round(b.decodeTokensPerSecond / a.decodeTokensPerSecond, 3),
        addedTimeToFirstTokenMs: round(b.timeToFirstTokenMs - a.timeToFirstTokenMs, 1),
        // Per round (both measured minutes apart at most), less sensitive to the machine's drift than the medians' difference.
        addedTimeToFirstTokenMsMedianOfRounds: median(rows.map((row) => row.bus.timeToFirstTokenMs - row.inProcess.timeToFirstTokenMs)),
        ratioDecodeTokensPerSecondMedianOfRounds: round(median(rows.map((row) => row.bus.decodeTokensPerSecond / row.inProcess.decodeTokensPerSecond)), 3),
        cancelToIdleMs: { inProcess: median(cancels.map((c) => c.inProcess.idleAfterMs)), bus: median(cancels.map((c) => c.bus.idleAfterMs)) },
        cancelToFinalResultMs: { inProcess: median(cancels.map((c) => c.inProcess.resultAfterMs)), bus: median(cancels.map((c) => c.bus.resultAfterMs)) },
      },
      memory: {
        fileBytes: statSync(modelPath!).size,
        inProcessRssGrowthOfLoadBytes: Number(ready['rssAfterLoad']) - Number(ready['rssBeforeLoad']),
        inProcessRssAfterLoadBytes: Number(ready['rssAfterLoad']),
        modelsAppRssGrowthOfFirstLoadBytes: rssAfterLoad - rssBeforeLoad,
        modelsAppRssAfterLoadBytes: rssAfterLoad,
        modelsStatusMemoryBytes: Number(loaded?.memoryBytes ?? 0),
        modelsStatusRssBytes: Number(status.rssBytes),
      },
      rounds: rows,
      cancels,
    },
    null,
    2,
  );
}

async function main() {
  const loadAverageAtStart = loadavg().map((value) => round(value));
  const environment = await createServiceTestEnvironment('ipc', { AICO_LOG__LEVEL: 'info', AICO_LOG__FILE: 'false' });
  const children: ChildProcess[] = [];
  let inProcess: InProcess | undefined;
  let client: BusClient | undefined;
  try {
    await startApps(environment.env, children);
    client = createTestClient('cli', environment.keys, environment.endpoints, { requestTimeoutMs: DEADLINE_MS });
    await client.connect();
    const bus = client;
    await requestWhenRoutable((timeoutMs) => bus.request(ModelsTopics.status, {}, { timeoutMs }), 120_000);
    const imported = await bus.request(ModelsTopics.catalogImport, { path: modelPath!, name: 'bench' }, { timeoutMs: DEADLINE_MS });

    // Memory: the models process before and after its first load (the warm-up below loads the model).
    const rssBeforeLoad = rssOf(modelsPid);
    await busGenerate(bus, 8);
    const rssAfterLoad = rssOf(modelsPid);
    const status = await bus.request(ModelsTopics.status, {}, { timeoutMs: DEADLINE_MS });
    inProcess = await InProcess.start();
    await inProcess.generate(8);
    await cliGenerate(environment.env, 8);

    const rows = await measureGenerations(bus, inProcess, environment.env);
    const cancels = await measureCancels(bus, inProcess);
    console.log(report({ loadAverageAtStart, imported, status, rssBeforeLoad, rssAfterLoad, ready: inProcess.ready, rows, cancels }));
  } finally {
    inProcess?.child.kill('SIGKILL');
    await client?.close({ drainTimeoutMs: 0 });
    for (const child of children.reverse()) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)),
    );
    await environment.cleanup();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
