import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { array, bool, f32, f64, float16Bits, float16Value, i16, i32, i64, i8, string, u16, u32, u64, u8, writeGgufFile } from './gguf-writer.mjs';
import { importNodeLlamaCpp } from './import-node-llama-cpp.mjs';

describe('the GGUF v3 writer', () => {
  let dir: string;
  let path: string;
  let written: { bytes: number; dataOffset: number; sha256: string };
  const halves = Float32Array.from({ length: 10 }, (_, i) => i / 4 - 1);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aico-gguf-writer-'));
    path = join(dir, 'kinds.gguf');
    written = writeGgufFile(path, {
      metadata: {
        'general.architecture': string('llama'),
        'general.alignment': u32(32),
        'test.u8': u8(200),
        'test.i8': i8(-5),
        'test.u16': u16(60000),
        'test.i16': i16(-30000),
        'test.u32': u32(4_000_000_000),
        'test.i32': i32(-2_000_000_000),
        'test.u64': u64(2n ** 40n),
        'test.i64': i64(-(2n ** 40n)),
        'test.f32': f32(0.5),
        'test.f64': f64(Math.PI),
        'test.bool': bool(true),
        'test.string': string('héllo ▁'),
        'test.strings': array('string', ['a', '<0x0A>', '']),
        'test.floats': array('f32', [1.5, -2]),
        'test.ints': array('i32', [-1, 2, 3]),
      },
      tensors: [
        // 12 bytes: the next tensor must start 32 bytes in.
        { name: 'a', dims: [3], type: 'F32', data: () => Float32Array.of(1, 2, 3) },
        { name: 'b', dims: [5, 2], type: 'F16', data: () => halves },
      ],
    });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the header: magic, version 3, tensor and key/value counts as u64', () => {
    const bytes = readFileSync(path);
    expect(bytes.toString('latin1', 0, 4)).toBe('GGUF');
    expect(bytes.readUInt32LE(4)).toBe(3);
    expect(bytes.readBigUInt64LE(8)).toBe(2n);
    expect(bytes.readBigUInt64LE(16)).toBe(17n);
    expect(bytes.length).toBe(written.bytes);
  });

  it('aligns the data section and every tensor to general.alignment, zero-padded, in ggml dimension order', () => {
    const bytes = readFileSync(path);
    expect(written.dataOffset % 32).toBe(0);
    const data = bytes.subarray(written.dataOffset);
    expect([0, 1, 2].map((i) => data.readFloatLE(i * 4))).toEqual([1, 2, 3]);
    expect(data.subarray(12, 32).every((byte) => byte === 0)).toBe(true);
    expect(Array.from({ length: 10 }, (_, i) => float16Value(data.readUInt16LE(32 + i * 2)))).toEqual([...halves]);
    // The last tensor is padded too (20 bytes → 32), so the file is a whole number of alignment units.
    expect(bytes.length).toBe(written.dataOffset + 64);
  });

  it('is read back by node-llama-cpp: every value type, string and number arrays, tensor infos', async () => {
    const { readGgufFileInfo } = await importNodeLlamaCpp();
    const info = await readGgufFileInfo(path);
    expect(info.version).toBe(3);
    expect((info.metadata as unknown as { test: Record<string, unknown> }).test).toEqual({
      u8: 200,
      i8: -5,
      u16: 60000,
      i16: -30000,
      u32: 4_000_000_000,
      i32: -2_000_000_000,
      u64: 2n ** 40n,
      i64: -(2n ** 40n),
      f32: 0.5,
      f64: Math.PI,
      bool: true,
      string: 'héllo ▁',
      strings: ['a', '<0x0A>', ''],
      floats: [1.5, -2],
      ints: [-1, 2, 3],
    });
    expect(info.tensorInfo?.map(({ name, dimensions, ggmlType, offset }) => ({ name, dimensions, ggmlType, offset }))).toEqual([
      { name: 'a', dimensions: [3], ggmlType: 0, offset: 0 },
      { name: 'b', dimensions: [5, 2], ggmlType: 1, offset: 32 },
    ]);
    expect(info.tensorInfo?.[0]?.fileOffset).toBe(written.dataOffset);
  });

  it('refuses tensor data that does not match the dimensions, and unknown types', () => {
    const tensors = [{ name: 'x', dims: [2, 2], type: 'F32' as const, data: () => new Float32Array(3) }];
    expect(() => writeGgufFile(join(dir, 'bad.gguf'), { metadata: {}, tensors })).toThrow('tensor x: 3 values for dimensions 2×2');
    const quantized = [{ name: 'q', dims: [32], type: 'Q4_0' as unknown as 'F32', data: () => new Float32Array(32) }];
    expect(() => writeGgufFile(join(dir, 'q.gguf'), { metadata: {}, tensors: quantized })).toThrow('unsupported type Q4_0');
  });
});

describe('float16Bits', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [1 / 3, 0x3555], // rounded to nearest
    [65504, 0x7bff], // the largest half
    [65520, 0x7c00], // rounds up to infinity
    [2 ** -24, 0x0001], // the smallest subnormal
    [2 ** -26, 0x0000], // below half of it: zero
    [1 + 2 ** -11, 0x3c00], // a tie, to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // a tie, to even (up)
    [-0, 0x8000],
    [Number.NEGATIVE_INFINITY, 0xfc00],
  ])('%p → %p', (value, bits) => {
    expect(float16Bits(value)).toBe(bits);
  });

  it('round-trips every finite half exactly', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue; // infinities and NaNs
      if (float16Bits(float16Value(bits)) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });
});
