// The versioned postMessage protocol between a host (the web client, a WebView) and the avatar page. Both sides
// parse everything they receive with these schemas: strict objects, unknown types and fields refused.
import { z } from 'zod/mini';
import { EXPRESSIONS } from './expressions';

export const AVATAR_PROTOCOL = 'aico.avatar';
export const AVATAR_PROTOCOL_VERSION = 1;

/** Error codes carried by `error` events. Hosts map them exhaustively. */
export const AvatarErrorCode = {
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  MODEL_LOAD_FAILED: 'MODEL_LOAD_FAILED',
  MODEL_MISSING_MORPHS: 'MODEL_MISSING_MORPHS',
  NOT_READY: 'NOT_READY',
  DISPOSED: 'DISPOSED',
  INTERNAL: 'INTERNAL',
} as const;
export type AvatarErrorCode = (typeof AvatarErrorCode)[keyof typeof AvatarErrorCode];

export const MAX_ID_LENGTH = 64;
export const MAX_SPEAK_TEXT_LENGTH = 2000;
export const MAX_ENVELOPE_LENGTH = 100_000;
export const MAX_URL_LENGTH = 2048;
/** A data: URL carries the whole model, so it may be long; 48 MiB of base64 is a 36 MiB GLB. */
export const MAX_DATA_URL_LENGTH = 48 * 1024 * 1024;

/**
 * May the page fetch this model URL? Only a same-origin relative path, a blob: or a data: URL: the page must never
 * reach another host (nothing may be fetched from the internet). Protocol-relative (`//host`), backslashes
 * (browsers read `/\host` as `//host`) and whitespace or control characters (the URL parser strips tabs and
 * newlines, turning `/\t/host` into `//host`) are refused too.
 */
export function isAllowedModelUrl(url: string): boolean {
  if (url.startsWith('data:')) return url.length <= MAX_DATA_URL_LENGTH;
  if (url.length === 0 || url.length > MAX_URL_LENGTH) return false;
  if (url.startsWith('blob:')) return true;
  // Any control character, space or backslash: refused rather than second-guessing the URL parser.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f\\]/.test(url)) return false;
  if (url.startsWith('//')) return false;
  // A scheme before the first '/', '?' or '#' makes it absolute (http:, https:, javascript:, file: …).
  return !/^[^/?#]*:/.test(url);
}

const id = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));
const unit = z.number().check(z.gte(0), z.lte(1));
const count = z.int().check(z.gte(0));
const expression = z.enum(EXPRESSIONS);

function message<T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) {
  return z.strictObject({
    protocol: z.literal(AVATAR_PROTOCOL),
    version: z.literal(AVATAR_PROTOCOL_VERSION),
    type: z.literal(type),
    ...shape,
  });
}

// Host → avatar. Every command carries an id; the page answers it with `ack`, `state` or `error` of that id.
const modelUrl = z.string().check(z.refine(isAllowedModelUrl, 'url must be a same-origin relative path, blob: or data: URL'));
const speechAudio = z.strictObject({
  sampleRateHz: z.number().check(z.gte(8), z.lte(1000)),
  envelope: z.array(unit).check(z.minLength(1), z.maxLength(MAX_ENVELOPE_LENGTH)),
});

export const loadCommandSchema = message('load', { id, url: z.exactOptional(modelUrl) });
export const speakCommandSchema = message('speak', {
  id,
  text: z.string().check(z.minLength(1), z.maxLength(MAX_SPEAK_TEXT_LENGTH)),
  audio: z.exactOptional(speechAudio),
});
export const stopCommandSchema = message('stop', { id });
export const setExpressionCommandSchema = message('setExpression', {
  id,
  expression,
  intensity: z._default(unit, 1),
  transitionMs: z.exactOptional(z.number().check(z.gte(0), z.lte(5000))),
});
export const pauseCommandSchema = message('pause', { id });
export const resumeCommandSchema = message('resume', { id });
export const disposeCommandSchema = message('dispose', { id });
export const inspectCommandSchema = message('inspect', { id });

export const avatarCommandSchema = z.discriminatedUnion('type', [
  loadCommandSchema,
  speakCommandSchema,
  stopCommandSchema,
  setExpressionCommandSchema,
  pauseCommandSchema,
  resumeCommandSchema,
  disposeCommandSchema,
  inspectCommandSchema,
]);

// Avatar → host.
export const readyEventSchema = message('ready', {
  id: z.exactOptional(id),
  model: z.strictObject({
    name: z.string().check(z.maxLength(256)),
    morphTargets: count,
    bytes: z.exactOptional(count),
  }),
});
export const speechStartEventSchema = message('speechStart', { id, durationMs: z.number().check(z.gte(0)) });
export const speechEndEventSchema = message('speechEnd', { id, interrupted: z.boolean() });
export const ackEventSchema = message('ack', { id });
export const errorEventSchema = message('error', {
  id: z.exactOptional(id),
  code: z.enum(AvatarErrorCode),
  message: z.string().check(z.maxLength(4000)),
});
export const stateEventSchema = message('state', {
  id,
  paused: z.boolean(),
  speaking: z.boolean(),
  expression,
  morphs: z.record(z.string(), unit),
  renderer: z.strictObject({ geometries: count, textures: count, programs: count }),
  heapBytes: z.exactOptional(count),
  /**
   * What the avatar says now (`speaking`) or said last (absent before its first speech): a host, or a test, reads back
   * what it was asked to say, even after a short sentence has ended.
   */
  speechText: z.exactOptional(z.string().check(z.maxLength(MAX_SPEAK_TEXT_LENGTH))),
});

