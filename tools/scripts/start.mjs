#!/usr/bin/env node
// `npm start`: builds the apps and runs the supervisor (`aico start`) with the development profile on embedded
// defaults — no prompts, a generated development master key in ./.aico-dev (mode 0600, warned about in the log),
// loopback endpoints. The supervisor starts every app in order, restarts crashed ones, and on Ctrl-C stops them in
// reverse order.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { APPS_BUILD_DIR, appEntryPoint, builtAppEntryPoint } from '../build/build-paths.mjs';

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

const PROJECTS = ['bus', 'keys', 'storage', 'scheduler', 'monitor', 'models', 'conversation', 'gateway', 'supervisor', 'cli', 'web'];
const started = Date.now();
console.log(`Building ${PROJECTS.join(', ')} ...`);
const build = spawnSync(join(bin, 'nx'), ['run-many', '-t', 'build', '--projects', PROJECTS.join(','), '--output-style=static'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
console.log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s. Data directory: ${env.AICO_DATA_DIR} (profile ${env.AICO_PROFILE})`);
console.log(`The "aico" command: node ${appEntryPoint(APPS_BUILD_DIR, 'cli')} (e.g. "users add <name> --role admin", "status")`);
console.log(
  `The web client: https://127.0.0.1:${process.env.AICO_GATEWAY__PORT ?? 8443}/ (the gateway's self-signed certificate; "aico status" shows its fingerprint)`,
);

const supervisor = spawn(process.execPath, [builtAppEntryPoint(root, 'supervisor')], { cwd: root, env, stdio: 'inherit' });
// Ctrl-C reaches the supervisor from the terminal; this script only waits for it to finish stopping the apps.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => supervisor.kill('SIGTERM'));
supervisor.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
