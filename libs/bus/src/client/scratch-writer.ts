// The byte sink of the payload writer: protobuf-es's BinaryWriter methods (wire/binary-encoding.js, 2.17) ported onto
// one Buffer that is kept from message to message, so that encoding a payload allocates no ArrayBuffer. Only
// canonical values are written (numbers in range, bigint or decimal strings for 64-bit fields, strings, Uint8Arrays).
// Anything else throws, and the payload writer then hands the message to toBinary, which coerces or refuses it as
// it always has.
import { protoInt64 } from '@bufbuild/protobuf';
import { varintSize } from './envelope-writer';

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const FLOAT32_MAX = 3.4028234663852886e38;
/** A payload larger than this (a backup chunk, a model list) does not keep its scratch space after it is sent. */
const MAX_KEPT_BYTES = 64 * 1024;
const INITIAL_BYTES = 1024;

class NotCanonical extends Error {
  constructor(kind: string, value: unknown) {
    super(`not a canonical ${kind}: ${typeof value}`);
  }
}

function checkInt32(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) throw new NotCanonical('int32', value);
  return value;
}

function checkUint32(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) throw new NotCanonical('uint32', value);
  return value;
}

type Int64Input = bigint | string | number;

export class ScratchWriter {
  private buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  private pos = 0;
  private readonly forks: number[] = [];

  /** Starts a new message (and lets go of scratch space a large one needed). */
  reset(): void {
    if (this.buffer.length > MAX_KEPT_BYTES) this.buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
    this.pos = 0;
    this.forks.length = 0;
  }

  /** What was written since reset(): a view of the scratch space, valid until the next reset(). */
  written(): Buffer {
    return this.buffer.subarray(0, this.pos);
  }

  tag(fieldNo: number, wireType: number): void {
    this.varint32(((fieldNo << 3) | wireType) >>> 0);
  }

  /** Reserves one byte for the length of what follows; join() writes it (and shifts the body if it needs more). */
  fork(): void {
    this.forks.push(this.pos);
    this.ensure(1);
    this.buffer[this.pos++] = 0;
  }

  join(): void {
    const forkPos = this.forks.pop();
    if (forkPos === undefined) throw new Error('join() without fork()');
    const length = this.pos - forkPos - 1;
    const prefixSize = varintSize(length);
    if (prefixSize > 1) {
      this.ensure(prefixSize - 1);
      this.buffer.copyWithin(forkPos + prefixSize, forkPos + 1, this.pos);
    }
    this.pos = forkPos;
    this.varint32(length);
    this.pos += length;
  }

  uint32(value: unknown): void {
    this.varint32(checkUint32(value));
  }

  int32(value: unknown): void {
    let n = checkInt32(value);
    if (n >= 0) return this.varint32(n);
    // Negative: sign-extended to 64 bits, ten bytes.
    this.ensure(10);
    for (let i = 0; i < 9; i++) {
      this.buffer[this.pos++] = (n & 0x7f) | 0x80;
      n >>= 7;
    }
    this.buffer[this.pos++] = 1;
  }

  sint32(value: unknown): void {
    const n = checkInt32(value);
    this.varint32(((n << 1) ^ (n >> 31)) >>> 0);
  }

  bool(value: unknown): void {
    this.ensure(1);
    this.buffer[this.pos++] = value ? 1 : 0;
  }

  bytes(value: unknown): void {
    if (!(value instanceof Uint8Array)) throw new NotCanonical('bytes', value);
    this.varint32(value.byteLength);
    this.ensure(value.byteLength);
    this.buffer.set(value, this.pos);
    this.pos += value.byteLength;
  }

  string(value: unknown): void {
    if (typeof value !== 'string') throw new NotCanonical('string', value);
    // Lone surrogates become U+FFFD here as in TextEncoder, so the byte count and the bytes match protobuf-es.
    const length = Buffer.byteLength(value, 'utf8');
    this.varint32(length);
    this.ensure(length);
    this.pos += this.buffer.write(value, this.pos, length, 'utf8');
  }

  float(value: unknown): void {
    if (typeof value !== 'number' || (Number.isFinite(value) && (value > FLOAT32_MAX || value < -FLOAT32_MAX))) throw new NotCanonical('float', value);
    this.ensure(4);
    this.pos = this.buffer.writeFloatLE(value, this.pos);
  }

  double(value: unknown): void {
    if (typeof value !== 'number') throw new NotCanonical('double', value);
    this.ensure(8);
    this.pos = this.buffer.writeDoubleLE(value, this.pos);
  }

  fixed32(value: unknown): void {
    const n = checkUint32(value);
    this.ensure(4);
    this.pos = this.buffer.writeUInt32LE(n, this.pos);
  }

  sfixed32(value: unknown): void {
    const n = checkInt32(value);
    this.ensure(4);
    this.pos = this.buffer.writeInt32LE(n, this.pos);
  }

  // protoInt64 validates the 64-bit values (and throws for what is not one), as it does for protobuf-es.
  int64(value: unknown): void {
    const { lo, hi } = protoInt64.enc(value as Int64Input);
    this.varint64(lo, hi);
  }

  uint64(value: unknown): void {
    const { lo, hi } = protoInt64.uEnc(value as Int64Input);
    this.varint64(lo, hi);
  }

  sint64(value: unknown): void {
    const { lo, hi } = protoInt64.enc(value as Int64Input);
    const sign = hi >> 31;
    this.varint64((lo << 1) ^ sign, ((hi << 1) | (lo >>> 31)) ^ sign);
  }

  fixed64(value: unknown): void {
    this.fixed64Words(protoInt64.uEnc(value as Int64Input));
  }

  sfixed64(value: unknown): void {
    this.fixed64Words(protoInt64.enc(value as Int64Input));
  }

  private fixed64Words({ lo, hi }: { lo: number; hi: number }): void {
    this.ensure(8);
    this.buffer.writeInt32LE(lo, this.pos);
    this.buffer.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  private varint32(value: number): void {
    this.ensure(5);
    while (value > 0x7f) {
      this.buffer[this.pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buffer[this.pos++] = value;
  }

  /** A 64-bit varint from its low and high 32-bit words (protobuf-es's writeVarint64). */
  private varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buffer;
    for (let i = 0; i < 28; i += 7) {
      const shift = lo >>> i;
      const hasNext = !(shift >>> 7 === 0 && hi === 0);
      buf[this.pos++] = (hasNext ? shift | 0x80 : shift) & 0xff;
      if (!hasNext) return;
    }
    const splitBits = ((lo >>> 28) & 0x0f) | ((hi & 0x07) << 4);
    const hasMoreBits = hi >> 3 !== 0;
    buf[this.pos++] = (hasMoreBits ? splitBits | 0x80 : splitBits) & 0xff;
    if (!hasMoreBits) return;
    for (let i = 3; i < 31; i += 7) {
      const shift = hi >>> i;
      const hasNext = shift >>> 7 !== 0;
      buf[this.pos++] = (hasNext ? shift | 0x80 : shift) & 0xff;
      if (!hasNext) return;
    }
    buf[this.pos++] = (hi >>> 31) & 0x01;
  }

  private ensure(size: number): void {
    const required = this.pos + size;
    if (required <= this.buffer.length) return;
    let length = this.buffer.length * 2;
    while (length < required) length *= 2;
    const grown = Buffer.allocUnsafeSlow(length);
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }
}
