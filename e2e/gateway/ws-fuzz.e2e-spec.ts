// Malformed WebSocket frames against the real gateway: thousands of every shape (objects whose toString/valueOf are not
// functions — one such frame used to stop the gateway — arrays, numbers, nulls, huge strings, wrong types per field,
// deep nesting, binary frames, garbage tokens, frames over the size limit, invalid UTF-8, connections dropped during
// the upgrade). Every frame gets an error frame with a code (or the socket a close code); afterwards the gateway is the
// same process and a normal client still subscribes, publishes and receives. The frames come from a seeded generator,
// so a failure can be replayed.
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { speakUntilHeard, type TestSocket } from '../support/gateway-client';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const PASSWORD = 'Ws-test-password-2026!';
const PER_SHAPE = 1_000;
const FRAME_LIMIT = 64 * 1024;
/** Codes a malformed frame may be answered with; INTERNAL_ERROR (a defect) is not among them. */
const EXPECTED_CODES = new Set([
  'MALFORMED_FRAME',
  'BINARY_FRAME',
  'UNKNOWN_FRAME',
  'INVALID_FRAME',
  'FORBIDDEN_TOPIC',
  'INVALID_PAYLOAD',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'AUTH_MISMATCH',
]);
const FRAME_TYPES = ['subscribe', 'unsubscribe', 'publish', 'ping', 'auth'];
const FIELDS = ['type', 'topic', 'payload', 'id', 'token'];

/** mulberry32: small, seeded, good enough to pick shapes. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(values: readonly T[]): T => values[int(values.length)]!;
  return { next, int, pick };
}
const random = generator(0x1e5f_2026);

/** Values of every JSON type that are wrong where a string (or an object, for a payload) belongs. */
function wrongValue(): unknown {
  return random.pick<() => unknown>([
    () => ({ toString: 1 }),
    () => ({ valueOf: 1 }),
    () => ({ toString: 'conversation.', valueOf: null }),
    () => ({ toJSON: 1, length: -1 }),
    () => random.int(2 ** 31) - 2 ** 30,
    () => random.next() * 1e308,
    () => -0,
    () => null,
    () => random.next() < 0.5,
    () => [],
    () => ['conversation.', 'ui.'],
    () => [{ toString: 1 }],
    () => ({}),
    () => ({ type: 'ping' }),
    () => 'x'.repeat(random.int(3000)),
    () => 'Conversation.Message.Received',
    () => '\u0000\u202e../../etc/passwd',
  ])();
}

