// The relay sends an event declared for one user (its audience in the topic registry) only to that user's sockets:
// every conversation event and the avatar's speech and stop are declared so, one that names nobody reaches nobody,
// and the relay follows the declaration, not a field that happens to be called userId. The bus is faked at the edge (the
// subscription's handler is called with messages as the bus client would deliver them).
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import type { BusClient, IncomingMessage } from '@aico/bus';
import { ConversationTopics, defaultTopicRegistry, defineEvent, GatewayTopics, TaskDeadLetteredSchema, type TopicRegistry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { WsTopicRelay, type RelayClient } from './ws-topic-relay';

interface TestClient extends RelayClient {
  readonly frames: string[];
}

function newRelay(registry: TopicRegistry = defaultTopicRegistry) {
  const handlers = new Map<string, (message: IncomingMessage) => void>();
  const bus = {
    subscribePrefix: (prefix: string, handler: (message: IncomingMessage) => void) => (handlers.set(prefix, handler), () => handlers.delete(prefix)),
  } as unknown as BusClient;
  const logger = { warn: () => undefined } as unknown as Logger;
  const relay = new WsTopicRelay<TestClient>(bus, registry, logger, (client, frame) => client.frames.push(frame));
  const client = (sub: string): TestClient => ({ claims: { sub }, prefixes: new Set(), frames: [] });
  const deliver = <S extends DescMessage>(prefix: string, definition: { topic: string; payload: S }, payload: MessageInitShape<S>) =>
    handlers.get(prefix)!({
      topic: definition.topic,
      source: 'conversation',
      correlationId: 'c1',
      envelope: { id: 'm1' },
      payload: create(definition.payload, payload),
    } as unknown as IncomingMessage);
  return { relay, client, deliver };
}

const topicsOf = (client: TestClient) => client.frames.map((frame) => (JSON.parse(frame) as { topic: string }).topic);

describe('WsTopicRelay', () => {
  it("finds every conversation event and the avatar's speech and stop declared for the user their userId names", () => {
    const events = [...Object.values(ConversationTopics), GatewayTopics.avatarSpeak, GatewayTopics.avatarStop].filter(
      (definition) => defaultTopicRegistry.get(definition.topic)?.kind === 'event',
    );
    expect(events.map((definition) => definition.topic).sort()).toEqual(
      [
        'conversation.memory.changed',
        'conversation.message.received',
        'conversation.reply.completed',
        'conversation.reply.delta',
        'conversation.thread.changed',
        'ui.avatar.speak',
        'ui.avatar.stop',
      ].sort(),
    );
    for (const definition of events)
      expect([definition.topic, definition.kind === 'event' && definition.audience]).toEqual([definition.topic, { user: 'userId' }]);
  });

  it('sends a reply delta, a completion, avatar speech and stop to their own user only', () => {
    const { relay, client, deliver } = newRelay();
    const ada = client('ada');
    const adaPhone = client('ada');
    const bob = client('bob');
    relay.follow(ada, 'conversation.');
    relay.follow(adaPhone, 'conversation.');
    relay.follow(bob, 'conversation.');
    relay.follow(ada, 'ui.');
    relay.follow(bob, 'ui.');
    deliver('conversation.', ConversationTopics.replyDelta, {
      userId: 'ada',
      threadId: 't',
      replyId: 'r',
      sequence: 1n,
      kind: { case: 'text', value: 'Hello' },
    });
    deliver('conversation.', ConversationTopics.replyCompleted, { userId: 'bob', threadId: 't2', replyId: 'r2', text: 'for bob' });
    deliver('ui.', GatewayTopics.avatarSpeak, { userId: 'ada', text: 'Hello.', conversationId: 't' });
    deliver('ui.', GatewayTopics.avatarStop, { userId: 'ada', conversationId: 't' });
    expect(topicsOf(ada)).toEqual(['conversation.reply.delta', 'ui.avatar.speak', 'ui.avatar.stop']);
    expect(topicsOf(adaPhone)).toEqual(['conversation.reply.delta']);
    expect(topicsOf(bob)).toEqual(['conversation.reply.completed']);
    expect(JSON.parse(ada.frames[0]!)).toMatchObject({
      type: 'event',
      topic: 'conversation.reply.delta',
      payload: { userId: 'ada', sequence: '1', text: 'Hello' },
    });
  });

  it('sends an event about a user that names nobody (an empty user id) to nobody', () => {
    const { relay, client, deliver } = newRelay();
    const ada = client('ada');
    relay.follow(ada, 'conversation.');
    relay.follow(ada, 'ui.');
    deliver('conversation.', ConversationTopics.replyDelta, { userId: '', threadId: 't', replyId: 'r', sequence: 1n, kind: { case: 'text', value: 'secret' } });
    deliver('ui.', GatewayTopics.avatarSpeak, { userId: '', text: 'secret' });
    expect(ada.frames).toEqual([]);
  });

  it('sends an event whose declared owner field names another user to nobody else, whatever that field is called', () => {
    const owned = defineEvent({
      topic: 'test.task.dead_lettered',
      payload: TaskDeadLetteredSchema,
      publishers: 'any',
      contractVersion: 1,
      description: '',
      audience: { user: 'owner' },
    });
    const { relay, client, deliver } = newRelay(defaultTopicRegistry.with([owned]));
    const ada = client('ada');
    const bob = client('bob');
    relay.follow(ada, 'test.');
    relay.follow(bob, 'test.');
    deliver('test.', owned, { owner: 'bob', topic: 'a.b.c' });
    expect(topicsOf(ada)).toEqual([]);
    expect(topicsOf(bob)).toEqual(['test.task.dead_lettered']);
  });

  it('relays an event without a declared audience to everyone following it, not as personal', () => {
    const shared = defineEvent({ topic: 'test.task.dead_lettered', payload: TaskDeadLetteredSchema, publishers: 'any', contractVersion: 1, description: '' });
    const { relay, client, deliver } = newRelay(defaultTopicRegistry.with([shared]));
    const ada = client('ada');
    const bob = client('bob');
    relay.follow(ada, 'test.');
    relay.follow(bob, 'test.');
    deliver('test.', shared, { owner: 'bob', topic: 'a.b.c' });
    expect([topicsOf(ada), topicsOf(bob)]).toEqual([['test.task.dead_lettered'], ['test.task.dead_lettered']]);
  });
});
