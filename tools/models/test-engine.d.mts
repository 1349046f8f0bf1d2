// Types of the test engine helper (plain JavaScript so benchmarks and e2e tests can use it without a build).
import type { Llama, LlamaLogLevel } from 'node-llama-cpp';

export interface EngineLogLine {
  level: LlamaLogLevel;
  message: string;
}

export declare class EngineLog {
  readonly lines: EngineLogLine[];
  add(level: LlamaLogLevel, message: string): void;
  waitFor(pattern: RegExp, options?: { deadlineMs?: number }): Promise<EngineLogLine>;
  clear(): void;
}

export interface TestEngine {
  /** node-llama-cpp's module namespace (LlamaCompletion, LlamaChatSession, readGgufFileInfo, …). */
  api: typeof import('node-llama-cpp');
  llama: Llama;
  /** The lines logged since this open. */
  log: EngineLog;
  /** Stops capturing lines into `log` (the process's one Llama stays: it is shared, and goes at exit). */
  close(): void;
}

export declare function openTestEngine(options?: { maxThreads?: number; logLevel?: `${LlamaLogLevel}` }): Promise<TestEngine>;
