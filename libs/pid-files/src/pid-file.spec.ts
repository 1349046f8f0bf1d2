import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, isRunning, pidFilePath, readLegacySupervisorPidFile, readPidFile, readPidFiles, removePidFile, writePidFile } from './pid-file';

describe('pid files', () => {
  let dataDir: string;
  beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), 'aico-pid-'))));
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('writes, reads and lists entries; removes only its own', async () => {
    const entry = await writePidFile(dataDir, 'storage');
    expect(entry).toMatchObject({ name: 'storage', pid: process.pid, script: process.argv[1] });
    await writePidFile(dataDir, 'gateway', { pid: 999_999, script: '/nowhere/main.js', startedAt: new Date().toISOString() });
    expect((await readPidFiles(dataDir)).map((e) => e.name).sort()).toEqual(['gateway', 'storage']);
    await removePidFile(dataDir, 'gateway');
    expect(await readPidFile(dataDir, 'gateway')).toBeDefined();
    await removePidFile(dataDir, 'storage');
    expect(await readPidFile(dataDir, 'storage')).toBeUndefined();
  });

  it('skips malformed files and refuses names that are not app names', async () => {
    await mkdir(join(dataDir, 'run'), { recursive: true });
    await writeFile(pidFilePath(dataDir, 'bad'), '{"pid":"1; rm -rf /"}');
    await writeFile(pidFilePath(dataDir, 'zero'), '{"pid":0,"script":"x","startedAt":"y"}');
    expect(await readPidFiles(dataDir)).toEqual([]);
    await expect(writePidFile(dataDir, '../escape')).rejects.toThrow('Not a valid pid file name');
  });

  it('counts a pid as running only while it runs the named script', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const pid = child.pid!;
      expect(isAlive(pid)).toBe(true);
      expect(isRunning({ name: 'x', pid, script: '-e', startedAt: '' })).toBe(true);
      if (process.platform === 'linux') expect(isRunning({ name: 'x', pid, script: '/some/other/main.js', startedAt: '' })).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(isAlive(child.pid!)).toBe(false);
    expect(isAlive(-1)).toBe(false);
  });

  it("reads an earlier version's <dataDir>/supervisor.pid as an entry for this build's supervisor script", async () => {
    await writeFile(join(dataDir, 'supervisor.pid'), JSON.stringify({ pid: 4242, startedAt: '2026-01-01T00:00:00.000Z' }));
    expect(await readLegacySupervisorPidFile(dataDir, '/opt/aico/supervisor/main.js')).toEqual({
      name: 'supervisor',
      pid: 4242,
      script: '/opt/aico/supervisor/main.js',
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    await writeFile(join(dataDir, 'supervisor.pid'), '{"pid":"4242"}');
    expect(await readLegacySupervisorPidFile(dataDir, 'x')).toBeUndefined();
    await rm(join(dataDir, 'supervisor.pid'));
    expect(await readLegacySupervisorPidFile(dataDir, 'x')).toBeUndefined();
  });
});
