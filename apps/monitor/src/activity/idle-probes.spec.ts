import { CommandError, type CommandRunner } from './command-runner';
import { chooseIdleProbe, loginctlProbe, parseIoregIdle, parseLoginctlIdle, parseXprintidle, platformIdleProbes } from './idle-probes';

const NOW = 1_800_000_000_000;

/** A runner that answers from a table of recorded outputs ("file arg arg" → stdout, or an error to throw). */
function recorded(answers: Record<string, string | Error>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = (file: string, args: readonly string[]) => {
    const command = [file, ...args.slice(0, 2)].join(' ');
    calls.push(command);
    const answer = answers[command];
    if (answer === undefined) return Promise.reject(new CommandError('spawn failed', 'ENOENT'));
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return Object.assign(run, { calls });
}

describe('idle-time probes', () => {
  describe('parsing what the platforms print', () => {
    it('loginctl: idle since a time (µs), or not idle', () => {
      expect(parseLoginctlIdle(`IdleHint=yes\nIdleSinceHint=${(NOW - 90_000) * 1000}\n`, NOW)).toBe(90_000);
      expect(parseLoginctlIdle(`IdleHint=no\nIdleSinceHint=${(NOW - 90_000) * 1000}\n`, NOW)).toBe(0);
    });

    it('loginctl: a session that never reports idleness is "cannot tell", not "always active"', () => {
      expect(() => parseLoginctlIdle('IdleHint=no\nIdleSinceHint=0\n', NOW)).toThrow('the session does not report idleness (IdleSinceHint=0)');
      expect(() => parseLoginctlIdle('Failed to get session: No such session\n', NOW)).toThrow('loginctl printed no IdleHint');
    });

    it('xprintidle (milliseconds) and ioreg (HIDIdleTime in nanoseconds)', () => {
      expect(parseXprintidle('4521\n')).toBe(4521);
      expect(() => parseXprintidle("couldn't open display\n")).toThrow('not a number');
      const ioreg = '  | |   "HIDIdleTime" = 12345678901\n  | |   "HIDKeyboardModifierMappingPairs" = ()';
      expect(parseIoregIdle(ioreg)).toBe(12_345);
      expect(() => parseIoregIdle('+-o IOHIDSystem')).toThrow('no HIDIdleTime');
    });
  });

  it('loginctl: outside any session (a service), reads the user instead, and keeps using what worked', async () => {
    const run = recorded({
      'loginctl show-session self': new CommandError('Caller does not belong to any known session.', 1),
      'loginctl show-user 1000': `IdleHint=yes\nIdleSinceHint=${(NOW - 5_000) * 1000}\n`,
    });
    const probe = loginctlProbe(run, 1000);
    expect(await probe.idleMs(NOW)).toBe(5_000);
    expect(await probe.idleMs(NOW + 1_000)).toBe(6_000);
    expect(run.calls).toEqual(['loginctl show-session self', 'loginctl show-user 1000', 'loginctl show-user 1000']);
  });

  it('takes the first probe that answers, and says why the ones before it did not', async () => {
    const run = recorded({
      xprintidle: '2500\n',
      'loginctl show-session self': new CommandError("System has not been booted with systemd as init system (PID 1). Can't operate.", 1),
    });
    const choice = await chooseIdleProbe(platformIdleProbes('linux', run, undefined), NOW);
    expect(choice.probe?.name).toBe('xprintidle');
    expect(choice.idleMs).toBe(2500);
    expect(choice.problems).toEqual(["loginctl: show-session self: System has not been booted with systemd as init system (PID 1). Can't operate."]);
  });

  it('none available (this machine: no systemd, no X): no probe, and every reason, clearly', async () => {
    const run = recorded({
      'loginctl show-session self': new CommandError("System has not been booted with systemd as init system (PID 1). Can't operate.", 1),
      'loginctl show-user 0': new CommandError('Failed to connect to bus: Host is down', 1),
    });
    const choice = await chooseIdleProbe(platformIdleProbes('linux', run, 0), NOW);
    expect(choice).toEqual({
      probe: undefined,
      idleMs: undefined,
      problems: [
        "loginctl: show-session self: System has not been booted with systemd as init system (PID 1). Can't operate.; show-user 0: Failed to connect to bus: Host is down",
        'xprintidle: not installed',
      ],
    });
  });

  it('knows the probe of each platform, and says when a platform has none', async () => {
    const run = recorded({});
    expect(platformIdleProbes('darwin', run, 501).map((probe) => probe.name)).toEqual(['ioreg']);
    expect(platformIdleProbes('win32', run, undefined).map((probe) => [probe.name, probe.minIntervalMs])).toEqual([['powershell GetLastInputInfo', 60_000]]);
    expect((await chooseIdleProbe(platformIdleProbes('aix', run, undefined), NOW)).problems).toEqual(['no idle-time probe exists for this platform']);
  });

  it('Windows: GetLastInputInfo failing (no desktop) is a problem, not a huge idle time', async () => {
    const run = recorded({ 'powershell.exe -NoProfile -NonInteractive': '4294967295\r\n' });
    const [probe] = platformIdleProbes('win32', run, undefined);
    await expect(probe!.idleMs(NOW)).rejects.toThrow('GetLastInputInfo failed');
    const working = recorded({ 'powershell.exe -NoProfile -NonInteractive': '731\r\n' });
    expect(await platformIdleProbes('win32', working, undefined)[0]!.idleMs(NOW)).toBe(731);
  });
});
