// The project's generated GGUF models for e2e tests, made by tools/models' command line (the same deterministic files
// the unit specs use; nothing is downloaded).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WORKSPACE_ROOT } from './service-process';

const run = promisify(execFile);

export interface GeneratedModel {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly parameters: number;
}

/** Writes a test model to `path`; `args` are the generator's flags (--truncate, --architecture NAME, --seed N, ...). */
export async function makeTestModelFile(path: string, ...args: string[]): Promise<GeneratedModel> {
  const { stdout } = await run(process.execPath, [join(WORKSPACE_ROOT, 'tools/models/make-test-model.mjs'), path, ...args]);
  return JSON.parse(stdout) as GeneratedModel;
}
