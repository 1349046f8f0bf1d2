// The web client's WebSocket to the gateway: connects with the session's token (subprotocol "aico.bearer.<token>",
// as browsers cannot set headers), reconnects with exponential backoff and jitter after any loss, subscribes again
// to every topic prefix it held, sends a heartbeat so a dead connection is noticed, and reports its state for the UI.
// The gateway closes a socket when the token it was opened with expires (4002), so after each token refresh the new
// token goes to the open socket in an "auth" frame (reauthenticate).
// The socket factory and the clock are injected, so the logic is tested without a network.
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export interface WsConnectionOptions {
  readonly url: string;
  /** The current access token (it may change between reconnects). */
  readonly token: () => string | undefined;
  readonly createSocket: (url: string, protocols: string[]) => SocketLike;
  readonly onEvent: (event: { topic: string; payload: unknown; correlationId?: string; source?: string }) => void;
  readonly onState: (state: ConnectionState, detail?: string) => void;
  /** The session ended (close code 4001): stop and send the user to login. */
  readonly onSessionEnded?: () => void;
  readonly timers?: Timers;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly heartbeatMs?: number;
}

const OPEN = 1;
export const SESSION_ENDED_CLOSE = 4001;
/** The socket's access token expired before a fresh one came: reconnect (with the current token). */
export const TOKEN_EXPIRED_CLOSE = 4002;

export class WsConnection {
  private socket: SocketLike | undefined;
  private readonly prefixes = new Set<string>();
  private attempts = 0;
  private reconnectTimer: unknown;
  private heartbeatTimer: unknown;
  private awaitingPong = false;
  /** The token the current socket is authenticated with (opened with, or last sent in an "auth" frame). */
  private socketToken: string | undefined;
  private stopped = true;
  private readonly timers: Timers;

  constructor(private readonly options: WsConnectionOptions) {
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as number),
      random: Math.random,
    };
  }

  start(): void {
    this.stopped = false;
    this.open('connecting');
  }

  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.reconnectTimer);
    this.timers.clearTimeout(this.heartbeatTimer);
    this.socket?.close(1000, 'client closed');
    this.socket = undefined;
    this.options.onState('closed');
  }

  subscribe(prefix: string): void {
    this.prefixes.add(prefix);
    this.send({ type: 'subscribe', topic: prefix });
  }

  unsubscribe(prefix: string): void {
    this.prefixes.delete(prefix);
    this.send({ type: 'unsubscribe', topic: prefix });
  }

  /**
   * The access token was refreshed: hands it to the open socket, which would otherwise be closed when the token it
   * was opened with expires. Nothing to do while connecting (the socket opens with whatever token is current).
   */
  reauthenticate(): void {
    const token = this.options.token();
    if (!token || token === this.socketToken || this.socket?.readyState !== OPEN) return;
    this.socketToken = token;
    this.send({ type: 'auth', token });
  }

  /** Publishes an event the user's role may send (the gateway checks); false when not connected (nothing queued). */
  publish(topic: string, payload: unknown): boolean {
    if (this.socket?.readyState !== OPEN) return false;
    this.send({ type: 'publish', topic, payload });
    return true;
  }

  /** The delay before reconnect attempt `attempt` (1-based): doubling from the first, capped, ±20 % jitter. */
  delayFor(attempt: number): number {
    const base = Math.min((this.options.initialDelayMs ?? 500) * 2 ** (attempt - 1), this.options.maxDelayMs ?? 15_000);
    return Math.round(base * (0.8 + 0.4 * this.timers.random()));
  }

  private open(state: ConnectionState): void {
    const token = this.options.token();
    if (!token) {
      this.options.onSessionEnded?.();
      this.stop();
      return;
    }
    this.options.onState(state);
    const socket = this.options.createSocket(this.options.url, ['aico.v1', `aico.bearer.${token}`]);
    this.socket = socket;
    this.socketToken = token;
    socket.onopen = () => {
      this.attempts = 0;
      this.options.onState('open');
      // A refresh while the socket was connecting: the token it opened with is already the old one.
      this.reauthenticate();
      for (const prefix of this.prefixes) this.send({ type: 'subscribe', topic: prefix });
      this.scheduleHeartbeat();
    };
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onerror = () => undefined; // the close that follows decides
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.timers.clearTimeout(this.heartbeatTimer);
      this.socket = undefined;
      if (this.stopped) return;
      if (event.code === SESSION_ENDED_CLOSE) {
        this.options.onSessionEnded?.();
        this.stop();
        return;
      }
      this.attempts++;
      const delay = this.delayFor(this.attempts);
      this.options.onState('reconnecting', `connection lost (${event.code}); trying again in ${Math.round(delay / 100) / 10} s`);
      this.reconnectTimer = this.timers.setTimeout(() => this.open('reconnecting'), delay);
    };
  }

  private onMessage(data: unknown): void {
    let frame: { type?: string; topic?: string; payload?: unknown; correlationId?: string; source?: string };
    try {
      frame = JSON.parse(String(data)) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === 'pong') this.awaitingPong = false;
    else if (frame.type === 'event' && typeof frame.topic === 'string') {
      this.options.onEvent({
        topic: frame.topic,
        payload: frame.payload,
        ...(frame.correlationId ? { correlationId: frame.correlationId } : {}),
        ...(frame.source ? { source: frame.source } : {}),
      });
    }
  }

  /** A ping every heartbeat; no pong by the next one means the connection is dead: close it and reconnect. */
  private scheduleHeartbeat(): void {
    this.heartbeatTimer = this.timers.setTimeout(() => {
      if (this.awaitingPong) {
        this.socket?.close(4000, 'heartbeat missed');
        this.socket?.onclose?.({ code: 4000, reason: 'heartbeat missed' });
        return;
      }
      this.awaitingPong = true;
      this.send({ type: 'ping' });
      this.scheduleHeartbeat();
    }, this.options.heartbeatMs ?? 20_000);
  }

  private send(frame: Record<string, unknown>): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }
}
