// Runs ESLint on one piece of code with one of the rule configs in tools/lint, for the specs that prove a rule refuses
// what it should. ESLint runs as a child process because its configs here are ESM.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

interface LintResult {
  messages: { ruleId: string | null; message: string }[];
}

/** Lints `code` as if it were `file` (a path from the repository root) with `config`; answers the messages of `ruleId`. */
export function lintRuleMessages(config: string, ruleId: string, file: string, code: string): Promise<string[]> {
  const eslint = join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
  const child = spawn(process.execPath, [eslint, '-c', config, '--stdin', '--stdin-filename', file, '-f', 'json'], { cwd: root });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdin.once('error', reject);
    child.once('close', () => {
      try {
        const [result] = JSON.parse(stdout) as LintResult[];
        resolve(result!.messages.filter((m) => m.ruleId === ruleId).map((m) => m.message));
      } catch (error) {
        reject(new Error(`ESLint did not print JSON: ${stdout.slice(0, 500)} (${(error as Error).message})`));
      }
    });
    child.stdin.end(code);
  });
}
