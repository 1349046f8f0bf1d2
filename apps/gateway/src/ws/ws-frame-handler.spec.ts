// What an admitted frame does, with the bridge's sockets, the relay and the token check faked at the edge and the
// real access policy: answers carry the frame's id, a refused subscription says why, and an "auth" frame keeps a
// socket with its own session (another's token is refused; its own ended session closes it; a lesser role loses
// what it may no longer read).
import type { BusClient } from '@aico/bus';
import { defaultTopicRegistry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { AccessPolicy, Role } from '@aico/policy';
import type { AccessClaims } from '../auth/token.service';
import type { ActivityReporter, ActivitySource } from '../health/activity-reporter';
import { ApiError } from '../http/api-error';
import { WsFrameHandler, type FrameClient } from './ws-frame-handler';
import { WsCloseCode, WsErrorCode } from './ws-protocol';

/** A token whose payload names a session (read unverified by tokenSession), with the claims the fake auth answers. */
const tokenOf = (claims: AccessClaims) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

function newHandler() {
  const sent: Record<string, unknown>[] = [];
  const closed: { code: number; reason: string }[] = [];
  const inputs: string[] = [];
  const open = new Set<FrameClient>();
  const ended = new Set<string>();
  const auth = {
    authenticate: (token: string) => {
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as AccessClaims;
      if (ended.has(claims.sid)) return Promise.reject(new ApiError(401, WsErrorCode.SessionEnded, 'The session ended.'));
      return Promise.resolve(claims);
    },
  };
  const handler = new WsFrameHandler<FrameClient>({
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger,
    auth,
    policy: new AccessPolicy(defaultTopicRegistry),
    relay: { follow: (client, prefix) => (client.prefixes.add(prefix), 'subscribed'), release: (client, prefix) => void client.prefixes.delete(prefix) },
    ports: { bus: {} as BusClient, activity: { input: (source: ActivitySource) => inputs.push(source.client) } as unknown as ActivityReporter, now: Date.now },
    connections: {
      isOpen: (client) => open.has(client),
      send: (_client, frame) => sent.push(frame),
      close: (client, code, reason) => (open.delete(client), closed.push({ code, reason })),
      renewed: (client) => Object.assign(client, { expiresAtMs: Date.UTC(2026, 0, 1) }),
    },
  });
  const connect = (claims: AccessClaims): FrameClient => {
    const client: FrameClient = { name: `ws:${claims.sub}:1`, claims, token: tokenOf(claims), prefixes: new Set(), expiresAtMs: 0 };
    open.add(client);
    return client;
  };
  /** Settles the handler's own awaits (the faked token check answers at once). */
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  return { handler, connect, sent, closed, inputs, ended, settled };
}

describe('WsFrameHandler', () => {
  it('answers a ping under its id, refuses a topic the role may not read, and counts only what a person does as activity', () => {
    const { handler, connect, sent, inputs } = newHandler();
    const bob = connect({ sub: 'bob', role: Role.User, sid: 's1' });
    handler.handle(bob, { type: 'ping', id: 'p' });
    handler.handle(bob, { type: 'subscribe', topic: 'system.log.', id: 'a' });
    handler.handle(bob, { type: 'subscribe', topic: 'privacy.', id: 'b' });
    expect(sent).toEqual([
      { type: 'pong', id: 'p' },
      { type: 'error', code: WsErrorCode.ForbiddenTopic, message: expect.stringContaining('Not allowed'), topic: 'system.log.', id: 'a' },
      { type: 'subscribed', topic: 'privacy.', id: 'b' },
    ]);
    expect([...bob.prefixes]).toEqual(['privacy.']);
    expect(inputs).toEqual(['ws:bob:1', 'ws:bob:1']);
  });

  it("refuses a token of another session, and drops on renewal what the token's role may no longer read", async () => {
    const { handler, connect, sent, closed, settled } = newHandler();
    const ada = connect({ sub: 'ada', role: Role.Admin, sid: 's1' });
    handler.handle(ada, { type: 'subscribe', topic: 'system.log.' });
    sent.length = 0;
    handler.handle(ada, { type: 'auth', token: tokenOf({ sub: 'ada', role: Role.Admin, sid: 's2' }), id: 'x' });
    await settled();
    expect(sent).toEqual([{ type: 'error', code: WsErrorCode.AuthMismatch, message: expect.any(String), id: 'x' }]);
    expect(ada.claims.sid).toBe('s1');
    sent.length = 0;
    const demoted = tokenOf({ sub: 'ada', role: Role.User, sid: 's1' });
    handler.handle(ada, { type: 'auth', token: demoted, id: 'y' });
    await settled();
    expect(sent).toEqual([
      { type: 'unsubscribed', topic: 'system.log.', reason: expect.stringContaining('Not allowed any more') },
      { type: 'authenticated', expiresAt: '2026-01-01T00:00:00.000Z', id: 'y' },
    ]);
    expect([ada.claims.role, ada.token, ada.prefixes.size, closed]).toEqual([Role.User, demoted, 0, []]);
  });

  it("closes the socket when a renewal finds the socket's own session ended, not another one", async () => {
    const { handler, connect, sent, closed, ended, settled } = newHandler();
    const bob = connect({ sub: 'bob', role: Role.User, sid: 's1' });
    ended.add('s9');
    handler.handle(bob, { type: 'auth', token: tokenOf({ sub: 'bob', role: Role.User, sid: 's9' }), id: 'a' });
    await settled();
    expect(closed).toEqual([]);
    ended.add('s1');
    handler.handle(bob, { type: 'auth', token: tokenOf({ sub: 'bob', role: Role.User, sid: 's1' }), id: 'b' });
    await settled();
    expect(sent.map((frame) => [frame['code'], frame['id']])).toEqual([
      [WsErrorCode.SessionEnded, 'a'],
      [WsErrorCode.SessionEnded, 'b'],
    ]);
    expect(closed).toEqual([{ code: WsCloseCode.SessionEnded, reason: 'session ended' }]);
  });
});