export const avatarEventSchema = z.discriminatedUnion('type', [
  readyEventSchema,
  speechStartEventSchema,
  speechEndEventSchema,
  ackEventSchema,
  errorEventSchema,
  stateEventSchema,
]);

/** A parsed command: defaults applied (`setExpression.intensity`). */
export type AvatarCommand = z.output<typeof avatarCommandSchema>;
/** What a sender may write: defaults optional. */
export type AvatarCommandInput = z.input<typeof avatarCommandSchema>;
export type AvatarCommandType = AvatarCommand['type'];
export type AvatarEvent = z.output<typeof avatarEventSchema>;
export type AvatarEventType = AvatarEvent['type'];
export type AvatarCommandOf<T extends AvatarCommandType> = Extract<AvatarCommand, { type: T }>;
export type AvatarEventOf<T extends AvatarEventType> = Extract<AvatarEvent, { type: T }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A command as a host writes it: the envelope (`protocol`, `version`) and `id` are filled in when it is sent. */
export type AvatarCommandBody = DistributiveOmit<AvatarCommandInput, 'protocol' | 'version' | 'id'>;
/** An event as the page writes it: the envelope is filled in when it is emitted. */
export type AvatarEventBody = DistributiveOmit<z.input<typeof avatarEventSchema>, 'protocol' | 'version'>;

export const COMMAND_TYPES = [
  'load',
  'speak',
  'stop',
  'setExpression',
  'pause',
  'resume',
  'dispose',
  'inspect',
] as const satisfies readonly AvatarCommandType[];
export const EVENT_TYPES = ['ready', 'speechStart', 'speechEnd', 'ack', 'error', 'state'] as const satisfies readonly AvatarEventType[];

export interface ProtocolError {
  readonly code: typeof AvatarErrorCode.INVALID_MESSAGE | typeof AvatarErrorCode.UNSUPPORTED_VERSION;
  readonly message: string;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProtocolError };
export type ParseCommandResult = { readonly ok: true; readonly command: AvatarCommand } | { readonly ok: false; readonly error: ProtocolError };
export type ParseEventResult = { readonly ok: true; readonly event: AvatarEvent } | { readonly ok: false; readonly error: ProtocolError };

const isRecord = (data: unknown): data is Record<string, unknown> => typeof data === 'object' && data !== null && !Array.isArray(data);

/** Does this claim to be an avatar protocol message (any version, valid or not)? Other postMessage traffic does not. */
export function isAvatarProtocolMessage(data: unknown): data is { protocol: typeof AVATAR_PROTOCOL } & Record<string, unknown> {
  return isRecord(data) && data['protocol'] === AVATAR_PROTOCOL;
}

/** The id a message carries if it is a well-formed one, so an error can name the message it answers. */
export function messageId(data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  const value = data['id'];
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH ? value : undefined;
}

// zod/mini ships no locale (that keeps the page small), so its messages are a bare "Invalid input": say what was wrong.
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return issue.message;
  }
}

function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(message)'}: ${describeIssue(issue)}`)
    .join('; ');
}

function parseWith<S extends z.ZodMiniType>(schema: S, kinds: readonly string[], what: string, data: unknown): ParseResult<z.output<S>> {
  if (!isAvatarProtocolMessage(data)) {
    return {
      ok: false,
      error: { code: AvatarErrorCode.INVALID_MESSAGE, message: `not an ${AVATAR_PROTOCOL} message: "protocol" must be "${AVATAR_PROTOCOL}"` },
    };
  }
  if (data['version'] !== AVATAR_PROTOCOL_VERSION) {
    return {
      ok: false,
      error: {
        code: AvatarErrorCode.UNSUPPORTED_VERSION,
        message: `protocol version ${JSON.stringify(data['version'])} is not supported; this side speaks version ${AVATAR_PROTOCOL_VERSION}`,
      },
    };
  }
  const type = data['type'];
  if (typeof type !== 'string' || !kinds.includes(type)) {
    return {
      ok: false,
      error: { code: AvatarErrorCode.INVALID_MESSAGE, message: `unknown ${what} type ${JSON.stringify(type)}; expected one of ${kinds.join(', ')}` },
    };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success)
    return { ok: false, error: { code: AvatarErrorCode.INVALID_MESSAGE, message: `invalid "${type}" ${what}: ${describeIssues(parsed.error)}` } };
  return { ok: true, value: parsed.data };
}

export function parseCommand(data: unknown): ParseCommandResult {
  const result = parseWith(avatarCommandSchema, COMMAND_TYPES, 'command', data);
  return result.ok ? { ok: true, command: result.value } : result;
}

export function parseEvent(data: unknown): ParseEventResult {
  const result = parseWith(avatarEventSchema, EVENT_TYPES, 'event', data);
  return result.ok ? { ok: true, event: result.value } : result;
}
