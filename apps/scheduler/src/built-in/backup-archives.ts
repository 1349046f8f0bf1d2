// The scheduled backup's archives: one name per backup (sortable by time), and retention that keeps the newest N.
// Only names this task writes are ever deleted; anything else in the directory is left alone.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const ARCHIVE = /^aico-backup-\d{8}T\d{9}Z\.aico$/;

/** `aico-backup-20260301T030000000Z.aico`: UTC, so names sort in time order wherever the laptop travels. */
export function archiveName(at: number): string {
  const iso = new Date(at).toISOString(); // 2026-03-01T03:00:00.000Z
  return `aico-backup-${iso.replace(/[-:.]/g, '')}.aico`;
}

export async function prepareDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
}

/** Deletes all but the newest `keep` archives; returns the names deleted. */
export async function pruneArchives(directory: string, keep: number): Promise<string[]> {
  const archives = (await readdir(directory)).filter((name) => ARCHIVE.test(name)).sort();
  const doomed = archives.slice(0, Math.max(0, archives.length - keep));
  for (const name of doomed) await rm(join(directory, name), { force: true });
  return doomed;
}
