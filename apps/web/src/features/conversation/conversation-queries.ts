// The conversation's server state through the query cache: the thread list (newest first, a page at a time), one
// thread's messages (every page, oldest first, handed to the timeline), and whether any model is installed.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { ThreadMessageJson } from '@aico/contracts';
import { ApiError } from '../../api/api-client';
import { queryKeys } from '../../api/query-keys';
import { useServices } from '../../app/app-context';

export const THREADS_PAGE = 20;
const MESSAGES_PAGE = 100;

export function useThreads() {
  const { conversation } = useServices();
  return useInfiniteQuery({
    queryKey: queryKeys.threads,
    queryFn: ({ pageParam }) => conversation.threads(THREADS_PAGE, pageParam || undefined),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
}

/** A thread's stored messages, every page; the timeline takes them when they arrive. */
export function useThreadMessages(threadId: string | undefined) {
  const { conversation, timeline } = useServices();
  const query = useQuery({
    queryKey: queryKeys.messages(threadId ?? ''),
    enabled: threadId !== undefined,
    queryFn: async () => {
      const all: ThreadMessageJson[] = [];
      let afterId: string | undefined;
      do {
        const page = await conversation.messages(threadId!, MESSAGES_PAGE, afterId);
        all.push(...(page.messages ?? []));
        afterId = page.nextId || undefined;
      } while (afterId);
      return all;
    },
  });
  useEffect(() => {
    if (threadId && query.data) timeline.loaded(threadId, query.data);
  }, [threadId, query.data, timeline]);
  return query;
}

/**
 * Whether no model is installed (so nothing can answer): the catalog is empty. Undefined while unknown, or when this
 * account may not read the catalog (then the reply's own error says it).
 */
export function useNoModel(): boolean | undefined {
  const { models } = useServices();
  const query = useQuery({
    queryKey: queryKeys.models,
    queryFn: () => models.list(),
    retry: (failures, error) => !(error instanceof ApiError && error.info.kind === 'forbidden') && failures < 2,
  });
  if (!query.data) return undefined;
  return (query.data.catalog?.models ?? []).length === 0;
}
