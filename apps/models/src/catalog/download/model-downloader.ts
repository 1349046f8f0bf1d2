// Downloads one model file, only when a person asks: into `<target>.part` beside the target, resumed with an HTTP
// Range request (If-Range on the server's validator, so a changed file starts over; a server that ignores Range
// starts over too), redirects followed up to a bound and each one checked (https, or http to loopback), free space
// checked against the size the server announces, the SHA-256 computed on the way and compared, the finished file
// checked by the caller, then renamed into place. What is left after a failure:
// - a dropped connection, a stalled server, a stop: the .part stays (and `<target>.part.json` with the URL and
//   validator it belongs to), so the next pull of the same URL resumes;
// - a wrong checksum or a file the check refuses: nothing (the bytes are wrong; resuming them would not help);
// - a full disk: nothing — the .part is removed, so the rest of aico (the database, the logs on the same disk) has
//   room again at once. The check against Content-Length prevents this case whenever the server says the size.
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  checkFreeSpace,
  checksumMismatch,
  diskFullError,
  flush,
  formatBytes,
  HashingCounter,
  isDiskFull,
  placeAtomically,
  sha256OfFile,
  statfsFreeSpace,
  type FreeSpace,
} from '../model-files';
import { ModelsError, ModelsErrorCode } from '../../models.error';
import { checkDownloadUrl, shownUrl } from './pull-source';

export type DownloadPhase = 'checking' | 'downloading' | 'verifying' | 'done';

export interface DownloadProgress {
  readonly phase: DownloadPhase;
  readonly doneBytes: number;
  /** 0 when the server did not say. */
  readonly totalBytes: number;
  readonly resumedFromBytes: number;
}

export interface DownloadOptions {
  readonly url: URL;
  /** Where the finished file goes; `<target>.part` and `<target>.part.json` are used meanwhile. */
  readonly target: string;
  /** Lowercase hex, or '' to accept any content (its SHA-256 is still computed). */
  readonly expectedSha256?: string;
  /** Called at each phase and about every percent (at least every 1 MiB) of the download. */
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Aborting stops the download; the .part is kept for a resume. */
  readonly signal?: AbortSignal;
  /** Checks the complete file before it is put in place (the GGUF inspection); what it throws is thrown, the file removed. */
  readonly check?: (path: string) => Promise<void>;
  readonly freeSpace?: FreeSpace;
  /** Redirects followed at most (default 5). */
  readonly maxRedirects?: number;
  /** A connection that sends nothing for this long is given up (default 60 s); the .part is kept. */
  readonly idleTimeoutMs?: number;
}

export interface DownloadResult {
  readonly bytes: number;
  readonly sha256: string;
  readonly resumedFromBytes: number;
}

