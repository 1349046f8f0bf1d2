// Types of the test model generator (plain JavaScript so tests, benchmarks and e2e tests use it without a build).
export interface TestModelOptions {
  layers?: number;
  width?: number;
  feedForward?: number;
  heads?: number;
  /** The trained context length written to the metadata. */
  context?: number;
  /** The text characters, in chain order (each one's greedy successor is the next). */
  vocabulary?: string | readonly string[];
  /** true: ChatML; false: no template; a string: that Jinja template. */
  chatTemplate?: boolean | string;
  f16?: boolean;
  /** `general.architecture`; a name llama.cpp does not know makes a model that fails to load. */
  architecture?: string;
  name?: string;
  seed?: number;
  /** true: cut the file in the middle of its tensor data; a number: keep that many bytes. */
  truncate?: boolean | number;
}

export interface TestModel {
  path: string;
  bytes: number;
  sha256: string;
  dataOffset: number;
  parameters: number;
  vocabularySize: number;
  tokens: { bos: number; eos: number; unk: number; newline: number; imStart?: number; imEnd?: number };
  /** The smallest relative lead of the predicted token's logit, on the written weights. */
  margin: number;
  options: Readonly<Required<Omit<TestModelOptions, 'vocabulary'>> & { vocabulary: string | readonly string[] }>;
}

export declare const TEST_MODEL_DEFAULTS: Readonly<TestModelOptions>;
export declare const BENCH_MODEL_DEFAULTS: Readonly<TestModelOptions>;
export declare const DEFAULT_VOCABULARY: string;
export declare const CHATML_TEMPLATE: string;

export declare function makeTestModel(path: string, options?: TestModelOptions): TestModel;
export declare function makeBenchModel(path: string, options?: TestModelOptions): TestModel;
export declare function continuationTokens(prompt: string, tokens: number, options?: { vocabulary?: string | readonly string[] }): string[];
export declare function predictContinuation(prompt: string, tokens: number, options?: { vocabulary?: string | readonly string[] }): string;
export declare function parseArguments(argv: readonly string[]): {
  out: string;
  bench: boolean;
  options: TestModelOptions;
};
