// Server state through the query cache: one hook per gateway resource the screens show (keyed by ./query-keys), and
// the mutations that change them (each refreshes what it affects). Types come from the generated API description.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useServices } from '../app/app-context';
import type { operations } from './gateway-api.generated';
import { queryKeys } from './query-keys';

type ConsentList = operations['ConsentController.list']['responses']['200']['content']['application/json'];

/** Readiness of every app. A 503 still carries the per-app report, so it is data here, not an error. */
export function useReadiness() {
  const { api } = useServices();
  return useQuery({
    queryKey: queryKeys.ready,
    queryFn: async () => {
      const { data, error, response } = await api.client.GET('/api/v1/health/ready');
      if (response.status === 503) return error as unknown as NonNullable<typeof data>;
      return api.call(Promise.resolve({ data, error, response }));
    },
    refetchInterval: 5_000,
  });
}

export function useConsent() {
  const { api } = useServices();
  return useQuery({ queryKey: queryKeys.consentList, queryFn: () => api.call(api.client.GET('/api/v1/consent')) });
}

export function useConsentHistory() {
  const { api } = useServices();
  return useQuery({ queryKey: queryKeys.consentHistory, queryFn: () => api.call(api.client.GET('/api/v1/consent/history')) });
}

export function useSetConsent() {
  const { api } = useServices();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ purpose, granted }: { purpose: string; granted: boolean }) =>
      api.call(api.client.PUT('/api/v1/consent/{purpose}', { params: { path: { purpose } }, body: { granted } })),
    // The switch moves at once; if the gateway refuses, it moves back and the error is shown.
    mutationKey: queryKeys.consent,
    onMutate: ({ purpose, granted }) => {
      void queryClient.cancelQueries({ queryKey: queryKeys.consentList });
      const before = queryClient.getQueryData<ConsentList>(queryKeys.consentList);
      if (before)
        queryClient.setQueryData<ConsentList>(queryKeys.consentList, {
          ...before,
          purposes: before.purposes.map((state) => (state.purpose === purpose ? { ...state, granted } : state)),
        });
      return { before };
    },
    onError: (_error, _change, context) => {
      if (context?.before) queryClient.setQueryData(queryKeys.consentList, context.before);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.consent }),
  });
}

export function useSessions() {
  const { api } = useServices();
  return useQuery({ queryKey: queryKeys.sessions, queryFn: () => api.call(api.client.GET('/api/v1/auth/sessions')) });
}

export function useEndSession() {
  const { api } = useServices();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.call(api.client.DELETE('/api/v1/auth/sessions/{id}', { params: { path: { id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.sessions }),
  });
}

export function useLogoutEverywhere() {
  const { api, store } = useServices();
  return useMutation({
    mutationFn: () => api.call(api.client.POST('/api/v1/auth/logout-all')),
    onSuccess: () => store.signedOut(),
  });
}

export function useLogout() {
  const { api, store } = useServices();
  return useMutation({
    mutationFn: () => api.call(api.client.POST('/api/v1/auth/logout')),
    // Logged out locally whatever the gateway said: the user asked to leave.
    onSettled: () => store.signedOut(),
  });
}

export function useLogs(contains: string) {
  const { api } = useServices();
  return useQuery({
    queryKey: queryKeys.logs(contains),
    queryFn: () => api.call(api.client.GET('/api/v1/logs', { params: { query: { limit: 100, ...(contains ? { contains } : {}) } } })),
  });
}
