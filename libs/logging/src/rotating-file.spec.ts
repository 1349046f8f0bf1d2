import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize, RotatingFile } from './rotating-file';

describe('RotatingFile', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'aico-rotate-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('numbered: rotates by size into <base>.<n>.log, keeps the newest files, and continues the highest number after a restart', async () => {
    await writeFile(join(dir, 'storage.4.log'), '');
    const file = new RotatingFile({ dir, base: 'storage', naming: 'numbered', maxBytes: 100, keep: 2 });
    for (let i = 0; i < 20; i++) file.write(`${'x'.repeat(40)} ${String(i).padStart(2, '0')}\n`);
    file.close();
    // 44-byte lines, two per 100-byte file: lines 0..19 fill files 4..13; 13 is current, 11 and 12 kept.
    expect((await readdir(dir)).sort()).toEqual(['storage.11.log', 'storage.12.log', 'storage.13.log']);
    expect(await readFile(join(dir, 'storage.13.log'), 'utf8')).toBe(`${'x'.repeat(40)} 18\n${'x'.repeat(40)} 19\n`);
    const again = new RotatingFile({ dir, base: 'storage', naming: 'numbered', maxBytes: 100, keep: 2 });
    again.write('after restart\n');
    again.close();
    expect(again.path).toBe(join(dir, 'storage.14.log'));
  });

  it('fixed: the current file keeps its path, older ones are <base>.1.log (newest) up to <base>.<keep>.log', async () => {
    const file = new RotatingFile({ dir, base: 'gateway.console', naming: 'fixed', maxBytes: 10, keep: 2 });
    for (const line of ['one-----\n', 'two-----\n', 'three---\n', 'four----\n']) file.write(line);
    file.close();
    expect(file.path).toBe(join(dir, 'gateway.console.log'));
    expect((await readdir(dir)).sort()).toEqual(['gateway.console.1.log', 'gateway.console.2.log', 'gateway.console.log']);
    expect(await readFile(join(dir, 'gateway.console.log'), 'utf8')).toBe('four----\n');
    expect(await readFile(join(dir, 'gateway.console.1.log'), 'utf8')).toBe('three---\n');
    expect(await readFile(join(dir, 'gateway.console.2.log'), 'utf8')).toBe('two-----\n');
  });

  it('creates files only the user can read, in a directory only the user can enter, whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      const file = new RotatingFile({ dir: join(dir, 'logs'), base: 'keys', naming: 'numbered', maxBytes: 10, keep: 3 });
      file.write('first line\n');
      file.write('second line\n');
      file.close();
      expect((await stat(join(dir, 'logs'))).mode & 0o777).toBe(0o700);
      for (const name of await readdir(join(dir, 'logs')))
        expect({ name, mode: (await stat(join(dir, 'logs', name))).mode & 0o777 }).toEqual({ name, mode: 0o600 });
    } finally {
      process.umask(previous);
    }
  });

  it('throws while its directory cannot be made, and works once it can', async () => {
    await writeFile(join(dir, 'blocker'), '');
    const file = new RotatingFile({ dir: join(dir, 'blocker', 'logs'), base: 'bus', naming: 'numbered', maxBytes: 1_000, keep: 1 });
    expect(() => file.write('a\n')).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    await rm(join(dir, 'blocker'));
    file.write('b\n');
    file.close();
    expect(await readFile(join(dir, 'blocker', 'logs', 'bus.1.log'), 'utf8')).toBe('b\n');
  });

  it('parses the log.maxFileSize syntax', () => {
    expect([parseSize('10m'), parseSize('512k'), parseSize('1g'), parseSize('100'), parseSize(7)]).toEqual([10 * 1024 ** 2, 512 * 1024, 1024 ** 3, 100, 7]);
    expect(() => parseSize('ten')).toThrow('Not a size');
  });
});
