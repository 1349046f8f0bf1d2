// Finding 2 of issue 14, the CLI's part: `aico status` and `aico doctor` on a data directory whose file system is
// full — a small tmpfs mounted on it, filled with a file, the bus and keys services running on it — read only,
// exit cleanly and say the disk is full. Mounting needs root (or CAP_SYS_ADMIN), as the offline whole-system test's
// network namespace does: CI has it. apps/cli/src/commands/status.command.spec.ts covers the same with a stubbed statfs.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAico, type CliRun } from '../support/aico-cli';
import { ServiceProcess } from '../support/service-process';
import { systemEnv } from '../support/system';

const BUS = 'dist/apps/bus/apps/bus/src/main.js';
const KEYS = 'dist/apps/keys/apps/keys/src/main.js';
/** A signal with a generous deadline: a service's log line, on a machine whose cores may be busy elsewhere. */
const SERVICE_LOG_WAIT_MS = 90_000;
const SLOW_TEST_MS = 240_000;

function mountTmpfs(path: string, size: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', path], { stdio: 'ignore' }).status === 0;
}
function unmount(path: string): void {
  spawnSync('umount', [path], { stdio: 'ignore' });
}

/** Writes zeros until the file system refuses (ENOSPC), in big then small pieces, so not a block is left. */
async function fill(path: string): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (const size of [1024 * 1024, 4096, 512]) {
      const zeros = Buffer.alloc(size);
      for (;;) {
        try {
          await file.write(zeros);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    await file.close().catch(() => undefined);
  }
}

describe('aico status and aico doctor on a full disk', () => {
  let root: string;
  let mountPoint: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aico-full-disk-'));
    mountPoint = join(root, 'disk');
    await mkdir(mountPoint);
    if (!mountTmpfs(mountPoint, '8m'))
      throw new Error(`cannot mount a tmpfs on ${mountPoint}: this test needs root (or CAP_SYS_ADMIN) to make a small full disk`);
    dataDir = join(mountPoint, 'data');
    // The development profile: the services make the development key in the data directory, the CLI reads it.
    ({ env } = await systemEnv(dataDir, { AICO_PROFILE: 'development', AICO_LOG__FILE: 'false' }));
    const bus = new ServiceProcess('bus', BUS, [], env);
    processes.push(bus);
    await bus.waitForMessage('bus ready', SERVICE_LOG_WAIT_MS);
    const keys = new ServiceProcess('keys', KEYS, [], env);
    processes.push(keys);
    await keys.waitForMessage('keys ready', SERVICE_LOG_WAIT_MS);
    await fill(join(mountPoint, 'filler'));
  }, SLOW_TEST_MS);
  afterAll(async () => {
    for (const service of processes) await service.stop();
    unmount(mountPoint);
    await rmdir(mountPoint).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }, SLOW_TEST_MS);

  const noCrash = (run: CliRun) => {
    expect(run.stderr).not.toContain('Unexpected error');
    expect(run.stderr).not.toContain('ENOSPC');
  };

  it(
    'status answers from a full disk, says so first, and writes nothing',
    async () => {
      const before = (await readdir(dataDir, { recursive: true })).sort();
      const json = await runAico(['status', '--json'], env);
      noCrash(json);
      expect(json.code).toBe(0);
      const status = JSON.parse(json.stdout) as { disk: { freeBytes: number; full: boolean }; services: { service: string; up: boolean }[] };
      expect(status.disk).toEqual({ freeBytes: expect.any(Number), full: true });
      expect(status.disk.freeBytes).toBeLessThan(1024 * 1024);
      expect(status.services.find((entry) => entry.service === 'keys')).toMatchObject({ up: true });

      const text = await runAico(['status'], env);
      noCrash(text);
      expect(text.code).toBe(0);
      expect(text.stdout.split('\n')[0]).toMatch(
        new RegExp(`^disk +FULL: .* free on the file system of ${dataDir}; storage refuses writes until you free space there`),
      );
      expect((await readdir(dataDir, { recursive: true })).sort()).toEqual(before);
    },
    SLOW_TEST_MS,
  );

  it(
    'doctor runs every check on a full disk and fails the free-space check with what to do',
    async () => {
      const run = await runAico(['doctor', '--json'], env);
      noCrash(run);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as { checks: { name: string; status: string; detail: string; fix?: string }[] };
      expect(report.checks.find((check) => check.name === 'disk-space')).toEqual({
        name: 'disk-space',
        status: 'fail',
        detail: expect.stringMatching(new RegExp(`^The disk is full: .* free on the file system of ${dataDir}\\. Storage refuses writes`)),
        fix: expect.stringContaining(`Free space on that file system now ("df -h ${dataDir}" shows it`),
      });
      expect(report.checks.find((check) => check.name === 'bus')).toMatchObject({ status: 'ok' });
    },
    SLOW_TEST_MS,
  );
});
