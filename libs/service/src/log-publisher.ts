// Publishes a service's log lines on the bus (`system.log.entry`), where storage keeps them in batches. The lines
// are the same redacted records the log files get; a publish that cannot go out (bus down, queue full) is dropped,
// since the local log file has the line anyway.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate, timestampNow } from '@bufbuild/protobuf/wkt';
import type { BusClient } from '@aico/bus';
import { LogLevel, SystemTopics, type LogEntrySchema } from '@aico/contracts';
import type { LogRecord } from '@aico/logging';

const LEVELS: Readonly<Record<number, LogLevel>> = {
  10: LogLevel.TRACE,
  20: LogLevel.DEBUG,
  30: LogLevel.INFO,
  40: LogLevel.WARN,
  50: LogLevel.ERROR,
  60: LogLevel.FATAL,
};
const OWN_FIELDS = new Set(['level', 'time', 'service', 'instanceId', 'pid', 'hostname', 'msg', 'correlationId', 'context']);
/** Structured fields beyond this are cut: a log entry is not the place for a large payload. */
const MAX_FIELDS_JSON = 16 * 1024;

export function toLogEntry(record: LogRecord): MessageInitShape<typeof LogEntrySchema> {
  const fields = Object.fromEntries(Object.entries(record).filter(([key]) => !OWN_FIELDS.has(key)));
  let fieldsJson = Object.keys(fields).length > 0 ? JSON.stringify(fields) : '';
  if (fieldsJson.length > MAX_FIELDS_JSON) fieldsJson = JSON.stringify({ truncated: true, head: fieldsJson.slice(0, MAX_FIELDS_JSON) });
  const time = typeof record.time === 'string' ? new Date(record.time) : undefined;
  return {
    timestamp: time && !Number.isNaN(time.getTime()) ? timestampFromDate(time) : timestampNow(),
    level: LEVELS[record.level] ?? LogLevel.UNSPECIFIED,
    service: String(record['service'] ?? ''),
    instanceId: String(record['instanceId'] ?? ''),
    context: typeof record['context'] === 'string' ? record['context'] : '',
    message: typeof record.msg === 'string' ? record.msg : '',
    correlationId: typeof record['correlationId'] === 'string' ? record['correlationId'] : '',
    fieldsJson,
  };
}

/** The tap sink of a service: each record becomes a `system.log.entry` event. */
export function publishLogRecords(bus: BusClient): (record: LogRecord) => void {
  return (record) => void bus.publish(SystemTopics.logEntry, toLogEntry(record)).catch(() => undefined);
}
