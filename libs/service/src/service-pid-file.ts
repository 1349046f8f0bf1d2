// An app's own `<dataDir>/run/<app>.pid` (@aico/pid-files), by which `aico stop`/`start` find it if its supervisor
// dies. On a full disk it cannot be written: that is logged, never fatal.
import { removePidFile, writePidFile } from '@aico/pid-files';
import type { Logger } from '@aico/logging';

/** This process's `<dataDir>/run/<app>.pid`. On a full disk it cannot be written: that is logged, never fatal. */
export class ServicePidFile {
  private written = false;

  constructor(
    private readonly dataDir: string,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  async write(): Promise<void> {
    try {
      await writePidFile(this.dataDir, this.name);
      this.written = true;
    } catch (error) {
      this.logger.warn(
        { err: error, code: (error as NodeJS.ErrnoException).code },
        `Could not write the pid file of ${this.name}; "aico stop" will not find this process if its supervisor dies`,
      );
    }
  }

  async remove(): Promise<void> {
    if (!this.written) return;
    this.written = false;
    await removePidFile(this.dataDir, this.name).catch((error: unknown) => this.logger.warn({ err: error }, `Could not remove the pid file of ${this.name}`));
  }
}
