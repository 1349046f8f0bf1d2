// How long a scheduler test waits for one signal (an envelope on the bus, a timer the scheduler arms, the end of a
// run) before it fails: a deadline in real time, not a measure of speed, generous because tests share 2 busy cores.
// Time on the scheduler's ManualClock is another matter: the tests move it by hand.
export const SIGNAL_TIMEOUT_MS = 60_000;
