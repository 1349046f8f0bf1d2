// What one user can make the gateway do through WebSockets is bounded: publish payloads have the REST route's limits,
// frames are rate-limited per connection and per user (RATE_LIMITED, then close 4029 for a client that keeps on), and
// a user's sockets are capped (429). The limits are set small here and refill once a minute, so the tests count frames
// instead of depending on how fast anything runs.
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';

const PASSWORD = 'Ws-test-password-2026!';

const LIMITS = {
  AICO_GATEWAY__WS_FRAMES_PER_MINUTE: '1',
  AICO_GATEWAY__WS_FRAME_BURST: '6',
  AICO_GATEWAY__WS_USER_FRAMES_PER_MINUTE: '1',
  AICO_GATEWAY__WS_USER_FRAME_BURST: '10',
  AICO_GATEWAY__WS_RATE_LIMITED_BEFORE_CLOSE: '5',
  AICO_GATEWAY__WS_MAX_CONNECTIONS_PER_USER: '3',
};

describe('WebSocket limits (real processes, small limits)', () => {
  let stack: GatewayStack;
  const addUser = (id: string, role: 'admin' | 'user' | 'guest' = 'user') => stack.putUser(id, PASSWORD, role);
  const login = (username: string) => stack.login(username, PASSWORD);

  beforeAll(async () => {
    stack = await GatewayStack.start(LIMITS);
    // Each test has its own user: the per-user allowance is shared by that user's sockets.
    await Promise.all(['pat', 'rae', 'sam', 'ted', 'una'].map((id) => addUser(id)));
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  it('limits avatar speech published over the socket to 16,000 characters, and takes no conversation message (POST only)', async () => {
    const pat = await login('pat');
    const socket = await stack.connect(pat.accessToken);
    const publish = (text: string, id: string) => socket.ask({ type: 'publish', topic: 'ui.avatar.speak', payload: { text }, id });
    const refused = await publish('x'.repeat(16_001), 'long');
    expect(refused).toMatchObject({ type: 'error', code: 'INVALID_PAYLOAD', topic: 'ui.avatar.speak' });
    expect(refused['message']).toContain('text: Too big: expected string to have <=16000 characters');
    expect(await publish('x'.repeat(16_000), 'max')).toMatchObject({ type: 'published', topic: 'ui.avatar.speak' });
    // Unknown fields are refused.
    expect(await socket.ask({ type: 'publish', topic: 'ui.avatar.speak', payload: { text: 'hi', id: 'mine' }, id: 'extra' })).toMatchObject({
      type: 'error',
      code: 'INVALID_PAYLOAD',
    });
    expect(await socket.ask({ type: 'publish', topic: 'conversation.message.received', payload: { text: 'hi' }, id: 'message' })).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN_TOPIC',
      topic: 'conversation.message.received',
    });
    socket.socket.close();
  });

  it('answers RATE_LIMITED past the per-connection burst, and closes a socket that keeps sending with 4029', async () => {
    const rae = await login('rae');
    const socket = await stack.connect(rae.accessToken);
    // Burst of 6, then refusals: 5 are answered, the next closes the socket.
    for (let i = 0; i < 20; i++) socket.socket.send(JSON.stringify({ type: 'ping', id: `p${i}` }));
    expect(await socket.closed).toBe(4029);
    const frames = socket.frames.frames;
    expect(frames.filter((frame) => frame['type'] === 'pong').map((frame) => frame['id'])).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    const limited = frames.filter((frame) => frame['code'] === 'RATE_LIMITED');
    expect(limited).toHaveLength(5);
    expect(limited[0]).toMatchObject({ type: 'error', scope: 'connection', message: expect.stringContaining('at most 1 a minute per connection') });
  });

  it("shares one allowance between a user's sockets", async () => {
    const sam = await login('sam');
    const [first, second] = await Promise.all([stack.connect(sam.accessToken), stack.connect(sam.accessToken)]);
    // 5 + 5 frames fit the user's burst of 10 (each socket's own burst is 6); the eleventh does not.
    for (let i = 0; i < 5; i++) expect(await first.ask({ type: 'ping', id: `a${i}` })).toMatchObject({ type: 'pong' });
    for (let i = 0; i < 5; i++) expect(await second.ask({ type: 'ping', id: `b${i}` })).toMatchObject({ type: 'pong' });
    first.socket.send(JSON.stringify({ type: 'ping', id: 'over' }));
    expect(await first.frames.next((frame) => frame['code'] === 'RATE_LIMITED')).toMatchObject({ scope: 'user', message: expect.stringContaining('per user') });
    // Another user is not held back by this one.
    const ted = await login('ted');
    const other = await stack.connect(ted.accessToken);
    expect(await other.ask({ type: 'ping', id: 't' })).toEqual({ type: 'pong', id: 't' });
    for (const socket of [first, second, other]) socket.socket.close();
  });

  it('refuses a socket beyond the per-user cap with 429 TOO_MANY_CONNECTIONS, and takes one again once a socket closes', async () => {
    const una = await login('una');
    const sockets = await Promise.all([1, 2, 3].map(() => stack.connect(una.accessToken)));
    expect(await stack.api.refusedUpgrade(una.accessToken)).toEqual({ status: 429, code: 'TOO_MANY_CONNECTIONS' });
    // Other users still connect.
    const pat = await login('pat');
    const other = await stack.connect(pat.accessToken);
    other.socket.close();
    // One closed, and the gateway says it let it go: one more is welcome.
    const gateway = stack.gateway.process;
    const gone = gateway.waitFor(
      (line) => line.msg === 'WebSocket client disconnected' && line['userId'] === 'una',
      undefined,
      'the disconnect of una',
      gateway.lines.length,
    );
    sockets[0]!.socket.close();
    await gone;
    const again = await stack.connect(una.accessToken);
    expect(await again.ask({ type: 'ping', id: 'p' })).toEqual({ type: 'pong', id: 'p' });
    for (const socket of [...sockets, again]) socket.socket.close();
  });
});
