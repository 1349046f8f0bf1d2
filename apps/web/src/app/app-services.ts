// Everything the screens share, made once at start: the app store, the typed API client, the query cache, the
// WebSocket connection and the live events it feeds. The connection follows the session (opened at login, closed at
// logout), the access token is refreshed before it expires, and pushes that change server state refresh the cached
// queries they affect.
import { QueryClient } from '@tanstack/react-query';
import { AppStore, SESSION_KEY, type Session } from '../core/app-store';
import { WsConnection, type ConnectionState, type SocketLike } from '../core/ws-connection';
import { Api, ApiError, secondsUntilExpiry } from '../api/api-client';
import { queryKeys } from '../api/query-keys';
import { LiveEvents } from '../live/live-events';
import { ResourceHistory } from '../features/status/resource-history';
import type { ConversationMessageJson, MemoryChangedJson, ReplyCompletedJson, ReplyDeltaJson, ThreadChangedJson } from '@aico/contracts';
import { ConversationApi } from '../api/conversation-api';
import { MemoryApi } from '../api/memory-api';
import { ModelsApi } from '../api/models-api';
import { PersonaApi } from '../api/persona-api';
import { SetupApi } from '../api/setup-api';
import { ConversationTimeline } from '../features/conversation/conversation-timeline';
import { describeWaiting } from '../features/conversation/reply-reorder-buffer';

export interface AppServices {
  readonly store: AppStore;
  readonly api: Api;
  readonly queryClient: QueryClient;
  readonly live: LiveEvents;
  readonly resources: ResourceHistory;
  readonly conversation: ConversationApi;
  readonly models: ModelsApi;
  readonly memory: MemoryApi;
  readonly persona: PersonaApi;
  readonly setup: SetupApi;
  /** What the conversation screen shows; fed by the conversation's events for as long as the session lasts. */
  readonly timeline: ConversationTimeline;
  /** Publishes an event over the WebSocket (the role decides what may be sent); false while not connected. */
  readonly publish: (topic: string, payload: unknown) => boolean;
}

/** Refresh the access token this long before it expires, so requests and reconnects never carry a stale one. */
const REFRESH_AHEAD_SECONDS = 60;

export function createAppServices(): AppServices {
  const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
  const store = new AppStore(window.localStorage, darkQuery.matches);
  darkQuery.addEventListener('change', (event) => store.osThemeChanged(event.matches));

  const currentPage = () => `${location.pathname}${location.search}`;
  const api = new Api(store, {
    currentPage,
    exclusive: (task) => (navigator.locks ? navigator.locks.request('aico.session.refresh', task) : task()),
    storedSession: () => store.storedSession(),
  });
  const queryClient = createQueryClient();
  const { connection, live } = connectLive(store, queryClient, currentPage);
  // The conversation's events feed one timeline for the whole session, so a reply keeps streaming while the user
  // looks at another screen.
  const timeline = new ConversationTimeline((progress) => describeWaiting(progress.waiting));
  const resources = new ResourceHistory(5 * 60_000);
  routeLiveEvents(live, { store, queryClient, timeline, resources });
  followSession(store, { api, connection, queryClient, timeline });
  followOtherTabs(store);

  return {
    store,
    api,
    queryClient,
    live,
    resources,
    conversation: new ConversationApi(api),
    models: new ModelsApi(api),
    memory: new MemoryApi(api),
    persona: new PersonaApi(api),
    setup: new SetupApi(api),
    timeline,
    publish: (topic, payload) => connection.publish(topic, payload),
  };
}

function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The gateway is on this machine: the browser's online flag says nothing about it.
        networkMode: 'always',
        retry: (failures, error) => error instanceof ApiError && error.info.retryable && failures < 3,
        retryDelay: (attempt) => Math.min(500 * 2 ** attempt, 5_000),
        staleTime: 5_000,
      },
      mutations: { networkMode: 'always' },
    },
  });
}

