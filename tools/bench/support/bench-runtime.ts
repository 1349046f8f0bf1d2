// What the benchmarks share: starting a built aico app as a real process (ready when it logs "<app> ready"), a
// percentile of sorted samples, and a description of the machine the figures came from.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The workspace root, from a benchmark built to dist/bench-<name>/tools/bench/<dir>/. */
export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..', '..', '..');

export function startBuiltApp(name: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(WORKSPACE_ROOT, `dist/apps/${name}/apps/${name}/src/main.js`)], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes(`"msg":"${name} ready"`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

export const percentile = (sorted: readonly number[], p: number): number => Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(3));

export const machine = () => ({ cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version });
