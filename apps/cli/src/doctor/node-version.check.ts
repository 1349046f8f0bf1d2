// Node.js 20.19 is the oldest that loads aico's ESM-only dependencies from CommonJS (`require(esm)`, docs/architecture.md §1).
import { checkResult, type CheckResult } from './doctor-check';

export const MINIMUM_NODE = [20, 19, 0] as const;

function parseVersion(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split(/[.-]/)
    .slice(0, 3)
    .map((part) => Number.parseInt(part, 10) || 0);
}

function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let index = 0; index < minimum.length; index++) {
    const part = version[index] ?? 0;
    if (part !== minimum[index]) return part > minimum[index]!;
  }
  return true;
}

/** `running` as in `process.versions.node` ("20.20.2"). */
export function checkNodeVersion(running: string): CheckResult {
  const required = `${MINIMUM_NODE[0]}.${MINIMUM_NODE[1]}`;
  if (atLeast(parseVersion(running), MINIMUM_NODE)) return checkResult('node', 'ok', `Node.js ${running} (aico needs ${required} or newer).`);
  return checkResult(
    'node',
    'fail',
    `Node.js ${running} is running; aico needs ${required} or newer (it loads ES-module-only packages with require(esm)).`,
    'Install Node.js 22 LTS (or any 20.19+) from https://nodejs.org or with your version manager ("nvm install 22 && nvm use 22", "fnm use 22", "volta install node@22").',
  );
}
