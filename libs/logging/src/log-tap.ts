// A second destination for a process's log lines: once a sink is attached (the service publishes them on the bus
// for storage to keep), each line at or above the tap's level is handed over as a parsed record. Lines logged
// before the sink exists (start-up) wait in a bounded buffer; a line logged while the sink runs is dropped, so a
// sink that logs cannot feed itself.
export type LogRecord = Readonly<Record<string, unknown>> & { readonly level: number; readonly msg?: string; readonly time?: string };

const EARLY_LINES = 200;

export class LogTap {
  private sink: ((record: LogRecord) => void) | undefined;
  private early: string[] = [];
  private inSink = false;
  private droppedEarly = 0;

  /** pino destination: called with each serialized line. */
  write(line: string): void {
    if (this.inSink) return;
    if (!this.sink) {
      if (this.early.length < EARLY_LINES) this.early.push(line);
      else this.droppedEarly++;
      return;
    }
    this.deliver(line);
  }

  attach(sink: (record: LogRecord) => void): void {
    this.sink = sink;
    const early = this.early;
    this.early = [];
    for (const line of early) this.deliver(line);
  }

  detach(): void {
    this.sink = undefined;
  }

  /** Start-up lines beyond the buffer that never reached the sink. */
  get dropped(): number {
    return this.droppedEarly;
  }

  private deliver(line: string): void {
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      return;
    }
    this.inSink = true;
    try {
      this.sink?.(record);
    } finally {
      this.inSink = false;
    }
  }
}
