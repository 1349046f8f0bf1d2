// The downloader against a real HTTP server on loopback serving a generated model: a whole download, a resume
// after a dropped connection (Range + If-Range), a server that ignores Range or whose file changed, a wrong
// checksum (nothing left), redirects, refused URLs, a stall, a stop, a full disk before (Content-Length) and during
// the download (a small tmpfs, or a file-size limit where mounting is not allowed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelsErrorCode } from '../../models.error';
import { LoopbackFileServer } from '../testing/loopback-file-server.test-helpers';
import { makeTestModel, type TestModel } from '../testing/test-models.test-helpers';
import { downloadModelFile, type DownloadProgress } from './model-downloader';

let dir: string;
let model: TestModel;
let body: Buffer;
let server: LoopbackFileServer;
let run = 0;
/** A fresh target directory per test. */
let target: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aico-downloader-'));
  model = makeTestModel(join(dir, 'source.gguf'));
  body = readFileSync(model.path);
  server = await LoopbackFileServer.start();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  const models = join(dir, `models-${++run}`);
  mkdirSync(models);
  target = join(models, 'tiny.gguf');
  server.requests.length = 0;
});

const filesBeside = (): string[] => readdirSync(join(target, '..')).sort();

describe('downloadModelFile', () => {
  it('downloads a model whole, reports its phases, and leaves only the finished file (0600)', async () => {
    server.serve('/m/tiny.gguf', { body, etag: '"v1"' });
    const progress: DownloadProgress[] = [];
    const result = await downloadModelFile({ url: server.url('/m/tiny.gguf'), target, expectedSha256: model.sha256, onProgress: (p) => progress.push(p) });
    expect(result).toEqual({ bytes: model.bytes, sha256: model.sha256, resumedFromBytes: 0 });
    expect(readFileSync(target).equals(body)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(filesBeside()).toEqual(['tiny.gguf']);
    expect(progress[0]).toEqual({ phase: 'checking', doneBytes: 0, totalBytes: 0, resumedFromBytes: 0 });
    expect(progress.filter((p) => p.phase === 'downloading').at(-1)).toEqual({
      phase: 'downloading',
      doneBytes: model.bytes,
      totalBytes: model.bytes,
      resumedFromBytes: 0,
    });
    expect(progress.slice(-2).map((p) => p.phase)).toEqual(['verifying', 'done']);
    expect(server.requests).toEqual([{ path: '/m/tiny.gguf', range: undefined, ifRange: undefined }]);
  });

  it('keeps what arrived when the connection drops, and resumes it with a Range request', async () => {
    server.serve('/m/tiny.gguf', { body, etag: '"v1"', cutAfter: 200_000 });
    const dropped = await downloadModelFile({ url: server.url('/m/tiny.gguf'), target, expectedSha256: model.sha256 }).catch((error: unknown) => error);
    expect(dropped).toMatchObject({ code: ModelsErrorCode.DownloadFailed, message: expect.stringContaining('pull again to resume') });
    // What is kept is what was written before the reset was seen: up to the 200,000 bytes sent (a reset can discard
    // what the client had received but not yet read), and exactly what the error reports.
    const kept = Number((dropped as { details: { keptBytes: string } }).details.keptBytes);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(200_000);
    expect(statSync(`${target}.part`).size).toBe(kept);
    expect(existsSync(target)).toBe(false);

    const result = await downloadModelFile({ url: server.url('/m/tiny.gguf'), target, expectedSha256: model.sha256 });
    expect(result).toEqual({ bytes: model.bytes, sha256: model.sha256, resumedFromBytes: kept });
    expect(server.requests.at(-1)).toEqual({ path: '/m/tiny.gguf', range: `bytes=${kept}-`, ifRange: '"v1"' });
    expect(readFileSync(target).equals(body)).toBe(true);
    expect(filesBeside()).toEqual(['tiny.gguf']);
  });

  it('starts over when the server ignores Range', async () => {
    server.serve('/m/tiny.gguf', { body, etag: '"v1"', cutAfter: 100_000, ignoreRange: true });
    await expect(downloadModelFile({ url: server.url('/m/tiny.gguf'), target })).rejects.toMatchObject({ code: ModelsErrorCode.DownloadFailed });
    const result = await downloadModelFile({ url: server.url('/m/tiny.gguf'), target, expectedSha256: model.sha256 });
    expect(result).toMatchObject({ resumedFromBytes: 0, sha256: model.sha256 });
    expect(server.requests.at(-1)?.range).toMatch(/^bytes=[1-9]\d*-$/); // what the first attempt kept
    expect(readFileSync(target).equals(body)).toBe(true);
  });

  it('starts over when the file on the server changed since the .part was written (If-Range)', async () => {
    const other = makeTestModel(join(dir, 'other.gguf'), { seed: 7 });
    server.serve('/m/tiny.gguf', { body, etag: '"v1"', cutAfter: 150_000 });
    await expect(downloadModelFile({ url: server.url('/m/tiny.gguf'), target })).rejects.toMatchObject({ code: ModelsErrorCode.DownloadFailed });
    server.serve('/m/tiny.gguf', { body: readFileSync(other.path), etag: '"v2"' });
    expect(await downloadModelFile({ url: server.url('/m/tiny.gguf'), target })).toEqual({ bytes: other.bytes, sha256: other.sha256, resumedFromBytes: 0 });
  });

  it('finishes a .part that is already complete (the server answers 416)', async () => {
    server.serve('/m/tiny.gguf', { body, etag: '"v1"' });
    writeFileSync(`${target}.part`, body);
    writeFileSync(`${target}.part.json`, JSON.stringify({ url: server.url('/m/tiny.gguf').href, validator: '"v1"', totalBytes: body.length }));
    expect(await downloadModelFile({ url: server.url('/m/tiny.gguf'), target, expectedSha256: model.sha256 })).toEqual({
      bytes: model.bytes,
      sha256: model.sha256,
      resumedFromBytes: model.bytes,
    });
    expect(filesBeside()).toEqual(['tiny.gguf']);
  });

  it('does not resume a .part of another URL', async () => {
    server.serve('/m/tiny.gguf', { body, etag: '"v1"' });
    writeFileSync(`${target}.part`, Buffer.alloc(1000, 1));
    writeFileSync(`${target}.part.json`, JSON.stringify({ url: 'https://elsewhere.example/x.gguf', validator: '', totalBytes: 0 }));
    expect(await downloadModelFile({ url: server.url('/m/tiny.gguf'), target })).toMatchObject({ resumedFromBytes: 0, sha256: model.sha256 });
    expect(server.requests.at(-1)?.range).toBeUndefined();
  });

  it('leaves nothing behind when the checksum does not match', async () => {
    server.serve('/m/tiny.gguf', { body });
    const wrong = 'ab'.repeat(32);
    await expect(downloadModelFile({ url: server.url('/m/tiny.gguf'), target, expectedSha256: wrong })).rejects.toMatchObject({
      code: ModelsErrorCode.ChecksumMismatch,
      message: expect.stringContaining(`expected ${wrong}, got ${model.sha256}. Nothing was kept.`),
    });
    expect(filesBeside()).toEqual([]);
  });

  it("leaves nothing behind when the finished file fails the caller's check", async () => {
    server.serve('/m/page.gguf', { body: Buffer.from('<html>sign in</html>') });
    const refused = new Error('not a model');
    await expect(downloadModelFile({ url: server.url('/m/page.gguf'), target, check: () => Promise.reject(refused) })).rejects.toBe(refused);
    expect(filesBeside()).toEqual([]);
  });

  it('follows redirects, up to a bound', async () => {
    server.serve('/files/tiny.gguf', { body }).redirect('/r/1', '/r/2').redirect('/r/2', '/files/tiny.gguf');
    expect(await downloadModelFile({ url: server.url('/r/1'), target })).toMatchObject({ sha256: model.sha256 });
    server.redirect('/loop/a', '/loop/b').redirect('/loop/b', '/loop/a');
    await expect(downloadModelFile({ url: server.url('/loop/a'), target: `${target}-2`, maxRedirects: 3 })).rejects.toMatchObject({
      code: ModelsErrorCode.DownloadFailed,
      message: expect.stringContaining('redirected more than 3 times'),
    });
  });

  it('refuses plain http off this machine, also as a redirect, before connecting', async () => {
    await expect(downloadModelFile({ url: new URL('http://models.example/tiny.gguf'), target })).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('plain http'),
    });
    server.redirect('/downgrade', 'http://models.example/tiny.gguf');
    await expect(downloadModelFile({ url: server.url('/downgrade'), target })).rejects.toMatchObject({
      code: ModelsErrorCode.InvalidArgument,
      message: expect.stringContaining('http://models.example/tiny.gguf is plain http'),
    });
  });

  it('says what the server answered when it refuses', async () => {
    await expect(downloadModelFile({ url: server.url('/missing.gguf?token=secret'), target })).rejects.toMatchObject({
      code: ModelsErrorCode.DownloadFailed,
      message: `The download failed: ${server.origin}/missing.gguf answered 404 Not Found.`,
    });
    expect(filesBeside()).toEqual([]);
  });

  it('refuses before downloading when the announced size does not fit the disk (DISK_FULL)', async () => {
    server.serve('/m/tiny.gguf', { body });
    await expect(downloadModelFile({ url: server.url('/m/tiny.gguf'), target, freeSpace: () => Promise.resolve(1024 * 1024) })).rejects.toMatchObject({
      code: ModelsErrorCode.DiskFull,
      details: { neededBytes: String(model.bytes), freeBytes: String(1024 * 1024) },
    });
    expect(filesBeside()).toEqual([]);
  });

  it('gives up a connection that stalls, keeping what arrived', async () => {
    server.serve('/m/stall.gguf', { body, stallAfter: 1000 });
    await expect(downloadModelFile({ url: server.url('/m/stall.gguf'), target, idleTimeoutMs: 500 })).rejects.toMatchObject({
      code: ModelsErrorCode.DownloadFailed,
      message: expect.stringContaining('nothing received for 0.5 s'),
    });
  });

  it('stops when aborted, keeping what arrived for a resume', async () => {
    server.serve('/m/stall.gguf', { body, stallAfter: 4096 });
    const stop = new AbortController();
    const download = downloadModelFile({
      url: server.url('/m/stall.gguf'),
      target,
      signal: stop.signal,
      onProgress: (p) => p.phase === 'downloading' && p.doneBytes === 0 && stop.abort(),
    });
    await expect(download).rejects.toMatchObject({ code: ModelsErrorCode.DownloadFailed, message: expect.stringContaining('the download was stopped') });
    expect(existsSync(`${target}.part.json`)).toBe(true);
  });

  it('removes the partial file when the disk fills up during a download of unknown size (DISK_FULL)', async () => {
    server.serve('/m/chunked.gguf', { body, chunked: true });
    const disk = SmallDisk.make(join(dir, `small-${run}`), 256 * 1024);
    try {
      const smallTarget = join(disk.dir, 'tiny.gguf');
      await expect(downloadModelFile({ url: server.url('/m/chunked.gguf'), target: smallTarget })).rejects.toMatchObject({
        code: ModelsErrorCode.DiskFull,
        message: expect.stringContaining('The partial download was removed'),
        details: { errno: disk.kind === 'tmpfs' ? 'ENOSPC' : 'EFBIG' },
      });
      disk.release();
      expect(readdirSync(disk.dir)).toEqual([]);
    } finally {
      disk.remove();
    }
  });
});

