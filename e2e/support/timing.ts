// How long e2e tests wait, in one place. Every wait is for a signal (a log line, an event, an answer) and these are
// only deadlines after which a broken run fails with a useful message: generous, because CI runs the suite on 2
// cores shared with other work. A healthy run gets each signal in well under a second to a few seconds.

/** One signal from a real process (ready, an answer, an exit). */
export const SIGNAL_TIMEOUT_MS = 120_000;

/**
 * Time budgets of the apps themselves that a loaded machine could exhaust, raised for tests. None of them is what
 * a test checks: readiness of a bus client, an app's graceful stop, the supervisor's wait for an app to be ready and
 * to stop after SIGTERM.
 */
export const LOAD_TOLERANT_ENV: Readonly<NodeJS.ProcessEnv> = {
  AICO_BUS__READY_TIMEOUT_MS: '120000',
  AICO_SHUTDOWN_TIMEOUT_MS: '60000',
  AICO_SUPERVISOR__READY_TIMEOUT_MS: '300000',
  AICO_SUPERVISOR__STOP_TIMEOUT_MS: '90000',
};
