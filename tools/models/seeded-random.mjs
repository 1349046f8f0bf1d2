// Seeded random numbers for test model weights. Only integer operations, +, -, × and / are used (no Math.random,
// no log/cos of Box–Muller, whose last bits may differ between platforms and V8 versions), so a model file has the
// same bytes, and the same sha256, on every machine.

/** mulberry32: a small, well-mixed 32-bit generator; returns a function giving uniform numbers in [0, 1). */
export function uniformGenerator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Approximately standard normal numbers: the Irwin–Hall sum of four uniforms, centred and scaled to variance 1.
 * Close enough to a Gaussian for random embedding directions, and exact arithmetic (sums of multiples of 2^-32).
 */
export function normalGenerator(seed) {
  const uniform = uniformGenerator(seed);
  const scale = Math.sqrt(3); // the sum of 4 uniforms has variance 4/12
  return () => (uniform() + uniform() + uniform() + uniform() - 2) * scale;
}

/** A 32-bit seed for one tensor from the model's seed and the tensor's name (FNV-1a), so tensors are independent. */
export function tensorSeed(seed, name) {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
