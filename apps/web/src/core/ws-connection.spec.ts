import { SESSION_ENDED_CLOSE, TOKEN_EXPIRED_CLOSE, WsConnection, type ConnectionState, type SocketLike, type Timers } from './ws-connection';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closed: number | undefined;
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onerror: SocketLike['onerror'] = null;
  constructor(readonly protocols: string[]) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000) {
    this.closed = code;
    this.readyState = 3;
  }
  accept() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  push(frame: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

/** Timers run by hand: `fire()` runs every pending one. */
class ManualTimers implements Timers {
  pending = new Map<number, { fn: () => void; ms: number }>();
  private next = 0;
  setTimeout(fn: () => void, ms: number) {
    this.pending.set(++this.next, { fn, ms });
    return this.next;
  }
  clearTimeout(handle: unknown) {
    this.pending.delete(handle as number);
  }
  random() {
    return 0.5; // no jitter
  }
  delays() {
    return [...this.pending.values()].map((timer) => timer.ms);
  }
  fire() {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.fn();
  }
}

function harness(token: () => string | undefined = () => 'tok-1') {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const events: { topic: string; payload: unknown }[] = [];
  let sessionEnded = 0;
  const timers = new ManualTimers();
  const connection = new WsConnection({
    url: 'wss://127.0.0.1:8443/ws',
    token,
    createSocket: (_url, protocols) => {
      const socket = new FakeSocket(protocols);
      sockets.push(socket);
      return socket;
    },
    onEvent: (event) => events.push(event),
    onState: (state) => states.push(state),
    onSessionEnded: () => sessionEnded++,
    timers,
    initialDelayMs: 500,
    maxDelayMs: 4_000,
    heartbeatMs: 20_000,
  });
  return { connection, sockets, states, events, timers, sessionEnded: () => sessionEnded };
}

describe('WsConnection', () => {
  it('connects with the token as a subprotocol, subscribes, and hands events to the store', () => {
    const { connection, sockets, states, events } = harness();
    connection.start();
    connection.subscribe('conversation.');
    sockets[0]!.accept();
    expect(sockets[0]!.protocols).toEqual(['aico.v1', 'aico.bearer.tok-1']);
    expect(sockets[0]!.sent).toEqual([{ type: 'subscribe', topic: 'conversation.' }]);
    sockets[0]!.push({ type: 'event', topic: 'conversation.message.received', payload: { text: 'hi' }, correlationId: 'c-1' });
    expect(events).toEqual([{ topic: 'conversation.message.received', payload: { text: 'hi' }, correlationId: 'c-1' }]);
    expect(states).toEqual(['connecting', 'open']);
  });

  it('reconnects with doubling, capped delays after losses, re-subscribes, and starts the delays over once open', () => {
    const { connection, sockets, states, timers } = harness();
    connection.start();
    connection.subscribe('privacy.');
    sockets[0]!.accept();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      sockets.at(-1)!.drop();
      delays.push(...timers.delays());
      timers.fire();
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 4_000]);
    expect(states.filter((state) => state === 'reconnecting').length).toBeGreaterThanOrEqual(5);
    sockets.at(-1)!.accept();
    expect(sockets.at(-1)!.sent).toEqual([{ type: 'subscribe', topic: 'privacy.' }]);
    expect(states.at(-1)).toBe('open');
    sockets.at(-1)!.drop();
    expect(timers.delays()).toContain(500);
  });

  it('notices a dead connection by its missing pong and reconnects', () => {
    const { connection, sockets, timers } = harness();
    connection.start();
    sockets[0]!.accept();
    timers.fire(); // first heartbeat: a ping goes out
    expect(sockets[0]!.sent).toContainEqual({ type: 'ping' });
    timers.fire(); // no pong came: the connection is closed and a reconnect scheduled
    expect(sockets[0]!.closed).toBe(4000);
    timers.fire();
    expect(sockets).toHaveLength(2);
  });

  it('stops and reports the end of the session instead of reconnecting', () => {
    const ended = harness();
    ended.connection.start();
    ended.sockets[0]!.accept();
    ended.sockets[0]!.drop(SESSION_ENDED_CLOSE);
    expect(ended.sessionEnded()).toBe(1);
    expect(ended.timers.pending.size).toBe(0);
    expect(ended.states.at(-1)).toBe('closed');

    const noToken = harness(() => undefined);
    noToken.connection.start();
    expect(noToken.sockets).toHaveLength(0);
    expect(noToken.sessionEnded()).toBe(1);
  });

  it('hands a refreshed token to the open socket in an auth frame, once per token, so the gateway does not close it', () => {
    let token = 'tok-1';
    const { connection, sockets, timers } = harness(() => token);
    connection.start();
    // Refreshed while connecting: the socket opened with tok-1, so tok-2 follows as soon as it is open.
    token = 'tok-2';
    connection.reauthenticate();
    expect(sockets[0]!.sent).toEqual([]);
    sockets[0]!.accept();
    expect(sockets[0]!.sent).toEqual([{ type: 'auth', token: 'tok-2' }]);
    connection.reauthenticate();
    token = 'tok-3';
    connection.reauthenticate();
    expect(sockets[0]!.sent).toEqual([
      { type: 'auth', token: 'tok-2' },
      { type: 'auth', token: 'tok-3' },
    ]);
    // Closed for an expired token all the same (a refresh came too late): it reconnects with the current token.
    token = 'tok-4';
    sockets[0]!.drop(TOKEN_EXPIRED_CLOSE);
    timers.fire();
    expect(sockets[1]!.protocols).toEqual(['aico.v1', 'aico.bearer.tok-4']);
    sockets[1]!.accept();
    expect(sockets[1]!.sent).toEqual([]);
  });

  it('publishes only while connected, and never queues a publication for later', () => {
    const { connection, sockets } = harness();
    connection.start();
    expect(connection.publish('ui.avatar.speak', { text: 'early' })).toBe(false);
    sockets[0]!.accept();
    expect(connection.publish('ui.avatar.speak', { text: 'hello' })).toBe(true);
    sockets[0]!.drop();
    expect(connection.publish('ui.avatar.speak', { text: 'lost' })).toBe(false);
    expect(sockets[0]!.sent).toEqual([{ type: 'publish', topic: 'ui.avatar.speak', payload: { text: 'hello' } }]);
  });
});