/** The WebSocket to the gateway and the live events that come over it; the connection's state goes to the store. */
function connectLive(store: AppStore, queryClient: QueryClient, currentPage: () => string): { connection: WsConnection; live: LiveEvents } {
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  let previous: ConnectionState = 'closed';
  const connection = new WsConnection({
    url: wsUrl,
    token: () => store.current.session?.accessToken,
    createSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike,
    // `live` exists before the connection starts (events arrive only after start()).
    onEvent: (event) => live.dispatch(event),
    onState: (state, detail) => {
      // Back after a loss: what changed meanwhile is fetched again.
      if (state === 'open' && previous === 'reconnecting') void queryClient.invalidateQueries();
      previous = state;
      store.connectionChanged(state, detail);
    },
    onSessionEnded: () => store.signedOut(currentPage()),
  });
  const live = new LiveEvents(connection);
  return { connection, live };
}

/** Each live event to what shows it: the timeline, the resource history, or a refresh of the queries it changes. */
function routeLiveEvents(
  live: LiveEvents,
  { store, queryClient, timeline, resources }: { store: AppStore; queryClient: QueryClient; timeline: ConversationTimeline; resources: ResourceHistory },
): void {
  // A consent change made elsewhere refreshes the privacy page; while this page's own change is on its way, the
  // refresh waits for it (an earlier answer would move the switch back).
  live.on('privacy.consent.', () => {
    if (queryClient.isMutating({ mutationKey: queryKeys.consent }) === 0) void queryClient.invalidateQueries({ queryKey: queryKeys.consent });
  });
  // Thread and memory changes refresh what shows them.
  live.on('conversation.message.received', (event) => timeline.received(event.payload as ConversationMessageJson));
  live.on('conversation.reply.delta', (event) => timeline.delta(event.payload as ReplyDeltaJson));
  live.on('conversation.reply.completed', (event) => {
    timeline.completed(event.payload as ReplyCompletedJson);
    void queryClient.invalidateQueries({ queryKey: queryKeys.threads });
  });
  live.on('conversation.thread.changed', (event) => {
    const change = event.payload as ThreadChangedJson | null;
    if (change?.deleted && change.thread?.id) timeline.forget(change.thread.id);
    void queryClient.invalidateQueries({ queryKey: queryKeys.threads });
  });
  live.on('conversation.memory.changed', (event) => {
    const change = event.payload as MemoryChangedJson | null;
    if (change?.reason === 'consent_withdrawn') store.memoryWithdrawn(change.deletedFacts ?? 0);
    void queryClient.invalidateQueries({ queryKey: queryKeys.memory });
  });
  live.on('system.resources.sample', (event) => resources.add(event.payload));
}

/**
 * The session decides the rest: signed in, the socket is open and the access token is refreshed ahead of its
 * expiry; signed out (or another user signed in), the socket closes and nothing of the account stays cached.
 */
function followSession(
  store: AppStore,
  { api, connection, queryClient, timeline }: { api: Api; connection: WsConnection; queryClient: QueryClient; timeline: ConversationTimeline },
): void {
  let refreshTimer: number | undefined;
  let connected = false;
  const follow = (session: Session | undefined) => {
    window.clearTimeout(refreshTimer);
    if (session) {
      const seconds = secondsUntilExpiry(session.accessToken);
      if (seconds !== undefined)
        refreshTimer = window.setTimeout(() => void api.refresh().catch(() => undefined), Math.max(seconds - REFRESH_AHEAD_SECONDS, 5) * 1000);
      // A refreshed token goes to the open socket too, which the gateway would otherwise close when the old one expires.
      if (connected) connection.reauthenticate();
      else connection.start();
      connected = true;
    } else {
      if (connected) connection.stop();
      connected = false;
      queryClient.clear();
      // Nothing of one account's conversation stays on screen for the next one to sign in here.
      timeline.reset();
    }
  };
  let lastSession = store.current.session;
  follow(lastSession);
  store.subscribe((state) => {
    if (state.session === lastSession) return;
    // Another user signed in (in another tab): the first one's conversation leaves the screen and their socket
    // closes (the gateway would refuse to hand it to someone else), as after a sign-out.
    if (lastSession && state.session && lastSession.user.id !== state.session.user.id) follow(undefined);
    lastSession = state.session;
    follow(state.session);
  });
}

/** Another tab logged in, refreshed or logged out: follow it. */
function followOtherTabs(store: AppStore): void {
  window.addEventListener('storage', (event) => {
    if (event.key !== SESSION_KEY) return;
    const stored = store.storedSession();
    if (stored) store.signedIn(stored);
    else store.signedOut();
  });
}
