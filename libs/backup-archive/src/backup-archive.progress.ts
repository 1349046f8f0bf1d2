// The one progress report shape of writing, verifying and restoring, so a CLI can draw one progress bar for all.

export interface BackupProgress {
  /** writing: hashing every source, then writing; reading: verifying or restoring. */
  readonly phase: 'hashing' | 'writing' | 'verifying' | 'restoring';
  /** Entry bytes done in this phase; it only grows, up to totalBytes. */
  readonly doneBytes: number;
  /** Entry bytes of the whole phase. */
  readonly totalBytes: number;
  /** The entry being processed. */
  readonly entry?: string;
}
