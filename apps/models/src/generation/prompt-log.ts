// A diagnostic, off unless `models.promptLogFile` names a file: every prompt as the model reads it (a raw prompt as
// is, a chat through the model's chat template) is appended to that file as one JSON line, with the generation, its
// requester and the model. It holds what people said in plain text: the file is created readable by this user only
// (0600), the service warns at start that it is on, and it is meant for tests and debugging (the privacy e2e reads
// it to see exactly what the model received), never for a normal installation.
import { chmodSync, createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '@aico/logging';

export interface PromptLogEntry {
  readonly generation: string;
  readonly requester: string;
  readonly model: string;
  /** What the model reads, rendered. */
  readonly prompt: string;
}

export class PromptLog {
  private readonly stream: WriteStream;

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {
    this.stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    // A file that existed before keeps its mode when opened: make it this user's alone either way.
    this.stream.on('open', () => {
      try {
        chmodSync(file, 0o600);
      } catch (error) {
        logger.warn({ file, code: (error as NodeJS.ErrnoException).code }, 'Prompt log: its mode could not be set to 0600');
      }
    });
    this.stream.on('error', (error: NodeJS.ErrnoException) => logger.error({ file, code: error.code }, 'Prompt log not written'));
    logger.warn({ file }, 'models.promptLogFile is set: every prompt is written to this file in plain text (a diagnostic; unset it for normal use)');
  }

  write(entry: PromptLogEntry): void {
    if (this.stream.destroyed) return;
    this.stream.write(`${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
  }

  /** Resolves once every line written so far is in the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.destroyed) resolve();
      else this.stream.end(() => resolve());
    });
  }
}