/** Nested arrays or objects, `depth` levels (at most 6 bytes a level). */
function nested(depth: number, kind: 'array' | 'object' = random.next() < 0.5 ? 'array' : 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Each shape: a maker of one malformed text frame (a string) or binary frame (a Buffer). */
const SHAPES: Record<string, () => string | Buffer> = {
  'the frame that crashed the gateway, and its kin': () => {
    const field = random.pick(['topic', 'topic', 'topic', 'id', 'payload', 'token']);
    return JSON.stringify({
      type: random.pick(['subscribe', 'unsubscribe', 'publish', 'auth', 'ping']),
      topic: 'ui.',
      [field]: random.pick<unknown>([{ toString: 1 }, { valueOf: 1 }, { toString: 1, valueOf: 1 }, { toString: {} }]),
    });
  },
  'JSON that is not an object': () =>
    JSON.stringify(
      random.pick<() => unknown>([
        () => random.int(1e9),
        () => random.next() * -1e300,
        () => null,
        () => true,
        () => 'subscribe',
        () => [],
        () => [{ type: 'ping' }],
        () => Array.from({ length: random.int(100) }, wrongValue),
      ])(),
    ),
  'wrong types per field': () => {
    const frame: Record<string, unknown> = { type: random.pick(FRAME_TYPES), topic: 'conversation.', payload: { text: 'hi' }, id: 'f', token: 'a.b.c' };
    // At least one field of the wrong type; unknown fields for the frame type are wrong too.
    for (const field of FIELDS) if (random.next() < 0.4) frame[field] = wrongValue();
    frame[random.pick(FIELDS)] = wrongValue();
    return JSON.stringify(frame);
  },
  'unknown and inherited frame types': () =>
    JSON.stringify({
      type: random.pick([
        'toString',
        'valueOf',
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'isPrototypeOf',
        'SUBSCRIBE',
        'Publish',
        '',
        ' ping',
        'x'.repeat(random.int(40)),
      ]),
      topic: 'ui.',
    }),
  'huge strings': () => {
    const size = 1_000 + random.int(FRAME_LIMIT - 2_000);
    const huge = 'x'.repeat(size);
    return JSON.stringify(
      random.pick([
        { type: 'subscribe', topic: huge },
        { type: 'publish', topic: huge, payload: {} },
        { type: 'ping', id: huge },
        { type: huge },
        { type: 'publish', topic: 'ui.avatar.speak', payload: { text: 'y'.repeat(16_001 + random.int(FRAME_LIMIT - 16_200)) } },
        { type: 'auth', token: huge.slice(0, 4_500 + random.int(size)) },
      ]),
    );
  },
  'deeply nested JSON': () => {
    // Up to ~55 KB: deep, yet under the frame size limit (a larger frame is the size test's business).
    const depth = 100 + random.int(9_000);
    return random.pick([
      () => nested(depth * 3, 'array'),
      () => `{"type":"publish","topic":"ui.avatar.speak","payload":${nested(depth)}}`,
      () => `{"type":"subscribe","topic":${nested(depth)}}`,
      () => `{"type":${nested(depth)}}`,
    ])();
  },
  'binary frames': () =>
    random.next() < 0.5
      ? Buffer.from(JSON.stringify({ type: 'ping', id: 'bin' }))
      : Buffer.from(Array.from({ length: 1 + random.int(4_000) }, () => random.int(256))),
  'text that is not JSON': () =>
    random.pick([
      '',
      ' ',
      'not json',
      '{',
      '}',
      '{"type":"ping"',
      "{'type':'ping'}",
      '{"type":"ping",}',
      'NaN',
      'undefined',
      '\u2028',
      String.fromCharCode(...Array.from({ length: 1 + random.int(200) }, () => 32 + random.int(90))),
    ]),
  'payloads the topic refuses': () => {
    const [topic, payload] = random.pick<[string, unknown]>([
      ['ui.avatar.speak', { text: { toString: 1 } }],
      ['ui.avatar.speak', { text: 'x'.repeat(16_001) }],
      ['ui.avatar.speak', { text: 'hi', expression: { valueOf: 1 } }],
      ['conversation.message.received', { text: '' }],
      ['conversation.message.received', { text: 'hi', userId: 'someone-else', receivedAt: 'yesterday' }],
      ['conversation.message.received', wrongValue()],
      ['ui.activity.reported', { kind: 'ACTIVITY_KIND_AWAY', client: 'ws:someone:1' }],
      ['ui.activity.reported', { kind: { toString: 1 } }],
      ['system.service.shutdown', {}],
      ['security.keys.rotated', { key: { toString: 1 } }],
      ['no.such.topic', {}],
    ]);
    return JSON.stringify({ type: 'publish', topic, payload, id: 'pl' });
  },
  'auth frames with tokens that are not': () => {
    const part = () =>
      Buffer.from(
        JSON.stringify(
          random.pick<unknown>([
            { alg: 'none' },
            { alg: 'HS256', kid: 'v1' },
            { alg: 'HS256', kid: { toString: 1 } },
            { sub: 'ada', sid: 1, exp: 'never' },
            wrongValue(),
          ]),
        ),
      ).toString('base64url');
    const token = random.pick([
      () => `${part()}.${part()}.`,
      () => `${part()}.${part()}.${part()}`,
      () => 'a.b.c',
      () => 'x'.repeat(1 + random.int(4_000)),
      () => '..',
      () => `${part()}`,
    ])();
    return JSON.stringify({ type: 'auth', token, id: `auth-${random.int(1e9)}` });
  },
};

describe('WebSocket frame fuzzing against the real gateway', () => {
  let stack: GatewayStack;
  const addUser = (id: string, role: 'admin' | 'user' | 'guest' = 'user') => stack.putUser(id, PASSWORD, role);
  const login = (username: string) => stack.login(username, PASSWORD);
  let token: string;

  beforeAll(async () => {
    // Limits out of the way: here every malformed frame must reach the parser.
    stack = await GatewayStack.start({
      AICO_GATEWAY__WS_FRAMES_PER_MINUTE: '100000000',
      AICO_GATEWAY__WS_FRAME_BURST: '100000000',
      AICO_GATEWAY__WS_USER_FRAMES_PER_MINUTE: '100000000',
      AICO_GATEWAY__WS_USER_FRAME_BURST: '100000000',
    });
    // A user (not a guest) may publish on every WebSocket topic, so every payload check is reached.
    await addUser('mallory', 'user');
    token = (await login('mallory')).accessToken;
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  it(`answers ${PER_SHAPE} malformed frames of every shape with error frames, stays the same process, and still serves a normal client`, async () => {
    const gateway = stack.gateway.process;
    const pid = gateway.pid;
    let exited = false;
    void gateway.exited.then(() => (exited = true));
    const socket = await stack.connect(token);
    let sent = 0;

    for (const [shape, make] of Object.entries(SHAPES)) {
      const before = socket.frames.frames.length;
      for (let i = 0; i < PER_SHAPE; i++) {
        const frame = make();
        socket.socket.send(frame, { binary: Buffer.isBuffer(frame) });
        sent++;
      }
      // Every frame is answered (auth frames after their token was checked): wait for as many answers, or the end.
      const done = await Promise.race([
        socket.frames.next(() => socket.frames.frames.length - before >= PER_SHAPE, SIGNAL_TIMEOUT_MS).catch(() => undefined),
        socket.closed.then(() => undefined),
      ]);
      const answers = socket.frames.frames.slice(before);
      expect([shape, done !== undefined, answers.length]).toEqual([shape, true, PER_SHAPE]);
      const unexpected = answers.filter((answer) => answer['type'] !== 'error' || !EXPECTED_CODES.has(String(answer['code'])));
      expect([shape, unexpected.slice(0, 3)]).toEqual([shape, []]);
      expect(socket.socket.readyState).toBe(socket.socket.OPEN);
    }
    expect(sent).toBeGreaterThanOrEqual(10_000);

    // Abuse that closes the socket with a code: a frame over the size limit, text that is not UTF-8.
    const closes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const abuser = await stack.connect(token);
      if (i % 2 === 0) abuser.socket.send(JSON.stringify({ type: 'ping', id: 'x'.repeat(FRAME_LIMIT + random.int(10_000)) }));
      else abuser.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0xc0, 0x7d]), { binary: false });
      closes.push(await abuser.closed);
    }
    expect(new Set(closes)).toEqual(new Set([1009, 1007]));

    // Connections that go away in the middle of the upgrade, while the gateway checks their token.
    for (let i = 0; i < 100; i++) await upgradeThenReset(stack, token);

    // The same process, never exited, and a normal client is served as before.
    expect(exited).toBe(false);
    expect(gateway.pid).toBe(pid);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(gateway.lines.filter((line) => line.msg === 'gateway ready')).toHaveLength(1);
    expect(gateway.lines.filter((line) => line.level >= 50)).toEqual([]);
    await normalClientWorks(stack, token);
    await normalClientWorks(stack, token, socket);
    socket.socket.close();
  }, 600_000);
});

