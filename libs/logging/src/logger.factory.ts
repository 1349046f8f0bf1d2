// One pino logger per process: JSON to stdout (pretty on a terminal), rotating files per service, secrets redacted,
// and the current correlation id mixed into every line.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger, type TransportTargetOptions } from 'pino';
import { currentCorrelationId } from './correlation-context';
import { LogTap } from './log-tap';
import { REDACTED, redactPaths } from './redaction';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly service: string;
  readonly instanceId?: string;
  readonly level: string;
  /** Pretty console output; defaults to whether stdout is a terminal. */
  readonly pretty?: boolean | undefined;
  /** Directory for rotating log files; no file output when absent. */
  readonly fileDir?: string | undefined;
  readonly maxFileSize?: string;
  readonly maxFiles?: number;
  /** Level of the lines handed to `tap` (default: none). */
  readonly tapLevel?: string | undefined;
}

export interface ProcessLogger {
  readonly logger: Logger;
  /** The lines at `tapLevel` and above, for a sink attached later (the bus). */
  readonly tap: LogTap;
  /** Flushes and ends the transport worker; call last on shutdown. */
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

export function createProcessLogger(options: LoggerOptions): ProcessLogger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const targets: TransportTargetOptions[] = [
    pretty
      ? {
          target: 'pino-pretty',
          level: options.level,
          options: { destination: 1, colorize: true, translateTime: 'SYS:HH:MM:ss.l', messageFormat: '[{service}] {msg}', ignore: 'pid,hostname,service,instanceId' },
        }
      : { target: 'pino/file', level: options.level, options: { destination: 1 } },
  ];
  if (options.fileDir) {
    // Logs can hold personal data: only the user may read them.
    mkdirSync(options.fileDir, { recursive: true, mode: 0o700 });
    targets.push({
      target: 'pino-roll',
      level: options.level,
      options: {
        file: join(options.fileDir, options.service),
        extension: '.log',
        size: options.maxFileSize ?? '10m',
        limit: { count: options.maxFiles ?? 7 },
        mkdir: true,
      },
    });
  }
  const transport = pino.transport({ targets });
  const tap = new LogTap();
  const tapLevel = options.tapLevel && options.tapLevel !== 'silent' ? options.tapLevel : undefined;
  // The logger's own level must let through what either destination wants.
  const levels = pino.levels.values;
  const loggerLevel = tapLevel && (levels[tapLevel] ?? Infinity) < (levels[options.level] ?? Infinity) ? tapLevel : options.level;
  const destination = tapLevel
    ? pino.multistream([
        ...(options.level === 'silent' ? [] : [{ level: options.level as pino.Level, stream: transport }]),
        { level: tapLevel as pino.Level, stream: tap },
      ])
    : transport;
  const logger = pino({ ...baseOptions(options), level: loggerLevel }, destination);
  return {
    logger,
    tap,
    close: () =>
      new Promise<void>((resolve) => {
        // The transport's worker is unref'd: without this ref'd timer the process could exit (with code 0) while
        // waiting for 'close', before the caller sets its own exit code.
        const timer = setTimeout(resolve, 2_000);
        transport.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        logger.flush();
        transport.end();
      }),
  };
}

/** A logger writing JSON lines to the given stream, synchronously: for tests and tools. */
export function createStreamLogger(
  options: Pick<LoggerOptions, 'service' | 'level'> & { instanceId?: string },
  stream: pino.DestinationStream,
): Logger {
  return pino(baseOptions(options), stream);
}
