// The host side of the avatar protocol (the web client, or any page embedding the avatar): sends commands to the
// avatar frame and correlates its replies by id. Only messages from the avatar's origin and frame are heard.
import {
  AVATAR_PROTOCOL,
  AVATAR_PROTOCOL_VERSION,
  AvatarErrorCode,
  type AvatarCommandBody,
  type AvatarEvent,
  type AvatarEventOf,
  type AvatarEventType,
  parseCommand,
  parseEvent,
} from './protocol';

export interface MessageTarget {
  postMessage(message: unknown, targetOrigin: string): void;
}

export type MessageListenerTarget = Pick<Window, 'addEventListener' | 'removeEventListener'>;

export interface AvatarHostOptions {
  /** The avatar page's origin, exactly (`https://aico.local`); messages go only there and come only from there. */
  readonly avatarOrigin: string;
  /** Where `message` events arrive: the host's window. */
  readonly listen: MessageListenerTarget;
  /** The avatar frame's window (`iframe.contentWindow`); when given, messages from any other window are ignored. */
  readonly source?: unknown;
  /** How long a command may wait for its reply; default 10 s. */
  readonly timeoutMs?: number;
}

/** The reply a command resolves with. */
export type AckOrState = AvatarEventOf<'ack'> | AvatarEventOf<'state'>;

/** Why a command failed: the avatar's error code, or TIMEOUT / DISPOSED on this side. */
export class AvatarCommandError extends Error {
  constructor(
    readonly code: AvatarErrorCode | 'TIMEOUT',
    message: string,
    readonly commandId?: string,
  ) {
    super(message);
    this.name = 'AvatarCommandError';
  }
}

interface Pending {
  readonly resolve: (reply: AckOrState) => void;
  readonly reject: (error: AvatarCommandError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

type Handler<T extends AvatarEventType> = (event: AvatarEventOf<T>) => void;

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

export class AvatarHost {
  /** Messages dropped: wrong origin, wrong window, or not a valid event. */
  ignored = 0;

  private readonly pending = new Map<string, Pending>();
  private readonly handlers = new Map<AvatarEventType, Set<(event: AvatarEvent) => void>>();
  private readonly idPrefix = `h${Math.floor(Math.random() * 0x1_0000_0000).toString(36)}-`;
  private nextId = 1;
  private disposed = false;
  private readonly timeoutMs: number;
  private readonly onMessage = (message: Event): void => this.receive(message as MessageEvent<unknown>);

  constructor(
    private readonly target: MessageTarget,
    private readonly options: AvatarHostOptions,
  ) {
    if (options.avatarOrigin === '*' || options.avatarOrigin === 'null' || options.avatarOrigin === '') {
      throw new Error(`avatarOrigin must be the avatar page's exact origin, not ${JSON.stringify(options.avatarOrigin)}`);
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    options.listen.addEventListener('message', this.onMessage);
  }

  /**
   * Send a command; resolves with the avatar's `ack` or `state` for it, rejects with an AvatarCommandError on its
   * `error`, on timeout, when the command is invalid (never posted), or when the host is disposed.
   */
  send(body: AvatarCommandBody): Promise<AckOrState> {
    if (this.disposed) return Promise.reject(new AvatarCommandError(AvatarErrorCode.DISPOSED, 'the avatar host has been disposed'));
    const id = `${this.idPrefix}${this.nextId++}`;
    const message = { ...body, protocol: AVATAR_PROTOCOL, version: AVATAR_PROTOCOL_VERSION, id };
    const parsed = parseCommand(message);
    if (!parsed.ok) return Promise.reject(new AvatarCommandError(parsed.error.code, parsed.error.message, id));
    return new Promise<AckOrState>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AvatarCommandError('TIMEOUT', `the avatar did not answer "${body.type}" within ${this.timeoutMs} ms`, id));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // The message as written (defaults not applied), so the page applies its own.
      this.target.postMessage(message, this.options.avatarOrigin);
    });
  }

  /** Listen for one event type; returns the unsubscribe function. */
  on<T extends AvatarEventType>(type: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    const entry = handler as (event: AvatarEvent) => void;
    set.add(entry);
    return () => void set.delete(entry);
  }

  /** Stop listening; pending commands reject with DISPOSED. Does not tell the avatar (send `dispose` first for that). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.options.listen.removeEventListener('message', this.onMessage);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new AvatarCommandError(AvatarErrorCode.DISPOSED, 'the avatar host was disposed before the avatar answered', id));
    }
    this.pending.clear();
    this.handlers.clear();
  }

  private receive(message: MessageEvent<unknown>): void {
    if (message.origin !== this.options.avatarOrigin || ('source' in this.options && message.source !== this.options.source)) {
      this.ignored++;
      return;
    }
    const parsed = parseEvent(message.data);
    if (!parsed.ok) {
      this.ignored++;
      return;
    }
    const event = parsed.event;
    // Replies settle their command before handlers run, so a throwing handler cannot strand a command.
    if (event.id !== undefined && (event.type === 'ack' || event.type === 'state' || event.type === 'error')) this.settle(event.id, event);
    for (const handler of [...(this.handlers.get(event.type) ?? [])]) handler(event);
  }

  private settle(id: string, event: AvatarEventOf<'ack' | 'state' | 'error'>): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (event.type === 'error') pending.reject(new AvatarCommandError(event.code, event.message, id));
    else pending.resolve(event);
  }
}
