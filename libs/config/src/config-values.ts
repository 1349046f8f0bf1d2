// Schema helpers for values that may come from a file (typed) or from the environment (always strings).
import { z } from 'zod';

export const configBoolean = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => value === 'true' || value === '1' || value === 'yes'),
]);

export const configInteger = z.coerce.number().int();

/** A list from a file array or a comma-separated environment value. */
export function configList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean)
        : value,
    z.array(item),
  );
}

/** A ZeroMQ endpoint aico accepts: tcp (host:port) or ipc (a socket path). */
export const busEndpoint = z.string().regex(/^(tcp:\/\/[^\s:]+:\d{1,5}|ipc:\/\/\S+|inproc:\/\/\S+)$/, 'must be tcp://host:port, ipc://path or inproc://name');
