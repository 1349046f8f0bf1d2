import { RestartPolicy } from './restart-policy';

describe('RestartPolicy', () => {
  const policy = () => new RestartPolicy({ initialDelayMs: 100, maxDelayMs: 15_000, stableAfterMs: 30_000, maxCrashesInARow: 10 });

  it('doubles the delay per crash from 100 ms up to the 15 s cap', () => {
    const restarts = policy();
    const delays = Array.from({ length: 10 }, () => {
      const decision = restarts.afterCrash('storage', 50, 'exit code 1');
      return decision.restart ? decision.delayMs : -1;
    });
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 15_000, 15_000]);
  });

  it('starts over after a stable run', () => {
    const restarts = policy();
    restarts.afterCrash('storage', 50, 'exit code 1');
    restarts.afterCrash('storage', 50, 'exit code 1');
    expect(restarts.afterCrash('storage', 31_000, 'exit code 1')).toEqual({ restart: true, delayMs: 100, crashesInARow: 1 });
  });

  it('gives up on a crash loop with a message that says what happened and what to do', () => {
    const restarts = policy();
    for (let i = 0; i < 10; i++) expect(restarts.afterCrash('keys', 10, 'exit code 78').restart).toBe(true);
    const decision = restarts.afterCrash('keys', 10, 'exit code 78');
    expect(decision).toMatchObject({ restart: false, crashesInARow: 11 });
    expect(decision.restart === false && decision.reason).toBe(
      'keys crashed 11 times in a row without staying up 30 s (last: exit code 78); not restarting it. Fix the cause (see its console log), then restart aico.',
    );
  });
});
