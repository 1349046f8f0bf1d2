import type { BusClient } from '@aico/bus';
import { ActivityKind, GatewayTopics, MonitorTopics } from '@aico/contracts';
import { ROLE_TOPICS } from '@aico/policy';
import { ActivityReporter } from '../health/activity-reporter';
import { WS_PUBLICATIONS, type PublicationPorts } from './ws-publications';

/** The bus at the edge: what would have been published. */
function newTestPorts() {
  const published: { topic: string; payload: Record<string, unknown>; options: unknown }[] = [];
  const bus = {
    publish: (definition: { topic: string }, payload: Record<string, unknown>, options?: unknown) => {
      published.push({ topic: definition.topic, payload, options });
      return Promise.resolve();
    },
  } as unknown as BusClient;
  const ports: PublicationPorts = { bus, activity: new ActivityReporter(bus), now: () => Date.UTC(2026, 0, 1) };
  return { ports, published };
}

const from = { userId: 'ada', connection: 'ws:ada:7' };
const publication = (topic: string) => WS_PUBLICATIONS.get(topic)!;

describe('what a front end may publish over its WebSocket', () => {
  it('has a payload schema for every topic a role may publish, and nothing else', () => {
    const publishable = new Set(Object.values(ROLE_TOPICS).flatMap((topics) => topics.publish));
    expect(new Set(WS_PUBLICATIONS.keys())).toEqual(publishable);
  });

  it('refuses conversation messages: they go by POST /conversation/messages only', () => {
    expect(WS_PUBLICATIONS.has('conversation.message.received')).toBe(false);
    expect(WS_PUBLICATIONS.has('conversation.message.send')).toBe(false);
  });

  it('limits avatar speech to the same text length, and speaks for the sender whatever the payload says', async () => {
    const speech = publication(GatewayTopics.avatarSpeak.topic);
    expect(speech.schema.safeParse({ text: 'x'.repeat(16_001) }).success).toBe(false);
    expect(speech.schema.safeParse({ text: 'hi', expression: 'furious' }).success).toBe(false);
    expect(speech.schema.safeParse({ text: { toString: 1 } }).success).toBe(false);
    const { ports, published } = newTestPorts();
    await speech.publish(speech.schema.parse({ text: 'hello', expression: 'happy', userId: 'bob' }), from, ports);
    expect(published).toEqual([
      {
        topic: 'ui.avatar.speak',
        payload: { text: 'hello', expression: 'happy', conversationId: '', userId: 'ada' },
        options: { attributes: { user: 'ada' } },
      },
    ]);
  });

  it("stops the sender's own avatar only: a user named in the payload is refused", async () => {
    const stop = publication(GatewayTopics.avatarStop.topic);
    expect(stop.schema.safeParse({ userId: 'bob' }).success).toBe(false);
    expect(stop.schema.safeParse({ conversationId: 'x'.repeat(129) }).success).toBe(false);
    const { ports, published } = newTestPorts();
    await stop.publish(stop.schema.parse({ conversationId: 't1' }), from, ports);
    await stop.publish(stop.schema.parse({}), from, ports);
    expect(published).toEqual([
      { topic: 'ui.avatar.stop', payload: { userId: 'ada', conversationId: 't1' }, options: { attributes: { user: 'ada' } } },
      { topic: 'ui.avatar.stop', payload: { userId: 'ada', conversationId: '' }, options: { attributes: { user: 'ada' } } },
    ]);
  });

  it('reports activity of the sending connection only: a client or user named in the payload is refused', async () => {
    const activity = publication(MonitorTopics.activityReported.topic);
    for (const payload of [
      { kind: 'ACTIVITY_KIND_AWAY', client: 'ws:bob:1' },
      { kind: 'ACTIVITY_KIND_AWAY', userId: 'bob' },
      { kind: 'ACTIVITY_KIND_UNSPECIFIED' },
      { kind: 3 },
      {},
      null,
      'AWAY',
    ]) {
      expect([payload, activity.schema.safeParse(payload).success]).toEqual([payload, false]);
    }
    const { ports, published } = newTestPorts();
    await activity.publish(activity.schema.parse({ kind: 'ACTIVITY_KIND_PRESENT' }), from, ports);
    await activity.publish(activity.schema.parse({ kind: 'ACTIVITY_KIND_AWAY' }), from, ports);
    expect(published.map((entry) => [entry.topic, entry.payload['kind'], entry.payload['client'], entry.payload['userId']])).toEqual([
      ['ui.activity.reported', ActivityKind.PRESENT, 'ws:ada:7', 'ada'],
      ['ui.activity.reported', ActivityKind.AWAY, 'ws:ada:7', 'ada'],
    ]);
  });
});
