// Types of the GGUF writer (plain JavaScript so it runs without a build).
export type GgufScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'u64' | 'i64' | 'f64';
export type GgufValue =
  | { type: Exclude<GgufScalarType, 'u64' | 'i64' | 'bool'>; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: GgufScalarType | 'string'; value: readonly (number | bigint | boolean | string)[] };

export interface GgufTensor {
  name: string;
  /** ggml order: the contiguous dimension first. */
  dims: readonly number[];
  type: 'F32' | 'F16';
  data: () => Float32Array;
}

export declare const GGUF_VALUE_TYPE: Readonly<Record<GgufScalarType | 'string' | 'array', number>>;
export declare const GGML_TYPE: Readonly<Record<'F32' | 'F16', { id: number; size: number }>>;

export declare function u8(value: number): GgufValue;
export declare function i8(value: number): GgufValue;
export declare function u16(value: number): GgufValue;
export declare function i16(value: number): GgufValue;
export declare function u32(value: number): GgufValue;
export declare function i32(value: number): GgufValue;
export declare function u64(value: number | bigint): GgufValue;
export declare function i64(value: number | bigint): GgufValue;
export declare function f32(value: number): GgufValue;
export declare function f64(value: number): GgufValue;
export declare function bool(value: boolean): GgufValue;
export declare function string(value: string): GgufValue;
export declare function array(itemType: GgufScalarType | 'string', values: readonly (number | bigint | boolean | string)[]): GgufValue;

export declare function writeGgufFile(
  path: string,
  file: { metadata: Record<string, GgufValue>; tensors: readonly GgufTensor[] },
): { bytes: number; dataOffset: number; sha256: string };

export declare function float16Bits(value: number): number;
export declare function float16Value(bits: number): number;
