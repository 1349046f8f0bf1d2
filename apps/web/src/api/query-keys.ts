// The query cache's key of each gateway resource, apart from the hooks that read them (api/queries, which need the
// app's services) so that the services themselves can refresh a resource when a live event says it changed.
export const queryKeys = {
  ready: ['health', 'ready'] as const,
  consent: ['consent'] as const,
  consentList: ['consent', 'list'] as const,
  consentHistory: ['consent', 'history'] as const,
  sessions: ['auth', 'sessions'] as const,
  logs: (contains: string) => ['logs', contains] as const,
  threads: ['conversation', 'threads'] as const,
  messages: (threadId: string) => ['conversation', 'messages', threadId] as const,
  models: ['models'] as const,
  memory: ['memory'] as const,
  persona: ['persona'] as const,
  setup: ['auth', 'setup'] as const,
};
