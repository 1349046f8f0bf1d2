// One pino logger per process: JSON to stdout (pretty on a terminal), rotating files per service, secrets redacted,
// and the current correlation id mixed into every line. Every destination is written in the process itself and
// wrapped in a DegradableWriter: a full disk or a broken pipe drops (and counts) lines instead of killing the
// process, says so once, and says so again with the count when the destination works again.
import pino, { type Logger } from 'pino';
import type * as PinoPretty from 'pino-pretty';
import { currentCorrelationId } from './correlation-context';
import { DegradableWriter, type DegradedNotice, type RecoveredNotice } from './degradable-writer';
import { LogTap } from './log-tap';
import { REDACTED, redactPaths } from './redaction';
import { parseSize, RotatingFile } from './rotating-file';
import { guardStandardStreams, StandardOutput } from './standard-output';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly service: string;
  readonly instanceId?: string;
  readonly level: string;
  /** Pretty console output; defaults to whether stdout is a terminal. */
  readonly pretty?: boolean | undefined;
  /** Directory for rotating log files; no file output when absent. */
  readonly fileDir?: string | undefined;
  /** `10m`, `512k`, `1g`: rotate when a file passes this size. */
  readonly maxFileSize?: string;
  /** Rotated files kept besides the current one. */
  readonly maxFiles?: number;
  /** Level of the lines handed to `tap` (default: none). */
  readonly tapLevel?: string | undefined;
  /** How often a destination that failed is tried again (default 1 s). */
  readonly retryIntervalMs?: number;
}

export interface LogDestinationState {
  readonly destination: string;
  readonly degraded: boolean;
  readonly droppedTotal: number;
}

export interface ProcessLogger {
  readonly logger: Logger;
  /** The lines at `tapLevel` and above, for a sink attached later (the bus). */
  readonly tap: LogTap;
  /** Each destination: whether it is failing now, and how many lines it dropped in all. */
  destinations(): LogDestinationState[];
  /** Closes the log files; call last on shutdown. */
  close(): Promise<void>;
}

function baseOptions(options: Pick<LoggerOptions, 'service' | 'instanceId' | 'level'>): pino.LoggerOptions {
  return {
    level: options.level,
    base: { service: options.service, ...(options.instanceId ? { instanceId: options.instanceId } : {}), pid: process.pid },
    redact: { paths: redactPaths, censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
  };
}

export const LOG_DEGRADED_MESSAGE = 'cannot be written';
export const LOG_RECOVERED_MESSAGE = 'writable again';

/** The log line announcing that a destination fails (the same words wherever a destination degrades). */
export const degradedMessage = (notice: DegradedNotice): string =>
  `Log destination ${notice.destination} ${LOG_DEGRADED_MESSAGE} (${notice.code}); dropping its lines, counted, until it can`;
export const recoveredMessage = (notice: RecoveredNotice): string =>
  `Log destination ${notice.destination} ${LOG_RECOVERED_MESSAGE}; ${notice.dropped} lines were dropped while it was not`;

export function createProcessLogger(options: LoggerOptions): ProcessLogger {
  guardStandardStreams();
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  // Set below, once the logger exists; a notice is logged after the write that caused it has returned.
  let notify: (level: 'warn', fields: Record<string, unknown>, message: string) => void = () => undefined;
  const writerOptions = {
    ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
    onDegraded: (notice: DegradedNotice) => notify('warn', { destination: notice.destination, code: notice.code }, degradedMessage(notice)),
    onRecovered: (notice: RecoveredNotice) =>
      notify('warn', { destination: notice.destination, dropped: notice.dropped, degradedForMs: notice.degradedForMs }, recoveredMessage(notice)),
  };
  const format = pretty ? prettyFormatter() : undefined;
  const stdout = new DegradableWriter(new StandardOutput('stdout'), writerOptions);
  const files: RotatingFile[] = [];
  const writers: { name: string; writer: DegradableWriter }[] = [{ name: 'stdout', writer: stdout }];
  const streams: pino.StreamEntry[] = [];
  if (options.level !== 'silent') {
    streams.push({ level: options.level as pino.Level, stream: { write: (line: string) => void stdout.write(format ? format(line) : line) } });
    if (options.fileDir) {
      // Logs can hold personal data: only the user may read them (0700 directory, 0600 files).
      const file = new RotatingFile({
        dir: options.fileDir,
        base: options.service,
        naming: 'numbered',
        maxBytes: parseSize(options.maxFileSize ?? '10m'),
        keep: options.maxFiles ?? 7,
      });
      const writer = new DegradableWriter(file, writerOptions);
      files.push(file);
      writers.push({ name: file.name, writer });
      streams.push({ level: options.level as pino.Level, stream: { write: (line: string) => void writer.write(line) } });
    }
  }
  const tap = new LogTap();
  const tapLevel = options.tapLevel && options.tapLevel !== 'silent' ? options.tapLevel : undefined;
  if (tapLevel) streams.push({ level: tapLevel as pino.Level, stream: tap });
  // The logger's own level must let through what any destination wants.
  const levels = pino.levels.values;
  const loggerLevel = tapLevel && (levels[tapLevel] ?? Infinity) < (levels[options.level] ?? Infinity) ? tapLevel : options.level;
  const logger = pino({ ...baseOptions(options), level: loggerLevel }, pino.multistream(streams));
  notify = (level, fields, message) => queueMicrotask(() => logger[level](fields, message));
  return {
    logger,
    tap,
    destinations: () => writers.map(({ name, writer }) => ({ destination: name, degraded: writer.degraded, droppedTotal: writer.droppedTotal })),
    close: async () => {
      for (const file of files) file.close();
    },
  };
}

/** Loaded only for a terminal (development): the services' JSON output never pays for it. */
function prettyFormatter(): (line: string) => string {
  // A require, not an import: synchronous (createProcessLogger is) and only on this path.
  const { prettyFactory } = require('pino-pretty') as typeof PinoPretty;
  return prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', messageFormat: '[{service}] {msg}', ignore: 'pid,hostname,service,instanceId' });
}

/** A logger writing JSON lines to the given stream, synchronously: for tests and tools. */
export function createStreamLogger(options: Pick<LoggerOptions, 'service' | 'level'> & { instanceId?: string }, stream: pino.DestinationStream): Logger {
  return pino(baseOptions(options), stream);
}
