#!/usr/bin/env node
// `npm start`: builds the apps and runs them with the development profile on embedded defaults — no prompts, a
// generated development master key in ./.aico-dev (mode 0600, warned about in the log), loopback tcp endpoints.
// Starts the bus first and each other app once the one before it says it is ready; Ctrl-C stops them in reverse
// order. The supervisor issue replaces this with `aico start` (restarts, status, OS services).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'node_modules', '.bin');
const env = {
  ...process.env,
  NX_NO_CLOUD: 'true',
  NX_DAEMON: 'false',
  NX_TUI: 'false',
  AICO_PROFILE: process.env.AICO_PROFILE ?? 'development',
  AICO_DATA_DIR: process.env.AICO_DATA_DIR ?? join(root, '.aico-dev'),
  // The apps write to a pipe here; keep their output readable when this script's own output is a terminal.
  AICO_LOG__PRETTY: process.env.AICO_LOG__PRETTY ?? String(process.stdout.isTTY === true),
};

// The service apps in boot order, the bus first; those not written yet are skipped (the CLI is not a service).
const SERVICES = ['bus', 'keys', 'storage', 'scheduler', 'monitor', 'gateway'];
const apps = SERVICES.filter((name) => existsSync(join(root, 'apps', name, 'src', 'main.ts')));

console.log(`Building ${apps.join(', ')} ...`);
const build = spawnSync(join(bin, 'nx'), ['run-many', '-t', 'build', '--projects', apps.join(','), '--output-style=static'], { cwd: root, env, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
console.log(`Data directory: ${env.AICO_DATA_DIR} (profile ${env.AICO_PROFILE})`);

const children = [];
let stopping = false;

function startApp(name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'apps', name, 'apps', name, 'src', 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push({ name, child });
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`${line}\n`);
      if (line.includes(`${name} ready`)) resolve();
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready`));
      if (!stopping) {
        console.error(`${name} exited (${signal ?? code}); stopping the others`);
        void stopAll(1);
      }
    });
  });
}

async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const { name, child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    console.log(`${name} stopped`);
  }
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  for (const name of apps) await startApp(name);
  console.log(`aico is running (${apps.join(', ')}). Press Ctrl-C to stop.`);
} catch (error) {
  console.error(error.message);
  await stopAll(1);
}
