// The time the gateway's login rules read (lockout backoff, per-account rate windows): injected, so unit tests move it
// by hand instead of racing the wall clock.
export interface Clock {
  now(): number;
}

export const GATEWAY_CLOCK = Symbol('GATEWAY_CLOCK');

export const systemClock: Clock = { now: () => Date.now() };
