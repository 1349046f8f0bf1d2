// The footprint benchmark (`npm run bench:footprint`): what the whole system costs when it does nothing. It starts
// aico as a user does (`aico setup`, `aico start --detach`: the supervisor and its default apps, default settings,
// development profile, a temporary data directory), waits until every app is ready and the system has settled, and
// measures each process (the supervisor and its apps): RSS and threads (/proc/<pid>/status), PSS
// (/proc/<pid>/smaps_rollup), V8 heap used/total (the process's latest heartbeat), and CPU over an idle window
// (utime + stime from /proc/<pid>/stat at its start and end, as % of one core), with the totals. Then again with a
// model resident in the models app (run.mjs generates the ~100M-parameter bench model), so its share is visible.
// Not a test; JSON on stdout, progress on stderr. Linux for the /proc figures (elsewhere they are null).
// Usage: main.js [model.gguf]; AICO_BENCH_IDLE_SECONDS (default 60) sets the idle window; AICO_BENCH_SETTLE_MIN_SECONDS
// (default 150) the least time to wait before it: V8 trims a fresh process's heap with a few full collections in its
// first minutes, rare enough that the system's CPU is already low between them, so a shorter wait measures start-up's
// tail (10 s: 1.60 % of a core and 839.5 MiB RSS against 0.88 % and 757.5 MiB after 150 s, issue 18).
import { type BusClient } from '@aico/bus';
import { machine, round } from '../support/bench-runtime';
import { makeModelResident, stillLoaded, type ResidentModel } from './resident-model';
import { RunningSystem } from './running-system';
import { Heartbeats, measure, readyProcesses, settle, type Snapshot } from './snapshot';

const IDLE_SECONDS = Number(process.env['AICO_BENCH_IDLE_SECONDS'] ?? 60);
if (!Number.isFinite(IDLE_SECONDS) || IDLE_SECONDS <= 0) throw new Error('AICO_BENCH_IDLE_SECONDS must be a positive number of seconds');
const SETTLE_MIN_SECONDS = Number(process.env['AICO_BENCH_SETTLE_MIN_SECONDS'] ?? 150);
if (!Number.isFinite(SETTLE_MIN_SECONDS) || SETTLE_MIN_SECONDS < 0) throw new Error('AICO_BENCH_SETTLE_MIN_SECONDS must be a number of seconds');
const modelPath = process.argv[2];

/** Targets of the issue: per service RSS (the gateway its own), the whole system's memory, and idle CPU. */
const TARGETS = { perServiceRssMiB: 60, gatewayRssMiB: 80, totalMiB: 420, idleCpuPercentTotal: 1 };

const progress = (text: string) => process.stderr.write(`footprint: ${text}\n`);

function targets(idle: Snapshot) {
  const over = idle.processes
    .map((p) => ({ name: p.name, rssMiB: p.rssMiB, target: p.name === 'gateway' ? TARGETS.gatewayRssMiB : TARGETS.perServiceRssMiB }))
    .filter((p) => p.rssMiB !== null && p.rssMiB > p.target);
  const met = (value: number | null, target: number) => (value === null ? null : value <= target);
  return {
    perServiceRssMiB: { target: TARGETS.perServiceRssMiB, gatewayTarget: TARGETS.gatewayRssMiB, over },
    totalRssMiB: { target: TARGETS.totalMiB, value: idle.totals.rssMiB, met: met(idle.totals.rssMiB, TARGETS.totalMiB) },
    // Summed RSS counts the pages the processes share (the Node binary, about 45 MiB each) once per process; summed
    // PSS splits them, so it is the memory the system takes from the machine. Both are reported against the target.
    totalPssMiB: { target: TARGETS.totalMiB, value: idle.totals.pssMiB, met: met(idle.totals.pssMiB, TARGETS.totalMiB) },
    idleCpuPercentTotal: {
      target: TARGETS.idleCpuPercentTotal,
      value: idle.totals.cpuPercent,
      met: met(idle.totals.cpuPercent, TARGETS.idleCpuPercentTotal),
    },
  };
}

