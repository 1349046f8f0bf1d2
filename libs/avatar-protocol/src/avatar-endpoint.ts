// The avatar page's side of the protocol: hears commands from allowed origins only, answers malformed ones with an
// error to the sender's origin, and posts events to the host's origin — never to '*'.
import {
  AVATAR_PROTOCOL,
  AVATAR_PROTOCOL_VERSION,
  type AvatarCommand,
  type AvatarErrorCode,
  type AvatarEventBody,
  type AvatarEventOf,
  EVENT_TYPES,
  isAvatarProtocolMessage,
  messageId,
  parseCommand,
} from './protocol';
import { type MessageListenerTarget, type MessageTarget } from './avatar-host';

export interface AvatarEndpointOptions {
  /** Host origins allowed to command the avatar, matched exactly. The page's own origin is always allowed. */
  readonly allowedOrigins: readonly string[];
  /** Where `message` events arrive: the page's window. */
  readonly listen: MessageListenerTarget;
  /** Where events go: `window.parent` in a frame (the window itself when top-level, as in a WebView). */
  readonly parent: MessageTarget;
  /** The page's own origin; default `location.origin`. */
  readonly ownOrigin?: string;
}

export type AvatarStateBody = Omit<AvatarEventOf<'state'>, 'protocol' | 'version' | 'type' | 'id'>;

/** How a command handler answers the command it was given (each at most once; later calls are ignored). */
export interface AvatarReply {
  ack(): void;
  error(code: AvatarErrorCode, message: string): void;
  state(state: AvatarStateBody): void;
}

export type AvatarCommandHandler = (command: AvatarCommand, reply: AvatarReply) => void;

// An opaque origin ('null': sandboxed frames, file:) is shared by every such document, so it never identifies a host.
const usableOrigin = (origin: string | undefined): origin is string => origin !== undefined && origin !== '' && origin !== 'null' && origin !== '*';

export class AvatarEndpoint {
  /** Messages dropped without an answer: foreign origin, other postMessage traffic, our own events echoed back. */
  ignored = 0;

  private readonly allowed: ReadonlySet<string>;
  private readonly handlers = new Set<AvatarCommandHandler>();
  /** The origin of the last host that sent a valid command; events go there. */
  private hostOrigin: string | undefined;
  private disposed = false;
  private readonly onMessage = (message: Event): void => this.receive(message as MessageEvent<unknown>);

  constructor(private readonly options: AvatarEndpointOptions) {
    const own = options.ownOrigin ?? (globalThis as { location?: { origin?: string } }).location?.origin;
    this.allowed = new Set([...options.allowedOrigins, ...(own === undefined ? [] : [own])].filter(usableOrigin));
    options.listen.addEventListener('message', this.onMessage);
  }

  /** Handle valid commands; returns the unsubscribe function. */
  onCommand(handler: AvatarCommandHandler): () => void {
    this.handlers.add(handler);
    return () => void this.handlers.delete(handler);
  }

  /**
   * Post an event to the host. Before any host has spoken (the `ready` at start-up), it goes to each allowed origin
   * in turn: the browser delivers a message only when its target origin matches the parent's, so exactly the real
   * host receives it.
   */
  emit(event: AvatarEventBody): void {
    if (this.disposed) return;
    const message = { ...event, protocol: AVATAR_PROTOCOL, version: AVATAR_PROTOCOL_VERSION };
    const origins = this.hostOrigin === undefined ? [...this.allowed] : [this.hostOrigin];
    for (const origin of origins) this.options.parent.postMessage(message, origin);
  }

  dispose(): void {
    this.disposed = true;
    this.options.listen.removeEventListener('message', this.onMessage);
    this.handlers.clear();
  }

  private receive(message: MessageEvent<unknown>): void {
    const data = message.data;
    if (!this.allowed.has(message.origin) || !isAvatarProtocolMessage(data) || this.isOwnEvent(data)) {
      this.ignored++;
      return;
    }
    const parsed = parseCommand(data);
    if (!parsed.ok) {
      const id = messageId(data);
      this.post({ type: 'error', code: parsed.error.code, message: parsed.error.message, ...(id === undefined ? {} : { id }) }, message.origin);
      return;
    }
    this.hostOrigin = message.origin;
    const command = parsed.command;
    const origin = message.origin;
    let answered = false;
    const once = (answer: () => void): void => {
      if (answered || this.disposed) return;
      answered = true;
      answer();
    };
    const reply: AvatarReply = {
      ack: () => once(() => this.post({ type: 'ack', id: command.id }, origin)),
      error: (code, text) => once(() => this.post({ type: 'error', id: command.id, code, message: text }, origin)),
      state: (state) => once(() => this.post({ ...state, type: 'state', id: command.id }, origin)),
    };
    for (const handler of [...this.handlers]) handler(command, reply);
  }

  /**
   * A top-level page (a WebView) is its own parent, so its events arrive back here: never answer them, or an error
   * about an error would loop forever.
   */
  private isOwnEvent(data: Record<string, unknown>): boolean {
    return typeof data['type'] === 'string' && (EVENT_TYPES as readonly string[]).includes(data['type']);
  }

  private post(event: AvatarEventBody, origin: string): void {
    this.options.parent.postMessage({ ...event, protocol: AVATAR_PROTOCOL, version: AVATAR_PROTOCOL_VERSION }, origin);
  }
}
