// How many threads llama.cpp decodes with when the configuration does not say (models.threads = 0).
//
// llama.cpp's threads spin at barriers between the steps of every token: a thread that waits for a core another
// process holds stalls all the others. Measured on the 2-vCPU development machine (docs/architecture.md §9; re-measure with
// tools/bench/llm/threads.mjs): node-llama-cpp's own default, max(cores, 4), took decode from ~1,000 to 0.4-0.7
// tokens/s, and with other processes on the cores 2 threads decoded 5-10x slower than 1. So: one
// core is left to the rest of aico and the user (the bus, storage, the gateway, a browser), at least one thread,
// and no more than 8 (decode is bound by memory bandwidth; beyond a few threads it gains nothing and costs power).
export const MAX_DEFAULT_THREADS = 8;

/** `mathCores`: the cores useful for math (node-llama-cpp's `llama.cpuMathCores`: physical cores, not SMT siblings). */
export function defaultThreadCount(mathCores: number): number {
  const cores = Number.isFinite(mathCores) && mathCores >= 1 ? Math.floor(mathCores) : 1;
  return Math.max(1, Math.min(cores - 1, MAX_DEFAULT_THREADS));
}