/** What a .part file belongs to, kept beside it. */
interface PartInfo {
  readonly url: string;
  /** A strong ETag or a Last-Modified date, sent as If-Range when resuming. */
  readonly validator: string;
  readonly totalBytes: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function downloadModelFile(options: DownloadOptions): Promise<DownloadResult> {
  const { url, target } = options;
  const part = `${target}.part`;
  const infoPath = `${target}.part.json`;
  const shown = shownUrl(url);
  const report = options.onProgress ?? (() => undefined);
  const removeAll = () => Promise.all([rm(part, { force: true }), rm(infoPath, { force: true })]);
  checkDownloadUrl(url);
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });

  let resumeFrom = await resumableBytes(part, infoPath, url.href);
  report({ phase: 'checking', doneBytes: resumeFrom, totalBytes: 0, resumedFromBytes: resumeFrom });
  let response = await get(url, resumeFrom > 0 ? await readValidator(infoPath) : undefined, resumeFrom, options);
  let totalBytes: number;

  if (response.message.statusCode === 416 && resumeFrom > 0) {
    // The range starts at or past the end: the .part is complete if it is exactly the size the server names.
    const complete = rangeTotal(response.message) === resumeFrom;
    discard(response);
    if (!complete) {
      await removeAll();
      resumeFrom = 0;
      response = await get(url, undefined, 0, options);
    }
  }
  const status = response.message.statusCode ?? 0;
  if (status === 416 && resumeFrom > 0) {
    totalBytes = resumeFrom;
  } else if (status === 206 && contentRangeStart(response.message) === resumeFrom) {
    totalBytes = rangeTotal(response.message) ?? 0;
  } else if (status === 200 || status === 206) {
    // The server ignored the range, or the file changed since the .part was written (If-Range): start over.
    if (status === 206) {
      discard(response);
      response = await get(url, undefined, 0, options);
      if (response.message.statusCode !== 200)
        throw failed(`${shown} answered ${response.message.statusCode} ${response.message.statusMessage ?? ''} to a plain request`, 0);
    }
    resumeFrom = 0;
    totalBytes = Number(response.message.headers['content-length'] ?? 0) || 0;
  } else {
    discard(response);
    throw failed(`${shown} answered ${status} ${response.message.statusMessage ?? ''}`.trimEnd(), resumeFrom > 0 ? resumeFrom : undefined);
  }

  if (status !== 416) {
    if (totalBytes > 0) {
      await checkFreeSpace(options.freeSpace ?? statfsFreeSpace, dirname(target), totalBytes - resumeFrom, `the download of ${shown}`).catch(
        (error: unknown) => {
          discard(response);
          throw error;
        },
      );
    }
    const info: PartInfo = { url: url.href, validator: validatorOf(response.message), totalBytes };
    await writeFile(infoPath, JSON.stringify(info), { mode: 0o600 });
  }
  // The bytes already there are hashed first, so the SHA-256 covers the whole file without reading it again.
  const hash = resumeFrom > 0 ? await sha256OfFile(part) : createHash('sha256');
  if (status !== 416) await receive(response, part, resumeFrom, totalBytes, hash, options);

  const bytes = (await stat(part)).size;
  if (totalBytes > 0 && bytes !== totalBytes) {
    throw failed(`the connection to ${shown} ended after ${formatBytes(bytes)} of ${formatBytes(totalBytes)}`, bytes);
  }
  report({ phase: 'verifying', doneBytes: bytes, totalBytes: bytes, resumedFromBytes: resumeFrom });
  const sha256 = hash.digest('hex');
  if (options.expectedSha256 && sha256 !== options.expectedSha256) {
    await removeAll();
    throw checksumMismatch(`The file downloaded from ${shown}`, options.expectedSha256, sha256, 'Nothing was kept.');
  }
  try {
    await options.check?.(part);
  } catch (error) {
    await removeAll();
    throw error;
  }
  await placeAtomically(part, target);
  await rm(infoPath, { force: true });
  report({ phase: 'done', doneBytes: bytes, totalBytes: bytes, resumedFromBytes: resumeFrom });
  return { bytes, sha256, resumedFromBytes: resumeFrom };
}

/** Streams the body into the .part (appending after `resumeFrom`), reporting progress; maps every failure. */
async function receive(response: Response, part: string, resumeFrom: number, totalBytes: number, hash: Hash, options: DownloadOptions): Promise<void> {
  const shown = shownUrl(options.url);
  const step = Math.max(1024 * 1024, Math.floor(totalBytes / 100));
  let nextReport = resumeFrom + step;
  const counter = new HashingCounter(hash, (bytes) => {
    const done = resumeFrom + bytes;
    if (done >= nextReport || done === totalBytes) {
      nextReport = done + step;
      options.onProgress?.({ phase: 'downloading', doneBytes: done, totalBytes, resumedFromBytes: resumeFrom });
    }
  });
  options.onProgress?.({ phase: 'downloading', doneBytes: resumeFrom, totalBytes, resumedFromBytes: resumeFrom });
  // A failing connection ends the body instead of destroying the pipeline, so every byte that arrived is written.
  let received: unknown;
  async function* guarded(body: IncomingMessage): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of body) yield chunk as Buffer;
    } catch (error) {
      received = response.failure ?? error;
    }
  }
  try {
    await pipeline(guarded(response.message), counter, createWriteStream(part, { flags: resumeFrom > 0 ? 'a' : 'w', mode: 0o600 }));
    await flush(part);
  } catch (error) {
    response.request.destroy();
    if (isDiskFull(error)) {
      await Promise.all([rm(part, { force: true }), rm(`${options.target}.part.json`, { force: true })]);
      throw diskFullError(`the download of ${shown}`, error, 'The partial download was removed, so the rest of aico has room again.');
    }
    throw error;
  }
  if (received !== undefined) {
    const kept = await stat(part).then(
      (stats) => stats.size,
      () => 0,
    );
    const reason = options.signal?.aborted ? 'the download was stopped' : `the connection to ${shown} failed (${describe(received)})`;
    throw failed(`${reason} after ${formatBytes(kept)}${totalBytes > 0 ? ` of ${formatBytes(totalBytes)}` : ''}`, kept);
  }
}

