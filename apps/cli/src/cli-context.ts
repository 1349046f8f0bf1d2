// What every command needs: the validated configuration (data directory, profile) and the key manager on the OS
// keychain. Progress goes to stderr, results to stdout.
import { loadConfig, type BaseConfig } from '@aico/config';
import { DEFAULT_UNLOCK_BACKOFF, KeyManager, OsKeychain } from '@aico/key-manager';
import { cliConfigSchema } from './cli.config';

export interface CliContext {
  readonly config: BaseConfig;
  readonly keyManager: KeyManager;
  out(line: string): void;
  progress(line: string): void;
  /** Text as it streams (no newline added); stdout when absent. */
  write?(text: string): void;
}

export function createCliContext(): CliContext {
  const { config } = loadConfig({ schema: cliConfigSchema });
  return {
    config,
    keyManager: new KeyManager({
      dataDir: config.dataDir,
      secretStore: new OsKeychain(),
      backoff: { ...DEFAULT_UNLOCK_BACKOFF, firstDelayMs: config.cli.unlockBackoffMs },
    }),
    out: (line) => void process.stdout.write(`${line}\n`),
    progress: (line) => void process.stderr.write(`${line}\n`),
    write: (text) => void process.stdout.write(text),
  };
}
