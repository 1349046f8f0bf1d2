// A minimal GGUF v3 writer: enough of the format for the project's own test and benchmark models (F32 and F16
// tensors, typed key/value metadata including arrays). The layout follows ggml's docs/gguf.md:
//
//   header        "GGUF" magic, version (u32) = 3, tensor count (u64), key/value count (u64)
//   metadata      key (string), value type (u32), value — strings are a u64 byte length and UTF-8 bytes, no NUL
//   tensor infos  name (string), dimension count (u32), dimensions (u64 each, ggml order: the contiguous one
//                 first), ggml type (u32), offset (u64) from the start of the data section
//   padding       to `general.alignment` (32 when the key is absent), so the data section can be mmap-ed aligned
//   tensor data   each tensor starts at a multiple of the alignment, zero-padded between tensors
//
// Written tensor by tensor through one file descriptor, so a 200 MB benchmark model never sits in memory whole.
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

/** GGUF metadata value types (gguf_type in ggml). */
export const GGUF_VALUE_TYPE = Object.freeze({
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
});

/** The two ggml tensor types this writer knows (ggml_type), with their bytes per element. */
export const GGML_TYPE = Object.freeze({ F32: { id: 0, size: 4 }, F16: { id: 1, size: 2 } });

const GGUF_MAGIC = 'GGUF';
const GGUF_VERSION = 3;
const DEFAULT_ALIGNMENT = 32;

// Typed values: GGUF stores a type tag with every value, and llama.cpp checks it (a context length written as
// f32 instead of u32 is rejected), so metadata is built from these constructors rather than plain JS values.
export const u8 = (value) => ({ type: 'u8', value });
export const i8 = (value) => ({ type: 'i8', value });
export const u16 = (value) => ({ type: 'u16', value });
export const i16 = (value) => ({ type: 'i16', value });
export const u32 = (value) => ({ type: 'u32', value });
export const i32 = (value) => ({ type: 'i32', value });
export const u64 = (value) => ({ type: 'u64', value: BigInt(value) });
export const i64 = (value) => ({ type: 'i64', value: BigInt(value) });
export const f32 = (value) => ({ type: 'f32', value });
export const f64 = (value) => ({ type: 'f64', value });
export const bool = (value) => ({ type: 'bool', value });
export const string = (value) => ({ type: 'string', value });
/** An array of one scalar type or of strings (GGUF also allows nested arrays; no model here needs them). */
export const array = (itemType, values) => ({ type: 'array', itemType, value: values });

/** Grows a byte buffer for the (small) header part of the file. */
class ByteSink {
  #buffer = Buffer.alloc(4096);
  length = 0;

