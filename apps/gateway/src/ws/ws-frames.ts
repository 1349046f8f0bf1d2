// What a WebSocket client may send: one zod schema per frame type, checked before anything reads a frame's fields.
// A frame that fails becomes a value with an error code (never an exception), so nothing a client sends can reach
// code that assumes a shape (a `String(topic)` of an object whose `toString` is not a function threw and took the
// gateway down). Publish payloads are checked per topic in ws-publications.ts.
import { z } from '@aico/config';
import { describeIssues, issuesOf } from '../http/validation';
import { WsErrorCode } from './ws-protocol';

/** A client's own id for a frame, echoed in the answer. */
const frameId = z.string().max(64).optional();
/** A topic prefix to follow: lowercase words, digits, dots, dashes or underscores. */
export const topicPrefix = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,127}$/, 'a topic prefix is 1-128 lowercase letters, digits, dots, dashes or underscores, starting with a letter');
/** A topic to publish on (`<domain>.<subject>.<event>`). */
const topicName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$/, 'a topic is <domain>.<subject>.<event> in lowercase')
  .max(128);
/** A JWT: three base64url parts; the size bounds what a client can make the gateway verify. */
const accessToken = z.string().min(1).max(4096);

export const SubscribeFrame = z.strictObject({ type: z.literal('subscribe'), topic: topicPrefix, id: frameId });
export const UnsubscribeFrame = z.strictObject({ type: z.literal('unsubscribe'), topic: topicPrefix, id: frameId });
/** The payload's shape depends on the topic: checked against that topic's schema once the topic is allowed. */
export const PublishFrame = z.strictObject({ type: z.literal('publish'), topic: topicName, payload: z.unknown(), id: frameId });
export const PingFrame = z.strictObject({ type: z.literal('ping'), id: frameId });
/** A fresh access token of the same user and session, so the socket outlives the token it was opened with. */
export const AuthFrame = z.strictObject({ type: z.literal('auth'), token: accessToken, id: frameId });

const FRAME_SCHEMAS = { subscribe: SubscribeFrame, unsubscribe: UnsubscribeFrame, publish: PublishFrame, ping: PingFrame, auth: AuthFrame } as const;
export type FrameType = keyof typeof FRAME_SCHEMAS;
export const FRAME_TYPES = Object.keys(FRAME_SCHEMAS) as FrameType[];

export type ClientFrame = { [T in FrameType]: z.infer<(typeof FRAME_SCHEMAS)[T]> }[FrameType];

export interface FrameError {
  readonly code: WsErrorCode;
  readonly message: string;
  /** The frame's id, when the frame had a readable one. */
  readonly id?: string;
}

export type ParsedFrame = { readonly ok: true; readonly frame: ClientFrame } | { readonly ok: false; readonly error: FrameError };

/** Longest message of an error frame: a client's own field names are quoted in it, and must not make it large. */
const MAX_MESSAGE_CHARS = 300;
const HINT = 'Frames are JSON objects with a "type": subscribe, unsubscribe, publish, ping or auth.';
const FrameHead = z.object({ type: z.string().max(32), id: frameId });

/** Parses one WebSocket message. Never throws: every failure is a FrameError with a code. */
export function parseClientFrame(data: Buffer | ArrayBuffer | Buffer[] | string, isBinary: boolean): ParsedFrame {
  if (isBinary) return failed(WsErrorCode.BinaryFrame, `Binary frames are not accepted. ${HINT}`);
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : textOf(data));
  } catch {
    return failed(WsErrorCode.MalformedFrame, `The frame is not JSON. ${HINT}`);
  }
  const head = FrameHead.safeParse(value);
  if (!head.success) return failed(WsErrorCode.MalformedFrame, `The frame is not a JSON object with a string "type". ${HINT}`);
  const id = head.data.id;
  // An index into a plain object would find "toString" and friends: only the table's own keys are frame types.
  if (!isFrameType(head.data.type)) return failed(WsErrorCode.UnknownFrame, `Unknown frame type. ${HINT}`, id);
  const frame = (FRAME_SCHEMAS[head.data.type] as z.ZodType<ClientFrame>).safeParse(value);
  if (!frame.success) return failed(WsErrorCode.InvalidFrame, `The ${head.data.type} frame is not valid: ${describeIssues(issuesOf(frame.error))}`, id);
  return { ok: true, frame: frame.data };
}

/** The text of a zod error for an error frame, bounded in length. */
export function describeZodError(error: z.ZodError): string {
  return bounded(describeIssues(issuesOf(error)));
}

function isFrameType(type: string): type is FrameType {
  return Object.hasOwn(FRAME_SCHEMAS, type);
}

function failed(code: WsErrorCode, message: string, id?: string): ParsedFrame {
  return { ok: false, error: { code, message: bounded(message), ...(id !== undefined ? { id } : {}) } };
}

function bounded(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

function textOf(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}
