import { RestartPolicy, type CrashReport } from './restart-policy';

describe('RestartPolicy', () => {
  const policy = () => new RestartPolicy({ initialDelayMs: 100, maxDelayMs: 15_000, stableAfterMs: 30_000, maxCrashesInARow: 10 });
  const crash = (ranForMs: number, everReady: boolean, exit = 'exit code 1'): CrashReport => ({ ranForMs, exit, everReady });

  it('doubles the delay per crash from 100 ms up to the 15 s cap', () => {
    const restarts = policy();
    const delays = Array.from({ length: 10 }, () => {
      const decision = restarts.afterCrash('storage', crash(50, true));
      return decision.restart ? decision.delayMs : -1;
    });
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 15_000, 15_000]);
  });

  it('starts over after a stable run', () => {
    const restarts = policy();
    restarts.afterCrash('storage', crash(50, true));
    restarts.afterCrash('storage', crash(50, true));
    expect(restarts.afterCrash('storage', crash(31_000, true))).toMatchObject({ restart: true, delayMs: 100, crashesInARow: 1 });
  });

  it('always restarts an app that was ready once, however often client input crashes it, with the delay capped and said in its status', () => {
    const restarts = policy();
    const decisions = Array.from({ length: 1_000 }, () => restarts.afterCrash('gateway', crash(20, true, 'exit code 1')));
    expect(decisions.every((decision) => decision.restart)).toBe(true);
    expect(decisions.at(-1)).toEqual({
      restart: true,
      delayMs: 15_000,
      crashesInARow: 1_000,
      status: 'crashed 1000 times in a row (last: exit code 1); restarting in 15 s',
    });
    expect(decisions[0]).toMatchObject({ status: 'crashed once (last: exit code 1); restarting in 0.1 s' });
  });

  it('gives up only on a crash loop before the app ever became ready, with a message that says what happened and what to do', () => {
    const restarts = policy();
    for (let i = 0; i < 10; i++) expect(restarts.afterCrash('keys', crash(10, false, 'exit code 78')).restart).toBe(true);
    const decision = restarts.afterCrash('keys', crash(10, false, 'exit code 78'));
    expect(decision).toMatchObject({ restart: false, crashesInARow: 11 });
    expect(decision.restart === false && decision.reason).toBe(
      'keys crashed 11 times in a row before it ever became ready (last: exit code 78): a configuration or start-up failure; not restarting it. Fix the cause (see its console log), then restart aico.',
    );
  });
});
