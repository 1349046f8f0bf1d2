// What the benchmarks share: starting a built aico app as a real process (ready when it logs "<app> ready"), a
// percentile of sorted samples, a median, a login to the gateway, and a description of the machine the figures came from.
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type Agent } from 'node:https';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { builtAppEntryPoint } from '../../build/build-paths.mjs';

/** The workspace root, from a benchmark built to dist/bench-<name>/tools/bench/<dir>/. */
export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..', '..', '..');

export function startBuiltApp(name: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ChildProcess> {
  // AICO_BENCH_APP_NODE_ARGS: Node arguments for the apps a benchmark starts (`--cpu-prof`, V8 flags to compare).
  const nodeArgs = process.env['AICO_BENCH_APP_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, builtAppEntryPoint(WORKSPACE_ROOT, name)], {
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes(`"msg":"${name} ready"`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

/** A monitor that admits every generation: what a benchmark measures is the path, not the machine's state. */
export const startAdmittingMonitor = (env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<ChildProcess> =>
  startBuiltApp(
    'monitor',
    {
      ...env,
      AICO_MONITOR__POLICY__MAX_CPU_PERCENT: '100',
      AICO_MONITOR__POLICY__CRITICAL_CPU_PERCENT: '100',
      AICO_MONITOR__POLICY__MIN_AVAILABLE_MEMORY_PERCENT: '0',
      AICO_MONITOR__POLICY__CRITICAL_AVAILABLE_MEMORY_PERCENT: '0',
      AICO_MONITOR__ACTIVITY__OS_IDLE: 'false',
    },
    timeoutMs,
  );

export const percentile = (sorted: readonly number[], p: number): number =>
  Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(3));

export const machine = () => ({ cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version });

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** Bytes in MiB, to one decimal; null or undefined stays null (a figure that could not be read). */
export const mib = (bytes: number | null | undefined): number | null => (bytes === null || bytes === undefined ? null : round(bytes / 2 ** 20, 1));

export const median = (values: readonly number[], digits = 2): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2, digits);
};

/** Logs in to the gateway at `base` (…/api/v1) over `agent`, trusting `ca`; answers the access token. */
export function login(base: string, agent: Agent, ca: string, username: string, password: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = request(`${base}/auth/login`, { method: 'POST', agent, ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('error', reject);
      res.on('end', () => resolve((JSON.parse(text) as { accessToken: string }).accessToken));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ username, password }));
  });
}