  #reserve(bytes) {
    if (this.length + bytes <= this.#buffer.length) return;
    const next = Buffer.alloc(Math.max(this.#buffer.length * 2, this.length + bytes));
    this.#buffer.copy(next, 0, 0, this.length);
    this.#buffer = next;
  }

  scalar(type, value) {
    const sizes = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8 };
    const size = sizes[type];
    if (size === undefined) throw new TypeError(`not a GGUF scalar type: ${type}`);
    this.#reserve(size);
    const b = this.#buffer;
    const at = this.length;
    switch (type) {
      case 'u8':
        b.writeUInt8(value, at);
        break;
      case 'i8':
        b.writeInt8(value, at);
        break;
      case 'bool':
        b.writeUInt8(value ? 1 : 0, at);
        break;
      case 'u16':
        b.writeUInt16LE(value, at);
        break;
      case 'i16':
        b.writeInt16LE(value, at);
        break;
      case 'u32':
        b.writeUInt32LE(value, at);
        break;
      case 'i32':
        b.writeInt32LE(value, at);
        break;
      case 'f32':
        b.writeFloatLE(value, at);
        break;
      case 'u64':
        b.writeBigUInt64LE(BigInt(value), at);
        break;
      case 'i64':
        b.writeBigInt64LE(BigInt(value), at);
        break;
      case 'f64':
        b.writeDoubleLE(value, at);
        break;
    }
    this.length += size;
  }

  string(text) {
    const bytes = Buffer.from(text, 'utf8');
    this.scalar('u64', bytes.length);
    this.#reserve(bytes.length);
    bytes.copy(this.#buffer, this.length);
    this.length += bytes.length;
  }

  raw(text) {
    this.#reserve(text.length);
    this.length += this.#buffer.write(text, this.length, 'latin1');
  }

  padTo(alignment) {
    const padding = paddingFor(this.length, alignment);
    this.#reserve(padding);
    this.#buffer.fill(0, this.length, this.length + padding);
    this.length += padding;
  }

  bytes() {
    return this.#buffer.subarray(0, this.length);
  }
}

const paddingFor = (offset, alignment) => (alignment - (offset % alignment)) % alignment;

function writeValue(sink, { type, itemType, value }) {
  if (type === 'string') return sink.string(value);
  if (type !== 'array') return sink.scalar(type, value);
  if (itemType === 'array') throw new TypeError('nested GGUF arrays are not supported by this writer');
  sink.scalar('u32', valueTypeId(itemType));
  sink.scalar('u64', value.length);
  for (const item of value) writeValue(sink, { type: itemType, value: item });
}

function valueTypeId(type) {
  const id = GGUF_VALUE_TYPE[type];
  if (id === undefined) throw new TypeError(`not a GGUF value type: ${type}`);
  return id;
}

const elementCount = (dims) => dims.reduce((product, dim) => product * dim, 1);

/**
 * Writes a GGUF v3 file. `metadata` maps keys to typed values (u32(…), string(…), array('string', […]), …), in the
 * order they should appear; `tensors` are `{ name, dims, type: 'F32' | 'F16', data }` with `dims` in ggml order
 * (contiguous dimension first) and `data()` returning the elements as a Float32Array, called once, in file order.
 * Returns the file's size, where its data section starts and its sha256.
 */
export function writeGgufFile(path, { metadata, tensors }) {
  const alignment = metadata['general.alignment']?.value ?? DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    throw new RangeError(`general.alignment must be a positive multiple of 8, not ${alignment}`);
  }

  const header = new ByteSink();
  header.raw(GGUF_MAGIC);
  header.scalar('u32', GGUF_VERSION);
  header.scalar('u64', tensors.length);
  header.scalar('u64', Object.keys(metadata).length);
  for (const [key, typed] of Object.entries(metadata)) {
    header.string(key);
    header.scalar('u32', valueTypeId(typed.type));
    writeValue(header, typed);
  }

  // Offsets are known before any data exists: each tensor's size follows from its dimensions and type.
  let offset = 0;
  const placed = tensors.map((tensor) => {
    const type = GGML_TYPE[tensor.type];
    if (!type) throw new TypeError(`tensor ${tensor.name}: unsupported type ${tensor.type} (F32 or F16)`);
    const size = elementCount(tensor.dims) * type.size;
    const at = offset;
    offset += size + paddingFor(size, alignment);
    return { ...tensor, typeId: type.id, size, offset: at };
  });
  for (const tensor of placed) {
    header.string(tensor.name);
    header.scalar('u32', tensor.dims.length);
    for (const dim of tensor.dims) header.scalar('u64', dim);
    header.scalar('u32', tensor.typeId);
    header.scalar('u64', tensor.offset);
  }
  header.padTo(alignment);
  const dataOffset = header.length;

  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    const write = (bytes) => {
      hash.update(bytes);
      writeSync(fd, bytes);
    };
    write(header.bytes());
    for (const tensor of placed) {
      const values = tensor.data();
      if (values.length !== elementCount(tensor.dims)) {
        throw new RangeError(`tensor ${tensor.name}: ${values.length} values for dimensions ${tensor.dims.join('×')}`);
      }
      write(encodeTensor(values, tensor.type));
      const padding = paddingFor(tensor.size, alignment);
      if (padding > 0) write(Buffer.alloc(padding));
    }
  } finally {
    closeSync(fd);
  }
  return { bytes: dataOffset + offset, dataOffset, sha256: hash.digest('hex') };
}

/** Little-endian element bytes: GGUF has no byte-order marker, and every llama.cpp host reads little-endian. */
function encodeTensor(values, type) {
  if (type === 'F32') {
    const out = Buffer.alloc(values.length * 4);
    for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], i * 4);
    return out;
  }
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(float16Bits(values[i]), i * 2);
  return out;
}

const f32View = new Float32Array(1);
const u32View = new Uint32Array(f32View.buffer);

/**
 * IEEE 754 half-precision bits of a number, rounded to nearest even from its float32 value. Written out (Node 20
 * has no Float16Array) with integer operations only, so every machine produces the same bits.
 */
export function float16Bits(value) {
  f32View[0] = value;
  const bits = u32View[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // infinity, or a quiet NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (halfExponent <= 0) {
    // A half subnormal (or zero): the implicit leading bit becomes explicit and is shifted down with the rest.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShift(full, shift);
  }
  // The rounding carry may ripple into the exponent (and up to infinity): that is the correct result.
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

/** `value >> shift`, rounded to nearest, ties to even. */
function roundShift(value, shift) {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The number half-precision bits stand for (the inverse of float16Bits), e.g. to predict what a model computes. */
export function float16Value(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}
