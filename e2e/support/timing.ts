// How long e2e tests wait, in one place. Every wait is for a signal (a log line, an event, an answer) and these are
// only deadlines after which a broken run fails with a useful message: generous, because CI runs the suite on 2
// cores shared with other work. A healthy run gets each signal in well under a second to a few seconds.

/** One signal from a real process (ready, an answer, an exit). */
export const SIGNAL_TIMEOUT_MS = 120_000;

/** Time budgets of the apps that a loaded machine could exhaust, raised for tests (defined with the fixtures, which need them too). */
export { LOAD_TOLERANT_ENV } from '../fixtures/load-tolerant-env';
