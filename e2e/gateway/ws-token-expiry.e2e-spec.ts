// A WebSocket lives only as long as its access token: the gateway closes it (4002) when the token expires, unless the
// client sends a fresh token of the same user and session in an "auth" frame first. Tokens with a near expiry are
// minted with the test's copy of the signing key, so nothing waits for the gateway's 15-minute token lifetime; what
// the tests wait for is the close itself (a signal), never a sleep.
import { decodeJwt } from 'jose';
import { WsTestSystem } from './ws-harness';

/** Far enough ahead that the few frames before it are sent in time even on a loaded machine; the test waits this long. */
const SHORT_LIFE_SECONDS = 8;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('WebSocket and access-token expiry (real processes)', () => {
  let system: WsTestSystem;

  beforeAll(async () => {
    system = await WsTestSystem.start({});
    await Promise.all([system.addUser('bob'), system.addUser('ada')]);
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('closes a socket with 4002 when the access token it was opened with expires', async () => {
    const bob = await system.login('bob');
    const short = await system.mintToken(bob.accessToken, nowSeconds() + SHORT_LIFE_SECONDS);
    const socket = await system.connect(short);
    expect(await socket.ask({ type: 'ping', id: 'p' })).toEqual({ type: 'pong', id: 'p' });
    expect(await socket.closed).toBe(4002);
    // A new socket with a live token of the same session is welcome.
    const again = await system.connect(bob.accessToken);
    expect(await again.ask({ type: 'ping', id: 'p' })).toEqual({ type: 'pong', id: 'p' });
    again.socket.close();
  });

  it('keeps a socket open past the expiry of its first token once an auth frame brings a fresh one of the same session, and refuses tokens of another user or session', async () => {
    const bob = await system.login('bob');
    const bobElsewhere = await system.login('bob');
    const ada = await system.login('ada');
    const expiresAt = nowSeconds() + SHORT_LIFE_SECONDS;
    const short = await system.mintToken(bob.accessToken, expiresAt);
    // Both sockets live on the short token first; only `renewed` gets a fresh one before it runs out.
    const [control, renewed] = await Promise.all([system.connect(bob.accessToken), system.connect(bob.accessToken)]);
    for (const socket of [control, renewed]) {
      expect(await socket.ask({ type: 'auth', token: short, id: 'short' })).toEqual({ type: 'authenticated', expiresAt: new Date(expiresAt * 1000).toISOString(), id: 'short' });
    }
    expect(await renewed.ask({ type: 'auth', token: ada.accessToken, id: 'ada' })).toMatchObject({ type: 'error', code: 'AUTH_MISMATCH' });
    expect(await renewed.ask({ type: 'auth', token: bobElsewhere.accessToken, id: 'other-session' })).toMatchObject({ type: 'error', code: 'AUTH_MISMATCH' });
    expect(await renewed.ask({ type: 'auth', token: `${short.slice(0, -4)}AAAA`, id: 'forged' })).toMatchObject({ type: 'error', code: 'TOKEN_INVALID' });
    // The real refresh flow: a new access token of the same session.
    const refreshed = await system.refresh(bob);
    expect(decodeJwt(refreshed.accessToken)['sid']).toBe(decodeJwt(bob.accessToken)['sid']);
    const fresh = await renewed.ask({ type: 'auth', token: refreshed.accessToken, id: 'fresh' });
    expect(fresh).toMatchObject({ type: 'authenticated', id: 'fresh' });
    expect(Date.parse(String(fresh['expiresAt']))).toBe((decodeJwt(refreshed.accessToken).exp ?? 0) * 1000);

    // The control socket closing is the sign that the short token's expiry has passed at the gateway.
    expect(await control.closed).toBe(4002);
    expect(await renewed.ask({ type: 'ping', id: 'after' })).toEqual({ type: 'pong', id: 'after' });
    expect(await renewed.ask({ type: 'subscribe', topic: 'ui.', id: 'sub' })).toMatchObject({ type: 'subscribed', topic: 'ui.' });
    // The refused tokens changed nothing: the socket is still bob's.
    expect(renewed.frames.frames.filter((frame) => frame['type'] === 'authenticated').map((frame) => frame['id'])).toEqual(['short', 'fresh']);
    renewed.socket.close();
  });
});
