#!/usr/bin/env node
// The storage schema and its committed migrations agree: drizzle-kit generates from the schema into a scratch copy
// of the migrations folder, and any new file there means a schema change without its migration
// (run `npm run db:generate -- --name <what changed>` and commit the result).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const committed = join(root, 'apps/storage/src/database/migrations');
const scratch = mkdtempSync(join(tmpdir(), 'aico-db-check-'));
try {
  cpSync(committed, join(scratch, 'migrations'), { recursive: true });
  const config = join(scratch, 'drizzle.config.mjs');
  writeFileSync(
    config,
    `export default ${JSON.stringify({ dialect: 'sqlite', schema: join(root, 'apps/storage/src/database/schema.ts'), out: './migrations' })};\n`,
  );
  const result = spawnSync(join(root, 'node_modules/.bin/drizzle-kit'), ['generate', '--config', config], { cwd: scratch, encoding: 'utf8' });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  // drizzle-kit can print an error and still exit 0.
  if (result.status !== 0 || /\bError\b/.test(result.stderr)) process.exit(1);
  const before = readdirSync(committed).sort().join('\n');
  const after = readdirSync(join(scratch, 'migrations')).sort().join('\n');
  if (before !== after) {
    console.error('The storage schema changed without a migration: run `npm run db:generate -- --name <change>` and commit it.');
    process.exit(1);
  }
  console.log('storage schema and migrations agree');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
