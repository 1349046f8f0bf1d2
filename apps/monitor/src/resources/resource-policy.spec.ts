import { ResourceState } from '@aico/contracts';
import { monitorSettings, reading, type ReadingFigures } from '../monitor.test-helpers';
import { ResourcePolicy, stateName } from './resource-policy';

const { NORMAL, CONSTRAINED, CRITICAL } = ResourceState;

/** Runs a recorded sequence through a fresh policy; returns the state after each reading. */
function replay(sequence: readonly ReadingFigures[], policy = new ResourcePolicy(monitorSettings().policy)) {
  return sequence.map((figures, index) => policy.evaluate(reading(figures, index * 1000)));
}
const states = (verdicts: ReturnType<typeof replay>) => verdicts.map((verdict) => stateName(verdict.state));

describe('resource policy', () => {
  // Defaults: CPU 85/97 %, available memory 15/5 %, battery 20/10 % (background 50 %), hysteresis 5 points,
  // 3 readings to enter a rule, 5 to clear it.

  it('starts from unknown: the first reading is a change to normal, later normal readings are not', () => {
    const [first, second] = replay([{}, {}]);
    expect(first).toMatchObject({
      state: NORMAL,
      previous: ResourceState.UNSPECIFIED,
      changed: true,
      conditions: [],
      reason: 'normal: every resource within its limits',
    });
    expect(second).toMatchObject({ state: NORMAL, changed: false });
  });

  it('is settled only while normal with no rule on its way to holding or clearing (the monitor reads less often then)', () => {
    const policy = new ResourcePolicy(monitorSettings().policy);
    expect(policy.settled).toBe(false); // nothing read yet
    policy.evaluate(reading({}, 0));
    expect(policy.settled).toBe(true);
    // One busy reading: still normal (three are needed), but no longer settled.
    expect(policy.evaluate(reading({ cpu: 90 }, 1000)).state).toBe(NORMAL);
    expect(policy.settled).toBe(false);
    policy.evaluate(reading({}, 2000));
    expect(policy.settled).toBe(true);
    replay([{ cpu: 90 }, { cpu: 90 }, { cpu: 90 }], policy);
    expect(policy.settled).toBe(false); // constrained
    replay([{}, {}, {}, {}, {}], policy);
    expect(policy.settled).toBe(true); // cleared after five readings back inside
  });

  it('a laptop unplugged and draining: background waits below 50 %, constrained below 20 %, critical below 10 %, and plugging in clears it at once', () => {
    const draining = [55, 52, 49, 48, 47, 30, 21, 19, 18, 17, 12, 9, 8, 7, 6].map((battery) => ({ battery }));
    const verdicts = replay([...draining, { battery: 6, ac: true }]);
    expect(states(verdicts)).toEqual([
      ...['normal', 'normal', 'normal', 'normal', 'normal', 'normal', 'normal', 'normal', 'normal'],
      ...['constrained', 'constrained', 'constrained', 'constrained', 'critical', 'critical'],
      'normal',
    ]);
    // Three readings below 50 % hold background work (from the 5th reading) without changing the state.
    expect(verdicts[3]!.conditions).toEqual([]);
    expect(verdicts[4]!.conditions).toEqual([
      {
        code: 'battery_below_background_minimum',
        level: ResourceState.UNSPECIFIED,
        value: 47,
        threshold: 50,
        message: 'on battery at 47%, below the 50% background work needs',
      },
    ]);
    // Once the battery is low, that rule (not the background one) explains the state.
    expect(verdicts[9]).toMatchObject({ state: CONSTRAINED, changed: true, reason: 'constrained: on battery at 17%, below 20%' });
    expect(verdicts[9]!.conditions.map((condition) => condition.code)).toEqual(['battery_low']);
    expect(verdicts[13]).toMatchObject({ state: CRITICAL, previous: CONSTRAINED, changed: true, reason: 'critical: on battery at 7%, below 10%' });
    expect(verdicts[14]).toMatchObject({ state: CRITICAL, changed: false });
    expect(verdicts[15]).toMatchObject({ state: NORMAL, previous: CRITICAL, changed: true, conditions: [] });
  });

  it('memory pressure: constrained, then critical, and back down step by step as memory is freed', () => {
    const recorded = [40, 14, 13, 12, 6, 4, 4, 3, 4, 12, 12, 12, 12, 12, 19, 21, 22, 23, 24, 25].map((memory) => ({ memory }));
    const verdicts = replay(recorded);
    expect(states(verdicts)).toEqual([
      ...['normal', 'normal', 'normal', 'constrained', 'constrained', 'constrained', 'constrained'],
      ...['critical', 'critical', 'critical', 'critical', 'critical', 'critical'],
      // Critical clears after 5 readings at or above 5 + 5 % available; constrained after 5 at or above 15 + 5 %.
      ...['constrained', 'constrained', 'constrained', 'constrained', 'constrained', 'constrained', 'normal'],
    ]);
    expect(verdicts[7]!.conditions).toEqual([
      expect.objectContaining({ code: 'memory_critical', level: CRITICAL, threshold: 5, message: 'available memory 3%, below 5%' }),
    ]);
    expect(verdicts[13]).toMatchObject({ state: CONSTRAINED, previous: CRITICAL, changed: true, reason: 'constrained: available memory 12%, below 15%' });
    expect(verdicts[19]).toMatchObject({ state: NORMAL, previous: CONSTRAINED, changed: true });
  });

  it('hysteresis: a CPU hovering at its limit does not make the state flap', () => {
    const hovering = [86, 84, 86, 84, 86, 86, 84, 86].map((cpu) => ({ cpu }));
    expect(states(replay(hovering)).every((state) => state === 'normal')).toBe(true);

    const policy = new ResourcePolicy(monitorSettings().policy);
    const busy = replay(
      [90, 91, 92].map((cpu) => ({ cpu })),
      policy,
    );
    // The first reading is a change from unknown to normal.
    expect(busy.map((verdict) => verdict.changed)).toEqual([true, false, true]);
    expect(busy[2]).toMatchObject({ state: CONSTRAINED, reason: 'constrained: CPU 92% busy, above 85%' });
    // Below the limit but not below limit - hysteresis (80 %): still constrained, however long it lasts.
    const settling = replay(
      [84, 83, 82, 81, 82, 84, 83, 82, 81, 83].map((cpu) => ({ cpu })),
      policy,
    );
    expect(settling.every((verdict) => verdict.state === CONSTRAINED && !verdict.changed)).toBe(true);
    // Four readings at or below 80 %, then one above, restart the count; five in a row clear it.
    const interrupted = replay(
      [79, 78, 80, 77, 82, 79, 78, 77, 76].map((cpu) => ({ cpu })),
      policy,
    );
    expect(states(interrupted)).toEqual([
      'constrained',
      'constrained',
      'constrained',
      'constrained',
      'constrained',
      'constrained',
      'constrained',
      'constrained',
      'constrained',
    ]);
    const cleared = policy.evaluate(reading({ cpu: 75 }));
    expect(cleared).toMatchObject({ state: NORMAL, previous: CONSTRAINED, changed: true });
  });

  it('reports the strongest rule of each resource, strongest first, and the state names every cause', () => {
    const verdicts = replay([1, 2, 3].map(() => ({ cpu: 99, memory: 10 })));
    const last = verdicts[2]!;
    expect(last.state).toBe(CRITICAL);
    expect(last.conditions.map((condition) => condition.code)).toEqual(['cpu_saturated', 'memory_low']);
    expect(last.reason).toBe('critical: CPU 99% busy, above 97%');
  });

  it('applies no battery rule without a battery or on mains power, however low the charge', () => {
    const verdicts = replay([...[1, 2, 3, 4].map(() => ({ battery: 3, ac: true })), ...[1, 2, 3, 4].map(() => ({}))]);
    expect(verdicts.every((verdict) => verdict.state === NORMAL && verdict.conditions.length === 0)).toBe(true);
  });

  it('a limit of 100 % CPU or 0 % memory turns that rule off', () => {
    const policy = new ResourcePolicy(monitorSettings({ policy: { maxCpuPercent: 100, criticalCpuPercent: 100, criticalAvailableMemoryPercent: 0 } }).policy);
    const verdicts = replay(
      [1, 2, 3, 4].map(() => ({ cpu: 100, memory: 0 })),
      policy,
    );
    expect(verdicts.map((verdict) => verdict.conditions.map((condition) => condition.code))).toEqual([[], [], ['memory_low'], ['memory_low']]);
    expect(verdicts[3]!.state).toBe(CONSTRAINED);
  });
});
