import { ActivityKind } from '@aico/contracts';
import { captureLogger } from '@aico/logging';
import { ManualClock, monitorSettings } from '../monitor.test-helpers';
import { ActivityTracker } from './activity-tracker';
import { IdleProbeError, type IdleProbe } from './idle-probes';

const WINDOW = 120_000;

/** A probe whose answers a test sets: a number of idle milliseconds, or an error. */
function scriptedProbe(name: string, answer: number | Error): IdleProbe & { answer: number | Error; reads: number } {
  const probe = {
    name,
    minIntervalMs: 0,
    answer,
    reads: 0,
    idleMs: () => {
      probe.reads++;
      return probe.answer instanceof Error ? Promise.reject(probe.answer) : Promise.resolve(probe.answer);
    },
  };
  return probe;
}

function newTestTracker(candidates: IdleProbe[], activity: Partial<ReturnType<typeof monitorSettings>['activity']> = {}) {
  const { logger, lines } = captureLogger('monitor');
  const clock = new ManualClock();
  const sut = new ActivityTracker(monitorSettings({ activity: { idleAfterMs: WINDOW, osIdleIntervalMs: 10_000, ...activity } }).activity, candidates, logger);
  return { sut, clock, lines };
}

describe('activity tracker', () => {
  describe('reports from the gateway', () => {
    it('input makes the user active for the activity window, per front end; away ends that front end at once', () => {
      const { sut, clock } = newTestTracker([]);
      const start = clock.now();
      expect(sut.view(start)).toEqual({ active: false, reason: 'no user activity seen', lastActivityAtMs: undefined });
      expect(sut.report(ActivityKind.INPUT, start, 'web:1', start)).toBe(true);
      expect(sut.report(ActivityKind.PRESENT, start + 30_000, 'desktop', start + 30_000)).toBe(true);
      expect(sut.view(clock.advance(60_000))).toEqual({
        active: true,
        reason: 'the user is active: last activity 30 s ago, from front end desktop',
        lastActivityAtMs: start + 30_000,
      });
      expect(sut.report(ActivityKind.AWAY, undefined, 'desktop', clock.now())).toBe(true);
      expect(sut.view(clock.now())).toMatchObject({ active: true, reason: 'the user is active: last activity 60 s ago, from front end web:1' });
      expect(sut.view(clock.advance(60_000))).toEqual({ active: false, reason: 'no user activity seen', lastActivityAtMs: undefined });
      expect(sut.status(clock.now()).activeClients).toEqual([]);
    });

    it('ignores stale reports (held up on the bus) and reports of no kind; a report from the future counts as now', () => {
      const { sut, clock } = newTestTracker([]);
      const now = clock.now();
      expect(sut.report(ActivityKind.INPUT, now - WINDOW, 'web', now)).toBe(false);
      expect(sut.report(ActivityKind.UNSPECIFIED, now, 'web', now)).toBe(false);
      expect(sut.view(now).active).toBe(false);
      expect(sut.report(ActivityKind.INPUT, now + 3_600_000, 'skewed', now)).toBe(true);
      expect(sut.view(now + WINDOW).active).toBe(false);
    });
  });

  describe('the operating system’s idle time', () => {
    it('counts OS input as activity, through the first probe that answers, read at its interval', async () => {
      const broken = scriptedProbe('loginctl', new IdleProbeError('the session does not report idleness (IdleSinceHint=0)'));
      const xprintidle = scriptedProbe('xprintidle', 5_000);
      const { sut, clock, lines } = newTestTracker([broken, xprintidle]);
      expect(await sut.pollOsIdle(clock.now())).toBe(true);
      expect(sut.view(clock.now())).toMatchObject({ active: true, reason: 'the user is active: last activity 5 s ago, from the OS (xprintidle)' });
      expect(lines).toContainEqual(
        expect.objectContaining({
          msg: 'Reading the OS idle time through xprintidle',
          notUsed: 'loginctl: the session does not report idleness (IdleSinceHint=0)',
        }),
      );
      expect(await sut.pollOsIdle(clock.advance(9_999))).toBe(false);
      xprintidle.answer = 600_000;
      expect(await sut.pollOsIdle(clock.advance(1))).toBe(true);
      expect(xprintidle.reads).toBe(2);
      expect(broken.reads).toBe(1);
      expect(sut.view(clock.now())).toMatchObject({ active: false, reason: 'the user has been idle for 10 min' });
      expect(sut.status(clock.now())).toMatchObject({
        userActive: false,
        osIdleAvailable: true,
        osIdleProbe: 'xprintidle',
        osIdleProblem: '',
        osIdleMs: 600_000n,
      });
    });

    it('no probe available: says so once in the log and in every status, and activity comes from the gateway alone', async () => {
      const loginctl = scriptedProbe(
        'loginctl',
        new IdleProbeError("show-session self: System has not been booted with systemd as init system (PID 1). Can't operate."),
      );
      const xprintidle = scriptedProbe('xprintidle', Object.assign(new Error('spawn xprintidle ENOENT'), { code: 'ENOENT' }));
      const { sut, clock, lines } = newTestTracker([loginctl, xprintidle]);
      expect(sut.status(clock.now())).toMatchObject({ osIdleAvailable: false, osIdleProblem: 'not read yet' });
      await sut.pollOsIdle(clock.now());
      await sut.pollOsIdle(clock.advance(10_000)); // not due again: detection is retried every 5 minutes
      await sut.pollOsIdle(clock.advance(300_000));
      expect(loginctl.reads).toBe(2);
      const problem = "loginctl: show-session self: System has not been booted with systemd as init system (PID 1). Can't operate.; xprintidle: not installed";
      const warnings = lines.filter((line) => line.level === 40);
      expect(warnings).toEqual([
        expect.objectContaining({ msg: `The OS idle time cannot be read here (${problem}); user activity comes from the gateway alone` }),
      ]);
      expect(sut.status(clock.now())).toMatchObject({ userActive: false, osIdleAvailable: false, osIdleProbe: '', osIdleProblem: problem, osIdleMs: 0n });
      sut.report(ActivityKind.INPUT, clock.now(), 'web', clock.now());
      expect(sut.status(clock.now())).toMatchObject({ userActive: true, activeClients: ['web'], osIdleAvailable: false });
    });

    it('a probe that stops answering: warned once, status says why, and it is used again once it answers', async () => {
      const probe = scriptedProbe('xprintidle', 1_000);
      const { sut, clock, lines } = newTestTracker([probe]);
      await sut.pollOsIdle(clock.now());
      probe.answer = new IdleProbeError('xprintidle printed "couldn\'t open display", not a number');
      await sut.pollOsIdle(clock.advance(10_000));
      await sut.pollOsIdle(clock.advance(10_000));
      expect(sut.status(clock.now())).toMatchObject({
        osIdleAvailable: false,
        osIdleProbe: 'xprintidle',
        osIdleProblem: 'xprintidle: xprintidle printed "couldn\'t open display", not a number',
      });
      expect(lines.filter((line) => line.level === 40)).toHaveLength(1);
      probe.answer = 0;
      await sut.pollOsIdle(clock.advance(10_000));
      expect(sut.status(clock.now())).toMatchObject({ osIdleAvailable: true, osIdleProblem: '', userActive: true });
      expect(lines.at(-1)).toMatchObject({ msg: 'The OS idle time can be read again through xprintidle' });
    });

    it('turned off by configuration: never runs a probe, and says so', async () => {
      const probe = scriptedProbe('xprintidle', 0);
      const { sut, clock, lines } = newTestTracker([probe], { osIdle: false });
      expect(await sut.pollOsIdle(clock.now())).toBe(false);
      expect(await sut.pollOsIdle(clock.advance(60_000))).toBe(false);
      expect(probe.reads).toBe(0);
      expect(sut.status(clock.now())).toMatchObject({ osIdleAvailable: false, osIdleProblem: 'turned off by configuration (monitor.activity.osIdle)' });
      expect(lines.filter((line) => line.msg.startsWith('Not reading the OS idle time'))).toHaveLength(1);
    });
  });
});