/**
 * A small disk: a tmpfs where mounting is permitted (root), else a file-size limit (RLIMIT_FSIZE) on this test
 * process for the duration of the one download (Node ignores SIGXFSZ, so writes past it fail with EFBIG).
 */
class SmallDisk {
  private constructor(
    readonly dir: string,
    readonly kind: 'tmpfs' | 'fsize',
    private limited: boolean,
  ) {}

  static make(dir: string, bytes: number): SmallDisk {
    mkdirSync(dir);
    // AICO_TEST_SMALL_DISK=fsize exercises the fallback where tmpfs works (as e2e/support/small-disk.ts does).
    const tryMount = process.platform === 'linux' && process.env['AICO_TEST_SMALL_DISK'] !== 'fsize';
    if (tryMount && spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]).status === 0) return new SmallDisk(dir, 'tmpfs', false);
    const limited = spawnSync('prlimit', ['--pid', String(process.pid), `--fsize=${bytes}:`]).status === 0;
    if (!limited) throw new Error('neither a tmpfs nor a file-size limit is available here for the full-disk case');
    return new SmallDisk(dir, 'fsize', true);
  }

  release(): void {
    if (this.limited) spawnSync('prlimit', ['--pid', String(process.pid), '--fsize=unlimited:']);
    this.limited = false;
  }

  remove(): void {
    this.release();
    if (this.kind === 'tmpfs') spawnSync('umount', ['-l', this.dir]);
    rmdirSync(this.dir);
  }
}
