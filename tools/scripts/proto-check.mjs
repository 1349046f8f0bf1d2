#!/usr/bin/env node
// Contract checks: `buf lint`, generated code identical to a fresh `buf generate`, and `buf breaking` against the
// previous state of main (the branch main when on another branch, else main's previous commit).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const buf = join(root, 'node_modules', '.bin', 'buf');
const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}` };
const GEN = 'libs/contracts/src/gen';
let failed = false;

function run(title, args) {
  const result = spawnSync(buf, args, { cwd: root, env, encoding: 'utf8' });
  const ok = result.status === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${title}`);
  if (!ok) {
    failed = true;
    process.stdout.write(result.stdout + result.stderr);
  }
  return ok;
}

function files(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

run('buf lint', ['lint']);

const scratch = mkdtempSync(join(tmpdir(), 'aico-buf-'));
try {
  if (run('buf generate (into a scratch directory)', ['generate', '-o', scratch])) {
    const fresh = files(join(scratch, GEN));
    const committed = files(join(root, GEN));
    const differing = [...new Set([...fresh.keys(), ...committed.keys()])].filter((file) => fresh.get(file) !== committed.get(file));
    if (differing.length > 0) {
      failed = true;
      console.log(`FAIL generated code is out of date: ${differing.join(', ')}. Run "npm run proto:generate" and commit ${GEN}.`);
    } else {
      console.log(`ok   generated code matches the protos (${committed.size} files)`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const branch = git('rev-parse', '--abbrev-ref', 'HEAD');
const mainExists = git('rev-parse', '--verify', '-q', 'refs/heads/main') !== undefined;
let against;
if (mainExists && branch !== 'main') against = 'branch=main';
else if (git('rev-parse', '--verify', '-q', 'HEAD~1^{commit}') && git('ls-tree', '-d', 'HEAD~1', 'proto')) against = 'ref=HEAD~1';
if (against) run(`buf breaking against ${against}`, ['breaking', '--against', `.git#${against},subdir=proto`]);
else console.log('skip buf breaking: no earlier commit of main with proto/ (first commit or shallow clone)');

process.exit(failed ? 1 : 0);
