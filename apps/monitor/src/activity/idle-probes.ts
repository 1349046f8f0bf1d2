// Reading how long the person at this machine has not touched it, where the platform tells: loginctl's session
// idle hint or xprintidle on Linux, ioreg's HIDIdleTime on macOS, GetLastInputInfo through PowerShell on Windows.
// Every probe runs a command through a CommandRunner, so tests replay recorded outputs and failures.
import type { CommandRunner } from './command-runner';

export class IdleProbeError extends Error {
  override readonly name = 'IdleProbeError';
}

export interface IdleProbe {
  readonly name: string;
  /** The probe is read at most this often, whatever the configuration (PowerShell costs a second of CPU to start). */
  readonly minIntervalMs: number;
  /** Milliseconds since the last input; throws IdleProbeError (or the runner's error) when it cannot tell. */
  idleMs(nowMs: number): Promise<number>;
}

/** `IdleHint=yes` / `IdleSinceHint=<µs since the epoch>` as `loginctl show-session|show-user -p ... ` prints them. */
export function parseLoginctlIdle(output: string, nowMs: number): number {
  const properties = new Map(
    output
      .split('\n')
      .map((line) => line.trim().split('='))
      .filter((parts): parts is [string, string] => parts.length === 2),
  );
  const hint = properties.get('IdleHint');
  const since = Number(properties.get('IdleSinceHint') ?? '0');
  if (hint !== 'yes' && hint !== 'no') throw new IdleProbeError('loginctl printed no IdleHint');
  // A desktop that never reports idleness leaves IdleSinceHint at 0: "never idle" would hold background work forever.
  if (!Number.isFinite(since) || since <= 0) throw new IdleProbeError('the session does not report idleness (IdleSinceHint=0)');
  return hint === 'yes' ? Math.max(0, nowMs - Math.floor(since / 1000)) : 0;
}

/** xprintidle prints the X11 idle time in milliseconds. */
export function parseXprintidle(output: string): number {
  const text = output.trim();
  if (!/^\d+$/.test(text)) throw new IdleProbeError(`xprintidle printed "${text.slice(0, 40)}", not a number`);
  return Number(text);
}

/** `"HIDIdleTime" = 1234567890` (nanoseconds) in ioreg's IOHIDSystem entry. */
export function parseIoregIdle(output: string): number {
  const match = /"HIDIdleTime"\s*=\s*(\d+)/.exec(output);
  if (!match) throw new IdleProbeError('ioreg printed no HIDIdleTime');
  return Math.floor(Number(match[1]) / 1e6);
}

export function loginctlProbe(run: CommandRunner, uid: number | undefined): IdleProbe {
  const properties = ['-p', 'IdleHint', '-p', 'IdleSinceHint'];
  // The caller's own session first; a service outside any session (a systemd user unit) reads its user's instead.
  const targets: string[][] = [['show-session', 'self', ...properties], ...(uid === undefined ? [] : [['show-user', String(uid), ...properties]])];
  let working: string[] | undefined;
  return {
    name: 'loginctl',
    minIntervalMs: 0,
    async idleMs(nowMs) {
      const failures: string[] = [];
      for (const args of working ? [working] : targets) {
        try {
          const idle = parseLoginctlIdle(await run('loginctl', args), nowMs);
          working = args;
          return idle;
        } catch (error) {
          failures.push(`${args.slice(0, 2).join(' ')}: ${describeFailure(error)}`);
        }
      }
      throw new IdleProbeError(failures.join('; '));
    },
  };
}

export function xprintidleProbe(run: CommandRunner): IdleProbe {
  return { name: 'xprintidle', minIntervalMs: 0, idleMs: async () => parseXprintidle(await run('xprintidle', [])) };
}

export function ioregProbe(run: CommandRunner): IdleProbe {
  return { name: 'ioreg', minIntervalMs: 0, idleMs: async () => parseIoregIdle(await run('ioreg', ['-c', 'IOHIDSystem', '-d', '4'])) };
}

const GET_LAST_INPUT = [
  'Add-Type @"',
  'using System; using System.Runtime.InteropServices;',
  'public static class AicoIdle {',
  '  [StructLayout(LayoutKind.Sequential)] struct LASTINPUTINFO { public uint cbSize; public uint dwTime; }',
  '  [DllImport("user32.dll")] static extern bool GetLastInputInfo(ref LASTINPUTINFO info);',
  '  public static uint IdleMs() { var i = new LASTINPUTINFO(); i.cbSize = (uint)Marshal.SizeOf(i); if (!GetLastInputInfo(ref i)) return uint.MaxValue; return (uint)Environment.TickCount - i.dwTime; }',
  '}',
  '"@',
  '[AicoIdle]::IdleMs()',
].join('\n');

export function powershellProbe(run: CommandRunner): IdleProbe {
  return {
    name: 'powershell GetLastInputInfo',
    minIntervalMs: 60_000,
    async idleMs() {
      const idle = parseXprintidle(await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', GET_LAST_INPUT]));
      // A service without an interactive desktop gets no answer from GetLastInputInfo.
      if (idle === 0xffffffff) throw new IdleProbeError('GetLastInputInfo failed (no interactive desktop session?)');
      return idle;
    },
  };
}

/** The probes worth trying on a platform, best first. */
export function platformIdleProbes(platform: NodeJS.Platform, run: CommandRunner, uid: number | undefined): IdleProbe[] {
  switch (platform) {
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return [loginctlProbe(run, uid), xprintidleProbe(run)];
    case 'darwin':
      return [ioregProbe(run)];
    case 'win32':
      return [powershellProbe(run)];
    default:
      return [];
  }
}

export interface IdleProbeChoice {
  /** The first probe that answered, or undefined when none did. */
  readonly probe: IdleProbe | undefined;
  /** The first answer, when there was one. */
  readonly idleMs: number | undefined;
  /** Why each probe tried before it (or every probe, when none answered) did not. */
  readonly problems: readonly string[];
}

/** Tries the candidates in order and keeps the first that answers. */
export async function chooseIdleProbe(candidates: readonly IdleProbe[], nowMs: number): Promise<IdleProbeChoice> {
  const problems: string[] = [];
  for (const probe of candidates) {
    try {
      return { probe, idleMs: await probe.idleMs(nowMs), problems };
    } catch (error) {
      problems.push(`${probe.name}: ${describeFailure(error)}`);
    }
  }
  if (candidates.length === 0) problems.push('no idle-time probe exists for this platform');
  return { probe: undefined, idleMs: undefined, problems };
}

export function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'not installed';
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}
