// Requests wait for the tasks to be loaded from storage at start, but not forever: storage may be down, and a caller
// is better told so than left waiting.
import { SchedulerError, SchedulerErrorCode } from './scheduler.error';

export class TaskLoadGate {
  private readonly loaded: Promise<void>;
  private markLoaded!: () => void;

  constructor(private readonly timeoutMs: number) {
    this.loaded = new Promise((resolve) => (this.markLoaded = resolve));
  }

  /** The tasks are loaded: waiting requests go on, and later ones do not wait. */
  open(): void {
    this.markLoaded();
  }

  /** Resolves once the tasks are loaded; rejects with NotReady if that takes longer than the timeout. */
  async wait(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SchedulerError(
              SchedulerErrorCode.NotReady,
              `The scheduler has not loaded its tasks from storage within ${this.timeoutMs} ms; is storage running? Try again shortly.`,
            ),
          ),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([this.loaded, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
