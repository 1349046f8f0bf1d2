// Topics the gateway publishes for the front ends (consent changes, avatar speech) and the consent check it
// answers for services that need a purpose (storage holds the consent records; the gateway reads them).
import { ConsentChangedSchema, ConsentCheckRequestSchema, ConsentCheckResponseSchema } from './gen/aico/privacy/v1/consent_pb';
import { AvatarSpeechSchema, AvatarStopSchema } from './gen/aico/ui/v1/avatar_pb';
import { defineEvent, defineRequest } from './topic-registry';

export const GatewayTopics = {
  consentChanged: defineEvent({
    topic: 'privacy.consent.changed',
    payload: ConsentChangedSchema,
    publishers: ['gateway'],
    audience: { user: 'userId' },
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
    // The gateway on behalf of front ends (a person trying their avatar), the CLI, and the conversation service (each
    // sentence of a reply as soon as it is written).
    publishers: ['gateway', 'cli', 'conversation'],
    audience: { user: 'userId' },
    contractVersion: 1,
    description: "Make the user's avatar say something (a companion's reply): front ends speak it with lip-sync.",
  }),
  avatarStop: defineEvent({
    topic: 'ui.avatar.stop',
    payload: AvatarStopSchema,
    publishers: ['gateway', 'conversation'],
    audience: { user: 'userId' },
    contractVersion: 1,
    description: "Silence the user's avatar at once (the reply it was speaking was stopped).",
  }),
} as const;
