// What a front end may publish over its WebSocket, per topic: the payload's schema (with the same limits as the REST
// route for the same thing) and how the gateway turns it into a bus event. Conversation messages are not here: they
// go by POST /conversation/messages only, so the conversation service answers each one (one way in). The gateway, not the client, names the user, the connection and the time; a topic the
// role may publish but that has no entry here is refused (deny by default).
import type { BusClient } from '@aico/bus';
import { ActivityKind, GatewayTopics, MonitorTopics } from '@aico/contracts';
import { z } from '@aico/config';
import type { ActivityReporter } from '../health/activity-reporter';
import { MAX_ID_CHARS } from '../http/conversation-schemas';

/** Who publishes: from the socket's checked token and the gateway's name for the connection. */
export interface Publisher {
  readonly userId: string;
  readonly connection: string;
}

export interface PublicationPorts {
  readonly bus: BusClient;
  readonly activity: ActivityReporter;
  readonly now: () => number;
}

export interface Publication<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  /** Publishes the checked payload; answers extra fields for the "published" frame (ids to follow). */
  readonly publish: (input: z.infer<S>, from: Publisher, ports: PublicationPorts) => Promise<Readonly<Record<string, string>>>;
}

const publication = <S extends z.ZodType>(schema: S, publish: Publication<S>['publish']): Publication<S> => ({ schema, publish });

/** What an avatar may be asked to say at once, and the thread it belongs to. */
const text = z.string().min(1).max(16_000);
const conversationId = z.string().max(MAX_ID_CHARS).optional();

const avatarSpeech = publication(
  z.strictObject({
    text,
    // The expressions of aico.ui.v1.AvatarSpeech (the avatar-protocol lib's list is browser code the gateway cannot load).
    expression: z.enum(['', 'neutral', 'happy', 'sad', 'surprised', 'thinking']).optional(),
    conversationId,
    // Accepted for older front ends and ignored: the speech is always the sender's.
    userId: z.string().max(128).optional(),
  }),
  async (input, from, ports) => {
    await ports.bus.publish(
      GatewayTopics.avatarSpeak,
      { text: input.text, expression: input.expression ?? '', conversationId: input.conversationId ?? '', userId: from.userId },
      { attributes: { user: from.userId } },
    );
    return {};
  },
);

/** Silences the sender's own avatar (a front end's stop button); the user is always the sender. */
const avatarStop = publication(z.strictObject({ conversationId }), async (input, from, ports) => {
  await ports.bus.publish(GatewayTopics.avatarStop, { userId: from.userId, conversationId: input.conversationId ?? '' }, { attributes: { user: from.userId } });
  return {};
});

const ACTIVITY_KINDS = { ACTIVITY_KIND_INPUT: ActivityKind.INPUT, ACTIVITY_KIND_PRESENT: ActivityKind.PRESENT, ACTIVITY_KIND_AWAY: ActivityKind.AWAY } as const;

/** Only the kind: the client, the user and the time are the gateway's (a "client" or "userId" field is refused). */
const activityReport = publication(z.strictObject({ kind: z.enum(Object.keys(ACTIVITY_KINDS) as [keyof typeof ACTIVITY_KINDS]) }), (input, from, ports) => {
  ports.activity.reported(ACTIVITY_KINDS[input.kind], { userId: from.userId, client: from.connection }, ports.now());
  return Promise.resolve({});
});

export const WS_PUBLICATIONS: ReadonlyMap<string, Publication> = new Map<string, Publication>([
  [GatewayTopics.avatarSpeak.topic, avatarSpeech],
  [GatewayTopics.avatarStop.topic, avatarStop],
  [MonitorTopics.activityReported.topic, activityReport],
]);
