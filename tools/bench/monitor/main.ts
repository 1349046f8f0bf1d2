// The monitor's own cost, with real processes (the bus and the monitor, built), printed as JSON: the CPU time the
// monitor process and the children it spawns (`ps`, idle probes) use over a window, as a share of one core, in three
// configurations: as shipped (CPU and memory every second, battery every 30 s, processes every 10 s, a sample
// published every 5 s), a baseline with sampling off (what any aico service costs: heartbeats, bus, logging), and
// everything every second (what the tiers save). Also the cost of one call of each systeminformation source.
// Linux only (it reads /proc/<pid>/stat). Usage: main.js [seconds per configuration, default 30]
import { startBuiltApp } from '../support/bench-runtime';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import * as si from 'systeminformation';
import { createTestClient } from '@aico/bus/testing';
import { MonitorTopics } from '@aico/contracts';
import { createServiceTestEnvironment } from '@aico/service/testing';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of the process itself, and cutime + cstime of the children it has waited for, in seconds. */
function cpuSeconds(pid: number): { own: number; children: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = (index: number) => Number(fields[index]);
  return { own: (ticks(11) + ticks(12)) / CLOCK_TICKS_PER_SECOND, children: (ticks(13) + ticks(14)) / CLOCK_TICKS_PER_SECOND };
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

async function measure(name: string, seconds: number, monitorEnv: NodeJS.ProcessEnv) {
  const environment = await createServiceTestEnvironment('ipc', { AICO_LOG__LEVEL: 'warn', AICO_LOG__FILE: 'false' });
  const children: ChildProcess[] = [];
  try {
    children.push(await startBuiltApp('bus', { ...environment.env, AICO_LOG__LEVEL: 'info' }));
    const monitor = await startBuiltApp('monitor', { ...environment.env, ...monitorEnv, AICO_LOG__LEVEL: 'info' });
    children.push(monitor);
    const listener = createTestClient('supervisor', environment.keys, environment.endpoints);
    await listener.connect();
    let samples = 0;
    listener.subscribe(MonitorTopics.resourceSample, () => void samples++);
    // Start-up (module loading, the first readings) is not what this measures.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const before = cpuSeconds(monitor.pid!);
    const startedAt = performance.now();
    samples = 0;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const after = cpuSeconds(monitor.pid!);
    const elapsed = (performance.now() - startedAt) / 1000;
    await listener.close({ drainTimeoutMs: 0 });
    const own = after.own - before.own;
    const spawned = after.children - before.children;
    return {
      configuration: name,
      seconds: round(elapsed, 1),
      samplesPublished: samples,
      cpuSeconds: { monitorProcess: round(own), spawnedChildren: round(spawned) },
      percentOfOneCore: {
        monitorProcess: round((own / elapsed) * 100),
        spawnedChildren: round((spawned / elapsed) * 100),
        total: round(((own + spawned) / elapsed) * 100),
      },
    };
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await environment.cleanup();
  }
}

/**
 * The cost of one call of a source, spaced as the monitor spaces its calls (systeminformation caches a result for
 * 200 ms): own CPU summed over each awaited call (µs resolution), children over all calls (10 ms ticks).
 */
async function perCall(name: string, calls: number, call: () => unknown) {
  await call();
  const before = cpuSeconds(process.pid);
  let ownUs = 0;
  for (let i = 0; i < calls; i++) {
    const usage = process.cpuUsage();
    await call();
    const spent = process.cpuUsage(usage);
    ownUs += spent.user + spent.system;
    await new Promise((resolve) => setTimeout(resolve, 210));
  }
  const childrenMs = (cpuSeconds(process.pid).children - before.children) * 1000;
  return { source: name, calls, ownMsPerCall: round(ownUs / 1000 / calls, 2), childrenMsPerCall: round(childrenMs / calls, 2) };
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('This benchmark reads /proc and runs on Linux only.');
  const seconds = Number(process.argv[2] ?? 30);
  const costs = [
    await perCall('systeminformation currentLoad()', 50, () => si.currentLoad()),
    await perCall('os.cpus() (what the monitor uses for CPU)', 50, () => cpus()),
    await perCall('systeminformation mem()', 20, () => si.mem()),
    await perCall('systeminformation battery()', 20, () => si.battery()),
    await perCall('systeminformation processes() (macOS, Windows)', 30, () => si.processes()),
    await perCall('/proc/<pid>/stat + status, 3 pids (Linux)', 20, () =>
      Promise.all([process.pid, process.ppid, 1].flatMap((pid) => [readFile(`/proc/${pid}/stat`), readFile(`/proc/${pid}/status`)])),
    ),
  ];
  const configurations = [
    await measure('as shipped: sample 1 s, publish 5 s, processes 10 s, battery 30 s', seconds, {}),
    await measure('baseline: sampling off (heartbeats, bus, logging only)', seconds, { AICO_MONITOR__SAMPLE_INTERVAL_MS: '3600000' }),
    await measure('everything every second (processes from /proc)', seconds, {
      AICO_MONITOR__PUBLISH_INTERVAL_MS: '1000',
      AICO_MONITOR__PROCESS_INTERVAL_MS: '1000',
      AICO_MONITOR__BATTERY_INTERVAL_MS: '1000',
    }),
  ];
  console.log(
    JSON.stringify(
      {
        benchmark: 'monitor CPU use with real bus and monitor processes (ipc, CURVE)',
        machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAverageAtEnd: loadavg().map((value) => round(value, 2)) },
        target: 'total < 1% of one core as shipped',
        configurations,
        costPerCall: costs,
      },
      null,
      2,
    ),
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
