// Injection tokens of the monitor's seams: the clock and the operating-system probes, which tests replace.

/** Milliseconds since the epoch; injected so tests step time instead of sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const CLOCK = Symbol('CLOCK');
/** The SystemProbe the sampler reads (systeminformation in the app). */
export const SYSTEM_PROBE = Symbol('SYSTEM_PROBE');
/** The IdleProbeCandidates the activity tracker tries (the platform's own in the app). */
export const IDLE_PROBE_CANDIDATES = Symbol('IDLE_PROBE_CANDIDATES');
