// How many threads llama.cpp decodes with when the configuration does not say (models.threads = 0).
//
// llama.cpp's threads spin at barriers between the steps of every token: a thread that waits for a core another
// process holds stalls all the others. Measured here (2 vCPU, tools/bench/llm/threads.mjs, the 100M-parameter bench
// model): see README. node-llama-cpp's own default, max(cores, 4), is the worst choice on a small machine. So: one
// core is left to the rest of aico and the user (the bus, storage, the gateway, a browser), at least one thread,
// and no more than 8 (decode is bound by memory bandwidth; beyond a few threads it gains nothing and costs power).
export const MAX_DEFAULT_THREADS = 8;

/** `mathCores`: the cores useful for math (node-llama-cpp's `llama.cpuMathCores`: physical cores, not SMT siblings). */
export function defaultThreadCount(mathCores: number): number {
  const cores = Number.isFinite(mathCores) && mathCores >= 1 ? Math.floor(mathCores) : 1;
  return Math.max(1, Math.min(cores - 1, MAX_DEFAULT_THREADS));
}
