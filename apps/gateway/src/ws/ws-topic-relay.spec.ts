// The relay sends an event about one user only to that user's sockets: every conversation event and the avatar's
// speech and stop carry the user, and one that names nobody reaches nobody. The bus is faked at the edge (the
// subscription's handler is called with messages as the bus client would deliver them).
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import type { BusClient, IncomingMessage } from '@aico/bus';
import { ConversationTopics, defaultTopicRegistry, GatewayTopics } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { namesUser, WsTopicRelay, type RelayClient } from './ws-topic-relay';

interface TestClient extends RelayClient {
  readonly frames: string[];
}

function newRelay() {
  const handlers = new Map<string, (message: IncomingMessage) => void>();
  const bus = { subscribePrefix: (prefix: string, handler: (message: IncomingMessage) => void) => (handlers.set(prefix, handler), () => handlers.delete(prefix)) } as unknown as BusClient;
  const logger = { warn: () => undefined } as unknown as Logger;
  const relay = new WsTopicRelay<TestClient>(bus, defaultTopicRegistry, logger, (client, frame) => client.frames.push(frame));
  const client = (sub: string): TestClient => ({ claims: { sub }, prefixes: new Set(), frames: [] });
  const deliver = <S extends DescMessage>(prefix: string, definition: { topic: string; payload: S }, payload: MessageInitShape<S>) =>
    handlers.get(prefix)!({ topic: definition.topic, source: 'conversation', correlationId: 'c1', envelope: { id: 'm1' }, payload: create(definition.payload, payload) } as unknown as IncomingMessage);
  return { relay, client, deliver };
}

const topicsOf = (client: TestClient) => client.frames.map((frame) => (JSON.parse(frame) as { topic: string }).topic);

describe('WsTopicRelay', () => {
  it('names the user in every conversation event and in the avatar\'s speech and stop (so the relay can keep them to that user)', () => {
    const events = [...Object.values(ConversationTopics), GatewayTopics.avatarSpeak, GatewayTopics.avatarStop].filter((definition) => defaultTopicRegistry.get(definition.topic)?.kind === 'event');
    expect(events.map((definition) => definition.topic).sort()).toEqual(
      ['conversation.memory.changed', 'conversation.message.received', 'conversation.reply.completed', 'conversation.reply.delta', 'conversation.thread.changed', 'ui.avatar.speak', 'ui.avatar.stop'].sort(),
    );
    for (const definition of events) expect([definition.topic, namesUser(definition.payload)]).toEqual([definition.topic, true]);
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
    deliver('conversation.', ConversationTopics.replyDelta, { userId: 'ada', threadId: 't', replyId: 'r', sequence: 1n, kind: { case: 'text', value: 'Hello' } });
    deliver('conversation.', ConversationTopics.replyCompleted, { userId: 'bob', threadId: 't2', replyId: 'r2', text: 'for bob' });
    deliver('ui.', GatewayTopics.avatarSpeak, { userId: 'ada', text: 'Hello.', conversationId: 't' });
    deliver('ui.', GatewayTopics.avatarStop, { userId: 'ada', conversationId: 't' });
    expect(topicsOf(ada)).toEqual(['conversation.reply.delta', 'ui.avatar.speak', 'ui.avatar.stop']);
    expect(topicsOf(adaPhone)).toEqual(['conversation.reply.delta']);
    expect(topicsOf(bob)).toEqual(['conversation.reply.completed']);
    expect(JSON.parse(ada.frames[0]!)).toMatchObject({ type: 'event', topic: 'conversation.reply.delta', payload: { userId: 'ada', sequence: '1', text: 'Hello' } });
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
});
