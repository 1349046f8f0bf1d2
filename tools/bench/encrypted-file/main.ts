// Encrypted-file throughput: MB/s to write and read a 256 MiB file through EncryptedFile (AES-256-GCM, 64 KiB
// chunks, atomic replace with fsync), and the same through the streams alone (no disk), printed as JSON.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DecryptingStream, EncryptedFile, EncryptingStream } from '@aico/encrypted-file';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.argv[2] ?? 256);
const block = randomBytes(MIB);

function source(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      this.push(sent++ < SIZE_MIB ? block : null);
    },
  });
}

function sink(onData?: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      onData?.(chunk);
      callback();
    },
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const mbPerSec = (seconds: number) => Math.round((SIZE_MIB * MIB) / 1e6 / seconds);

async function main(): Promise<void> {
  const key = randomBytes(32);
  const files = new EncryptedFile(key);
  const dir = await mkdtemp(join(tmpdir(), 'aico-bench-ef-'));
  const path = join(dir, 'bench.enc');
  try {
    process.stderr.write(`writing ${SIZE_MIB} MiB to ${path} ...\n`);
    const writeSeconds = await timed(() => files.writeStream(path, source()));
    const fileBytes = (await stat(path)).size;
    process.stderr.write('reading it back ...\n');
    let readBytes = 0;
    const readSeconds = await timed(() =>
      pipeline(
        files.createReadStream(path),
        sink((chunk) => (readBytes += chunk.length)),
      ),
    );
    if (readBytes !== SIZE_MIB * MIB) throw new Error(`read ${readBytes} bytes, expected ${SIZE_MIB * MIB}`);

    process.stderr.write('streams alone (no disk) ...\n');
    const sealedParts: Buffer[] = [];
    const encryptSeconds = await timed(() =>
      pipeline(
        source(),
        new EncryptingStream(key),
        sink((chunk) => sealedParts.push(chunk)),
      ),
    );
    const decryptSeconds = await timed(() => pipeline(Readable.from(sealedParts), new DecryptingStream(key), sink()));

    const result = {
      machine: { cpuModel: cpus()[0]?.model ?? 'unknown', cpuCount: cpus().length, node: process.version, tmpdir: tmpdir() },
      sizeMiB: SIZE_MIB,
      chunkBytes: 65_536,
      overheadBytes: fileBytes - SIZE_MIB * MIB,
      file: { writeMBps: mbPerSec(writeSeconds), readMBps: mbPerSec(readSeconds), writeSeconds, readSeconds },
      streamsOnly: { encryptMBps: mbPerSec(encryptSeconds), decryptMBps: mbPerSec(decryptSeconds) },
      target: {
        value: Math.min(mbPerSec(writeSeconds), mbPerSec(readSeconds)),
        target: '>= 300 MB/s (write and read)',
        met: Math.min(mbPerSec(writeSeconds), mbPerSec(readSeconds)) >= 300,
      },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