interface Response {
  readonly request: ClientRequest;
  readonly message: IncomingMessage;
  /** Why this side ended the connection (a stall), when it did. */
  failure?: Error;
}

/** A response whose body is not wanted: the connection is closed rather than the body read. */
function discard(response: Response): void {
  response.message.on('error', () => undefined);
  response.request.destroy();
}

/** GET with a Range from `from` (when > 0), following redirects; each hop's URL checked. */
async function get(url: URL, validator: string | undefined, from: number, options: DownloadOptions): Promise<Response> {
  const maxRedirects = options.maxRedirects ?? 5;
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await once(current, validator, from, options);
    const status = response.message.statusCode ?? 0;
    const location = response.message.headers.location;
    if (!REDIRECTS.has(status) || !location) return response;
    discard(response);
    if (hop >= maxRedirects) throw failed(`${shownUrl(url)} redirected more than ${maxRedirects} times`, undefined);
    current = new URL(location, current);
    checkDownloadUrl(current);
  }
}

function once(url: URL, validator: string | undefined, from: number, options: DownloadOptions): Promise<Response> {
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'aico-models' };
  if (from > 0) {
    headers['range'] = `bytes=${from}-`;
    if (validator) headers['if-range'] = validator;
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let response: Response | undefined;
    request.setTimeout(idleTimeoutMs, () => {
      const stalled = new Error(`nothing received for ${idleTimeoutMs / 1000} s`);
      if (response) response.failure = stalled;
      request.destroy(stalled);
    });
    request.once('response', (message) => resolve((response = { request, message })));
    // Kept for the request's whole life: a reset after the response came is handled by the body's pipeline.
    request.on('error', (error) =>
      reject(
        failed(
          `${options.signal?.aborted ? 'the download was stopped' : `could not reach ${shownUrl(url)} (${describe(error)})`}`,
          from > 0 ? from : undefined,
        ),
      ),
    );
    request.end();
  });
}

/** Bytes of a .part that may be resumed: one of the same URL. Any other (or a stray one) is removed. */
async function resumableBytes(part: string, infoPath: string, url: string): Promise<number> {
  const size = await stat(part).then(
    (stats) => stats.size,
    () => undefined,
  );
  if (size === undefined) return 0;
  const info = await readInfo(infoPath);
  if (info?.url === url && size > 0) return size;
  await Promise.all([rm(part, { force: true }), rm(infoPath, { force: true })]);
  return 0;
}

async function readInfo(infoPath: string): Promise<PartInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(infoPath, 'utf8')) as Partial<PartInfo>;
    return typeof info.url === 'string'
      ? { url: info.url, validator: typeof info.validator === 'string' ? info.validator : '', totalBytes: Number(info.totalBytes) || 0 }
      : undefined;
  } catch {
    return undefined;
  }
}

const readValidator = async (infoPath: string): Promise<string | undefined> => (await readInfo(infoPath))?.validator || undefined;

/** A strong ETag, else Last-Modified: what If-Range may carry (a weak ETag may not). */
function validatorOf(message: IncomingMessage): string {
  const etag = message.headers.etag;
  if (etag && !etag.startsWith('W/')) return etag;
  return message.headers['last-modified'] ?? '';
}

// Content-Range is "bytes <start>-<end>/<total>", or "bytes */<total>" on a 416.
function contentRangeStart(message: IncomingMessage): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(message.headers['content-range'] ?? '');
  return match ? Number(match[1]) : undefined;
}

function rangeTotal(message: IncomingMessage): number | undefined {
  const match = /\/(\d+)$/.exec(message.headers['content-range'] ?? '');
  return match ? Number(match[1]) : undefined;
}

function failed(reason: string, keptBytes: number | undefined): ModelsError {
  const kept = keptBytes === undefined ? '' : keptBytes > 0 ? ` ${formatBytes(keptBytes)} were kept: pull again to resume.` : '';
  return new ModelsError(
    ModelsErrorCode.DownloadFailed,
    `The download failed: ${reason}.${kept}`,
    keptBytes === undefined ? {} : { keptBytes: String(keptBytes) },
  );
}

const describe = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