async function normalClientWorks(stack: GatewayStack, token: string, existing?: TestSocket): Promise<void> {
  const client = existing ?? (await stack.connect(token));
  expect(await client.ask({ type: 'subscribe', topic: 'ui.avatar.', id: 'sub' })).toMatchObject({ type: 'subscribed', topic: 'ui.avatar.' });
  expect(await client.ask({ type: 'publish', topic: 'ui.avatar.stop', payload: { conversationId: 'still-here' }, id: 'msg' })).toMatchObject({
    type: 'published',
    topic: 'ui.avatar.stop',
  });
  // Its own avatar speech comes back to it.
  expect(await speakUntilHeard(client, 'heard')).toMatchObject({
    source: 'gateway',
    payload: { userId: 'mallory', text: expect.stringMatching(/^heard \d+$/) },
  });
  if (!existing) client.socket.close();
}

/** A TLS connection that asks for a WebSocket with a valid token, then resets before the gateway has answered. */
function upgradeThenReset(stack: GatewayStack, token: string): Promise<void> {
  const { hostname, port } = new URL(stack.api.url);
  return new Promise((resolve) => {
    const raw = tcpConnect(Number(port), hostname);
    raw.on('error', () => undefined);
    const secure = tlsConnect({ socket: raw, ca: stack.ca, checkServerIdentity: () => undefined }, () => {
      const key = Buffer.from('0123456789abcdef').toString('base64');
      secure.write(
        `GET /ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: aico.v1, aico.bearer.${token}\r\n\r\n`,
        () => {
          raw.resetAndDestroy();
          resolve();
        },
      );
    });
    secure.on('error', () => resolve());
    raw.on('close', () => resolve());
  });
}
