// The configuration every aico process shares. An app extends it with its own section.
import { z } from 'zod';
import { busEndpoint, configBoolean, configInteger } from './config-values';
import { platformDataDir } from './data-dir';

export const logConfigSchema = z
  .object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Pretty console output; by default only when stdout is a terminal. */
    pretty: configBoolean.optional(),
    /** Write rotating log files into `<dataDir>/logs` (or `dir`). */
    file: configBoolean.default(true),
    dir: z.string().min(1).optional(),
    /** Rotate when a file passes this size (`10m`, `1g`, or bytes). */
    maxFileSize: z
      .string()
      .regex(/^\d+[kmg]?$/)
      .default('10m'),
    /** Rotated files kept per service. */
    maxFiles: configInteger.min(1).max(1000).default(7),
    /**
     * While a log destination cannot be written (a full disk, a broken pipe), lines are dropped and counted and a
     * write is tried again at most this often (0: at every line).
     */
    retryIntervalMs: configInteger.min(0).max(3_600_000).default(1_000),
    /** Entries at this level and above are also published on the bus (`system.log.entry`), where storage keeps them. */
    busLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .strict();

export const busConfigSchema = z
  .object({
    /** Where publishers send: the proxy's XSUB socket. */
    publishEndpoint: busEndpoint.default('tcp://127.0.0.1:5555'),
    /** Where subscribers listen: the proxy's XPUB socket. */
    subscribeEndpoint: busEndpoint.default('tcp://127.0.0.1:5556'),
    /**
     * High-water marks in messages. Chosen over ZeroMQ's 1000 so a burst (a log flood, a backlog replayed after a
     * reconnect) of ~10k small envelopes is absorbed, bounded at a few MB per connection.
     */
    sendHighWaterMark: configInteger.min(1).default(10_000),
    receiveHighWaterMark: configInteger.min(1).default(10_000),
    /** Envelopes larger than this are dropped on receipt (counted, logged). */
    maxEnvelopeBytes: configInteger.min(1024).default(4 * 1024 * 1024),
    /** Default deadline of a request. */
    requestTimeoutMs: configInteger.min(1).default(5_000),
    /**
     * A streamed request fails with STREAM_STALLED after this long without a delta or keep-alive (the responder
     * died): seconds, so a loaded machine's pauses are not taken for a death. Its responder beats 4x as often.
     */
    streamIdleTimeoutMs: configInteger.min(100).default(10_000),
    /** How long a client waits for its own probe to come back through the proxy before it reports the bus down. */
    readyTimeoutMs: configInteger.min(100).default(15_000),
    /**
     * How often each service says it is alive (`system.health.heartbeat`). Readiness counts a service down after
     * three missed beats, so a hung one is noticed within 30 s; a crashed one the supervisor sees at once. Every beat
     * wakes the four processes that follow them: at 5 s, heartbeats were a quarter of the idle system's CPU (issue 18).
     */
    heartbeatIntervalMs: configInteger.min(100).default(10_000),
  })
  .strict();

export const baseConfigSchema = z
  .object({
    profile: z.enum(['development', 'production']).default('development'),
    dataDir: z
      .string()
      .min(1)
      .default(() => platformDataDir()),
    /** A 0600 file holding the master key (systemd credential, Docker secret). */
    masterKeyFile: z.string().min(1).optional(),
    log: logConfigSchema.prefault({}),
    bus: busConfigSchema.prefault({}),
    /**
     * Set by the supervisor for the apps it runs (AICO_SUPERVISED): stdin is a pipe from the supervisor, and its end
     * means the supervisor is gone, so the app stops instead of living on as an orphan.
     */
    supervised: configBoolean.default(false),
    /** Graceful-stop budget before a process exits anyway. */
    shutdownTimeoutMs: configInteger.min(100).default(10_000),
  })
  .strict();

export type BaseConfig = z.infer<typeof baseConfigSchema>;
export type LogConfig = z.infer<typeof logConfigSchema>;
export type BusConfig = z.infer<typeof busConfigSchema>;
