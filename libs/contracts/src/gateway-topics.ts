// Topics the gateway publishes for the front ends (conversation messages, consent changes, avatar speech) and the consent check it
// answers for services that need a purpose (storage holds the consent records; the gateway reads them).
import { ConversationMessageSchema } from './gen/aico/conversation/v1/message_pb';
import { ConsentChangedSchema, ConsentCheckRequestSchema, ConsentCheckResponseSchema } from './gen/aico/privacy/v1/consent_pb';
import { AvatarSpeechSchema } from './gen/aico/ui/v1/avatar_pb';
import { defineEvent, defineRequest } from './topic-registry';

export const GatewayTopics = {
  conversationMessage: defineEvent({
    topic: 'conversation.message.received',
    payload: ConversationMessageSchema,
    publishers: ['gateway'],
    contractVersion: 1,
    description: 'A message the user sent from a front end.',
  }),
  consentChanged: defineEvent({
    topic: 'privacy.consent.changed',
    payload: ConsentChangedSchema,
    publishers: ['gateway'],
    contractVersion: 1,
    description: 'A user granted or withdrew consent for a purpose.',
  }),
  consentCheck: defineRequest({
    topic: 'privacy.consent.check',
    payload: ConsentCheckRequestSchema,
    response: ConsentCheckResponseSchema,
    publishers: 'any',
    responders: ['gateway'],
    contractVersion: 1,
    description: 'Has this user consented to this purpose? No record means no.',
  }),
  avatarSpeak: defineEvent({
    topic: 'ui.avatar.speak',
    payload: AvatarSpeechSchema,
    // The gateway on behalf of front ends (a person trying their avatar), and the CLI; a companion service joins here.
    publishers: ['gateway', 'cli'],
    contractVersion: 1,
    description: "Make the user's avatar say something (a companion's reply): front ends speak it with lip-sync.",
  }),
} as const;
