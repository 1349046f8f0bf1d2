import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogger } from '@aico/logging';
import { readPidFile } from '@aico/pid-files';
import { ServicePidFile } from './service-pid-file';

describe('ServicePidFile', () => {
  let dataDir: string;
  beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), 'aico-service-pid-'))));
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('writes <dataDir>/run/<app>.pid with this process and removes it', async () => {
    const { logger } = captureLogger();
    const file = new ServicePidFile(dataDir, 'storage', logger);
    await file.write();
    expect(await readPidFile(dataDir, 'storage')).toMatchObject({ name: 'storage', pid: process.pid });
    await file.remove();
    expect(await readPidFile(dataDir, 'storage')).toBeUndefined();
  });

  it('logs a pid file it cannot write (a full disk, a blocked directory) and goes on', async () => {
    // A file where the run directory should be: the write fails as it would on a full disk.
    await writeFile(join(dataDir, 'run'), '');
    const { logger, lines } = captureLogger();
    const file = new ServicePidFile(dataDir, 'gateway', logger);
    await expect(file.write()).resolves.toBeUndefined();
    await expect(file.remove()).resolves.toBeUndefined();
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [40, 'Could not write the pid file of gateway; "aico stop" will not find this process if its supervisor dies'],
    ]);
  });
});
