// Who may see an event relayed to front ends is declared in the registry: a personal event names the payload field
// that holds its user, and the registry refuses, when it is built, an event that carries a userId without saying
// whom it is for, or an audience field the payload does not have as a string.
import { create } from '@bufbuild/protobuf';
import { defaultTopicRegistry } from './default-registry';
import { ConsentChangedSchema } from './gen/aico/privacy/v1/consent_pb';
import { TaskDeadLetteredSchema } from './gen/aico/scheduler/v1/tasks_pb';
import { defineEvent, eventOwner, PERSONAL_FIELD, TopicRegistry, TopicRegistryError, type EventDefinition } from './topic-registry';

const base = { publishers: 'any' as const, contractVersion: 1, description: '' };

describe('event audience', () => {
  it('refuses an event carrying a userId without a declared audience, naming the topic and the fix', () => {
    const undeclared = defineEvent({ ...base, topic: 'test.consent.changed', payload: ConsentChangedSchema });
    expect(() => new TopicRegistry([undeclared])).toThrow(TopicRegistryError);
    expect(() => defaultTopicRegistry.with([undeclared])).toThrow(
      `Event "test.consent.changed" carries a userId but declares no audience: say audience: { user: 'userId' }`,
    );
    expect(
      new TopicRegistry([defineEvent({ ...base, topic: 'test.consent.changed', payload: ConsentChangedSchema, audience: 'everyone' })]).has(
        'test.consent.changed',
      ),
    ).toBe(true);
  });

  it('refuses an audience field the payload does not have as a string', () => {
    // A name the type checker would refuse too; the registry holds for definitions built without it.
    const missing = {
      ...base,
      kind: 'event',
      topic: 'test.consent.changed',
      payload: ConsentChangedSchema,
      audience: { user: 'ownerId' },
    } as const satisfies EventDefinition;
    expect(() => new TopicRegistry([missing])).toThrow('declares its audience by "ownerId", which is not a string field of aico.privacy.v1.ConsentChanged');
    expect(() => new TopicRegistry([{ ...missing, audience: { user: 'granted' } }])).toThrow('"granted", which is not a string field');
    // @ts-expect-error -- not a string field of ConsentChanged: refused at compile time where the topic is defined
    defineEvent({ ...base, topic: 'test.consent.typed', payload: ConsentChangedSchema, audience: { user: 'granted' } });
  });

  it("declares every event of the default registry that carries a userId as that user's", () => {
    const personal = defaultTopicRegistry
      .topics()
      .filter((definition) => definition.kind === 'event' && definition.payload.fields.some((field) => field.localName === PERSONAL_FIELD));
    expect(personal.map((definition) => definition.topic).sort()).toEqual(
      [
        'conversation.memory.changed',
        'conversation.message.received',
        'conversation.reply.completed',
        'conversation.reply.delta',
        'conversation.thread.changed',
        'privacy.consent.changed',
        'ui.activity.reported',
        'ui.avatar.speak',
        'ui.avatar.stop',
      ].sort(),
    );
    for (const definition of personal)
      expect([definition.topic, definition.kind === 'event' && definition.audience]).toEqual([definition.topic, { user: 'userId' }]);
  });

  it('tells whom an event is for: nobody in particular, the named user, or nobody when the field is empty', () => {
    const shared = defineEvent({ ...base, topic: 'test.task.dead_lettered', payload: TaskDeadLetteredSchema });
    const owned = defineEvent({ ...base, topic: 'test.task.dead_lettered', payload: TaskDeadLetteredSchema, audience: { user: 'owner' } });
    expect(eventOwner(shared, create(TaskDeadLetteredSchema, { owner: 'bob' }))).toBeUndefined();
    expect(eventOwner(owned, create(TaskDeadLetteredSchema, { owner: 'bob' }))).toBe('bob');
    expect(eventOwner(owned, create(TaskDeadLetteredSchema, {}))).toBe('');
  });
});
