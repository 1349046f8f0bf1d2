#!/usr/bin/env node
// `npm test`: contract checks (buf), formatting, lint and typecheck of every project (Nx), build of the apps and e2e fixtures,
// then every Jest project (unit, contract, tools, e2e with real processes). It runs every step even after a
// failure and ends with one line CI reads: `N passed, N failed` (Jest tests plus the non-Jest checks).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectsWithoutBuild } from './jest-projects.mjs';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'node_modules', '.bin');
const env = {
  ...process.env,
  PATH: `${bin}:${process.env.PATH}`,
  NX_NO_CLOUD: 'true',
  NX_DAEMON: 'false',
  NX_TUI: 'false',
  NX_SKIP_NX_CACHE: process.env.CI ? 'true' : (process.env.NX_SKIP_NX_CACHE ?? ''),
  FORCE_COLOR: '0',
};
let passed = 0;
let failed = 0;
const failures = [];

function step(title, command, args) {
  console.log(`\n=== ${title}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  const ok = result.status === 0;
  console.log(`=== ${ok ? 'ok' : 'FAILED'}: ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (ok) passed++;
  else {
    failed++;
    failures.push(title);
  }
  return ok;
}

step('protobuf contracts (buf lint, generated code, buf breaking)', process.execPath, [join(root, 'tools/scripts/proto-check.mjs')]);
step('storage schema and committed migrations agree (drizzle-kit)', process.execPath, [join(root, 'tools/scripts/db-check.mjs')]);
step('formatting (prettier --check; npm run format fixes it)', join(bin, 'prettier'), ['--check', '.', '--log-level=warn']);
step('lint and typecheck (every project)', join(bin, 'nx'), ['run-many', '-t', 'lint', 'typecheck', '--output-style=static', '--parallel=2']);
const built = step('build apps and e2e fixtures', join(bin, 'nx'), ['run-many', '-t', 'build', 'build-fixtures', '--output-style=static', '--parallel=2']);
if (built) step('OpenAPI document and web client types match the gateway', process.execPath, [join(root, 'tools/scripts/api-check.mjs')]);

const resultsFile = join(root, 'tmp', 'jest-results.json');
mkdirSync(join(root, 'tmp'), { recursive: true });
rmSync(resultsFile, { force: true });
console.log('\n=== jest (unit, contract, tools' + (built ? ', e2e' : '; e2e skipped: the build failed') + ')');
const jestArgs = ['--ci', '--json', `--outputFile=${resultsFile}`, '--maxWorkers=2'];
// Without a build, every Jest project whose tests do not run the built apps (by tag, so a new project is never left out).
if (!built) jestArgs.push('--selectProjects', ...projectsWithoutBuild(root));
// Inside a private D-Bus session with an unlocked GNOME Keyring where the machine has them (CI installs both), so
// the keychain tests run against a real Secret Service.
spawnSync('bash', [join(root, 'tools/scripts/with-secret-service.sh'), join(bin, 'jest'), ...jestArgs], { cwd: root, env, stdio: 'inherit' });
try {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  if (results.numFailedTests > 0 || results.numFailedTestSuites > 0)
    failures.push(`jest: ${results.numFailedTests} tests, ${results.numFailedTestSuites} suites failed`);
  // A suite that fails to load has no failed tests; count it so it cannot pass silently.
  const brokenSuites = results.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed')).length;
  failed += brokenSuites;
  if (results.numTotalTests === 0) {
    failed++;
    failures.push('jest ran no test');
  }
} catch (error) {
  failed++;
  failures.push(`jest produced no results (${error.message})`);
}

if (failures.length > 0) console.log(`\nFailed: ${failures.join('; ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
