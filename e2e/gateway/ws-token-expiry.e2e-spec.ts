// A WebSocket lives only as long as its access token: the gateway closes it (4002) when the token expires, unless the
// client sends a fresh token of the same user and session in an "auth" frame first. Tokens with a near expiry are
// minted with the test's copy of the signing key, so nothing waits for the gateway's 15-minute token lifetime; what
// the tests wait for is the close itself (a signal), never a sleep.
import { decodeJwt } from 'jose';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';

const PASSWORD = 'Ws-test-password-2026!';

/**
 * The life of a short token: what must happen before it runs out is one WebSocket upgrade, or the handling of three
 * auth frames sent together, which takes well under a second on an idle machine; 20 s leave room for a loaded one.
 * Each test waits this long for the expiry (the signal), never longer.
 */
const SHORT_LIFE_SECONDS = 20;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('WebSocket and access-token expiry (real processes)', () => {
  let stack: GatewayStack;
  const addUser = (id: string, role: 'admin' | 'user' | 'guest' = 'user') => stack.putUser(id, PASSWORD, role);
  const login = (username: string) => stack.login(username, PASSWORD);

  beforeAll(async () => {
    stack = await GatewayStack.start({});
    await Promise.all([addUser('bob'), addUser('ada')]);
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  it('closes a socket with 4002 when the access token it was opened with expires', async () => {
    const bob = await login('bob');
    const short = await stack.tokenLike(bob.accessToken, nowSeconds() + SHORT_LIFE_SECONDS);
    // Opened: the gateway took the token (an expired one is refused with 401 at the upgrade).
    const socket = await stack.connect(short);
    expect(await socket.closed).toBe(4002);
    // A new socket with a live token of the same session is welcome.
    const again = await stack.connect(bob.accessToken);
    expect(await again.ask({ type: 'ping', id: 'p' })).toEqual({ type: 'pong', id: 'p' });
    again.socket.close();
  });

  it('keeps a socket open past the expiry of its first token once an auth frame brings a fresh one of the same session, and refuses tokens of another user or session', async () => {
    const bob = await login('bob');
    const bobElsewhere = await login('bob');
    const ada = await login('ada');
    const [control, renewed] = await Promise.all([stack.connect(bob.accessToken), stack.connect(bob.accessToken)]);
    expect(await renewed.ask({ type: 'auth', token: ada.accessToken, id: 'ada' })).toMatchObject({ type: 'error', code: 'AUTH_MISMATCH' });
    expect(await renewed.ask({ type: 'auth', token: bobElsewhere.accessToken, id: 'other-session' })).toMatchObject({ type: 'error', code: 'AUTH_MISMATCH' });
    expect(await renewed.ask({ type: 'auth', token: `${bob.accessToken.slice(0, -4)}AAAA`, id: 'forged' })).toMatchObject({
      type: 'error',
      code: 'TOKEN_INVALID',
    });
    // The real refresh flow: a new access token of the same session.
    const refreshed = await stack.refresh(bob);
    expect(decodeJwt(refreshed.accessToken)['sid']).toBe(decodeJwt(bob.accessToken)['sid']);

    // Both sockets move to the short token; `renewed` gets the fresh one right after. The frames go out together,
    // so only their handling has to happen before the short token runs out.
    const expiresAt = nowSeconds() + SHORT_LIFE_SECONDS;
    const short = await stack.tokenLike(bob.accessToken, expiresAt);
    const [controlShort, renewedShort, fresh] = await Promise.all([
      control.ask({ type: 'auth', token: short, id: 'short' }),
      renewed.ask({ type: 'auth', token: short, id: 'short' }),
      renewed.ask({ type: 'auth', token: refreshed.accessToken, id: 'fresh' }),
    ]);
    for (const answer of [controlShort, renewedShort])
      expect(answer).toEqual({ type: 'authenticated', expiresAt: new Date(expiresAt * 1000).toISOString(), id: 'short' });
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
