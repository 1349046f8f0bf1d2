// A pull's progress as the Models page shows it: the share done (when the server said the size), in words and as a
// number for the progress bar.
import type { PullProgressJson } from '@aico/contracts';

export interface PullView {
  readonly phase: string;
  /** 0..1, or undefined when the total is not known. */
  readonly fraction: number | undefined;
  readonly text: string;
}

export function pullView(progress: PullProgressJson | undefined): PullView {
  const phase = progress?.phase || 'starting';
  const done = Number(progress?.doneBytes ?? 0);
  const total = Number(progress?.totalBytes ?? 0);
  const fraction = phase === 'done' ? 1 : total > 0 ? Math.min(done / total, 1) : undefined;
  const amount = total > 0 ? `${formatBytes(done)} of ${formatBytes(total)}` : done > 0 ? formatBytes(done) : '';
  return { phase, fraction, text: [phase, amount].filter(Boolean).join(': ') };
}

export function formatBytes(bytes: number | string | undefined): string {
  const value = Number(bytes ?? 0);
  if (!Number.isFinite(value) || value <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const power = Math.min(Math.floor(Math.log(value) / Math.log(1024)), units.length - 1);
  const scaled = value / 1024 ** power;
  return `${power === 0 ? scaled : scaled.toFixed(scaled < 10 ? 1 : 0)} ${units[power]}`;
}
