// `ui.activity.reported` over WebSockets with two users: a report names its user and connection as the gateway knows
// them (a front end cannot report for another), and reaches only its own user's sockets.
import { type BusClient } from '@aico/bus';
import { createTestClient, nextValue, requestWhenRoutable } from '@aico/bus/testing';
import { ActivityKind, MonitorTopics, StorageTopics, type ActivityReport } from '@aico/contracts';
import { speakUntilHeard, type Frame } from '../support/gateway-client';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const PASSWORD = 'Ws-test-password-2026!';
const isActivity = (frame: Frame) => frame['type'] === 'event' && frame['topic'] === 'ui.activity.reported';
const payloadOf = (frame: Frame) => frame['payload'] as { userId?: string; client?: string; kind?: string; text?: string };
const away = (id: string) => ({ type: 'publish', topic: 'ui.activity.reported', payload: { kind: 'ACTIVITY_KIND_AWAY' }, id });

describe('activity reports over WebSockets (real processes, two users)', () => {
  let stack: GatewayStack;
  const addUser = (id: string, role: 'admin' | 'user' | 'guest' = 'user') => stack.putUser(id, PASSWORD, role);
  const login = (username: string) => stack.login(username, PASSWORD);
  let monitor: BusClient;
  const reports: ActivityReport[] = [];
  let waiters: { match: (report: ActivityReport) => boolean; resolve: (report: ActivityReport) => void }[] = [];
  /** The first report (seen since index `since`, or to come) that matches. */
  const report = (match: (report: ActivityReport) => boolean, since = 0) =>
    nextValue<ActivityReport>(
      (resolve) => {
        const seen = reports.slice(since).find(match);
        if (seen) resolve(seen);
        else waiters.push({ match, resolve });
      },
      SIGNAL_TIMEOUT_MS,
      'a matching activity report',
    );

  beforeAll(async () => {
    stack = await GatewayStack.start({});
    await Promise.all([addUser('ada'), addUser('bob')]);
    // Where the reports go: the monitor, as a real bus subscriber would see them.
    monitor = createTestClient('monitor', stack.environment.keys, stack.environment.endpoints);
    await monitor.connect();
    monitor.subscribe(MonitorTopics.activityReported, (event) => {
      reports.push(event.payload);
      waiters = waiters.filter((waiter) => (waiter.match(event.payload) ? (waiter.resolve(event.payload), false) : true));
    });
    await requestWhenRoutable((timeoutMs) => monitor.request(StorageTopics.databaseCheck, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await monitor?.close({ drainTimeoutMs: 0 });
    await stack?.stop();
  });

  it("relays a user's activity to that user's sockets only, stamped with the user and the connection by the gateway", async () => {
    const [ada, bob] = await Promise.all([login('ada'), login('bob')]);
    const [adaSocket, bobSocket] = await Promise.all([stack.connect(ada.accessToken), stack.connect(bob.accessToken)]);
    for (const socket of [adaSocket, bobSocket]) expect(await socket.ask({ type: 'subscribe', topic: 'ui.', id: 's' })).toMatchObject({ type: 'subscribed' });
    // A barrier: once a socket hears its own avatar speech, every event published on the bus before it has been relayed.
    await speakUntilHeard(adaSocket, 'ada ready');

    expect(await adaSocket.ask(away('ada-away'))).toMatchObject({ type: 'published' });
    await speakUntilHeard(bobSocket, 'bob sync');
    expect(await bobSocket.ask(away('bob-away'))).toMatchObject({ type: 'published' });
    await speakUntilHeard(adaSocket, 'ada sync');
    await speakUntilHeard(bobSocket, 'bob sync again');

    const adaActivity = adaSocket.frames.frames.filter(isActivity).map(payloadOf);
    const bobActivity = bobSocket.frames.frames.filter(isActivity).map(payloadOf);
    expect(adaActivity).toContainEqual({
      kind: 'ACTIVITY_KIND_AWAY',
      userId: 'ada',
      client: expect.stringMatching(/^ws:ada:\d+$/),
      occurredAt: expect.any(String),
    });
    expect(bobActivity).toContainEqual({
      kind: 'ACTIVITY_KIND_AWAY',
      userId: 'bob',
      client: expect.stringMatching(/^ws:bob:\d+$/),
      occurredAt: expect.any(String),
    });
    expect(adaActivity.filter((activity) => activity.userId !== 'ada' || !activity.client?.startsWith('ws:ada:'))).toEqual([]);
    expect(bobActivity.filter((activity) => activity.userId !== 'bob' || !activity.client?.startsWith('ws:bob:'))).toEqual([]);
    adaSocket.socket.close();
    bobSocket.socket.close();
  });

  it("refuses a report that names a client, a user or a time, so no one can report for another's connection", async () => {
    const [ada, bob] = await Promise.all([login('ada'), login('bob')]);
    const since = reports.length;
    const [adaSocket, bobSocket] = await Promise.all([stack.connect(ada.accessToken), stack.connect(bob.accessToken)]);
    expect(await adaSocket.ask({ type: 'subscribe', topic: 'conversation.', id: 's' })).toMatchObject({ type: 'subscribed' });
    const adaClient = (await report((entry) => entry.userId === 'ada' && entry.kind === ActivityKind.INPUT && entry.client.startsWith('ws:'), since)).client;
    expect(adaClient).toMatch(/^ws:ada:\d+$/);
    for (const [id, payload] of [
      ['client', { kind: 'ACTIVITY_KIND_AWAY', client: adaClient }],
      ['user', { kind: 'ACTIVITY_KIND_AWAY', userId: 'ada' }],
      ['time', { kind: 'ACTIVITY_KIND_INPUT', occurredAt: '2030-01-01T00:00:00Z' }],
    ] as const) {
      expect(await bobSocket.ask({ type: 'publish', topic: 'ui.activity.reported', payload, id })).toMatchObject({
        type: 'error',
        code: 'INVALID_PAYLOAD',
        id,
      });
    }
    // What bob may report is about his own connection, as the monitor sees it.
    expect(await bobSocket.ask(away('own'))).toMatchObject({ type: 'published' });
    const own = await report((entry) => entry.userId === 'bob' && entry.kind === ActivityKind.AWAY, since);
    expect(own.client).toMatch(/^ws:bob:\d+$/);
    expect(reports.filter((entry) => entry.client === adaClient).map((entry) => [entry.userId, entry.kind])).toEqual([['ada', ActivityKind.INPUT]]);
    adaSocket.socket.close();
    bobSocket.socket.close();
  });

  it('names the user in the reports of REST requests too', async () => {
    const bob = await login('bob');
    expect((await stack.api.call('GET', '/api/v1/consent', { token: bob.accessToken })).status).toBe(200);
    expect(await report((entry) => entry.client === 'api:bob')).toMatchObject({ userId: 'bob', kind: ActivityKind.INPUT });
  });
});