/** Settles, then measures every process the supervisor reports over the idle window. */
async function snapshot(bus: BusClient, heartbeats: Heartbeats, label: string) {
  const processes = await readyProcesses(bus);
  progress(`${label}: ${processes.map((p) => `${p.name} ${p.pid}`).join(', ')}; settling`);
  const minMs = SETTLE_MIN_SECONDS * 1000;
  const settled = await settle(
    processes.map((p) => p.pid),
    { minMs, capMs: Math.max(60_000, minMs + 30_000) },
  );
  progress(
    `${label}: settled after ${settled.settleMs} ms (% of a core in the last 5-s windows: ${settled.lastWindowsCpuPercent.join(', ')}); measuring ${IDLE_SECONDS} s`,
  );
  const measured = await measure(processes, IDLE_SECONDS, heartbeats);
  progress(`${label}: RSS ${measured.totals.rssMiB} MiB, PSS ${measured.totals.pssMiB} MiB, CPU ${measured.totals.cpuPercent} % of a core`);
  return { settle: settled, ...measured };
}

type ModelResidentResult =
  | { modelResident: null; modelResidentSkipped: string }
  | { modelResident: Snapshot & { model: ResidentModel; stillLoadedAfterWindow: boolean } & Record<`${string}DeltaMiB`, number | null> };

async function withModel(system: RunningSystem, bus: BusClient, heartbeats: Heartbeats, idle: Snapshot): Promise<ModelResidentResult> {
  if (!modelPath) return { modelResident: null, modelResidentSkipped: 'no model file given (run.mjs generates one)' };
  progress(`making ${modelPath} resident`);
  let model: ResidentModel;
  try {
    model = await makeModelResident(system, bus, modelPath);
  } catch (error) {
    return { modelResident: null, modelResidentSkipped: `the model could not be made resident: ${(error as Error).message}` };
  }
  progress(`model resident: ${JSON.stringify(model)}`);
  const resident = await snapshot(bus, heartbeats, 'model resident');
  const models = (snap: Snapshot, key: 'rssMiB' | 'pssMiB' | 'heapUsedMiB') => snap.processes.find((p) => p.name === 'models')?.[key] ?? null;
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : round(b - a, 1));
  return {
    modelResident: {
      model,
      stillLoadedAfterWindow: await stillLoaded(bus),
      ...resident,
      modelsRssDeltaMiB: delta(models(idle, 'rssMiB'), models(resident, 'rssMiB')),
      modelsPssDeltaMiB: delta(models(idle, 'pssMiB'), models(resident, 'pssMiB')),
      modelsHeapUsedDeltaMiB: delta(models(idle, 'heapUsedMiB'), models(resident, 'heapUsedMiB')),
      totalRssDeltaMiB: delta(idle.totals.rssMiB, resident.totals.rssMiB),
      totalPssDeltaMiB: delta(idle.totals.pssMiB, resident.totals.pssMiB),
    },
  };
}

async function run(system: RunningSystem): Promise<void> {
  progress('aico start --detach');
  const startupMs = await system.start();
  progress(`every app ready after ${startupMs} ms`);
  const bus = await system.bus();
  const heartbeats = new Heartbeats(bus);
  const idle = await snapshot(bus, heartbeats, 'idle');
  const apps = idle.processes.map((p) => p.name).filter((name) => name !== 'supervisor');
  const firstApp = idle.processes.find((p) => p.name !== 'supervisor');
  const heartbeatIntervalMs = firstApp ? (heartbeats.latestOf(firstApp.name, firstApp.pid)?.intervalMs ?? null) : null;
  const model = await withModel(system, bus, heartbeats, idle);
  const result = {
    benchmark: 'footprint of the whole system at idle (aico start, default apps and settings), then with a model resident',
    machine: machine(),
    config: { idleSeconds: IDLE_SECONDS, profile: 'development', logLevel: 'info', heartbeatIntervalMs, apps, platform: process.platform },
    startupMs,
    idle,
    ...model,
    targets: targets(idle),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

async function main(): Promise<void> {
  const system = await RunningSystem.setUp();
  // Stopped on Ctrl-C too: the system runs detached and would outlive the benchmark.
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping aico`);
    void system.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await run(system);
  } finally {
    progress('aico stop');
    await system.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
