// The app: providers (services, query cache) and the routes. Every page but login needs a session; admin pages
// need the admin role.
import { QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { LoginPage } from '../features/auth/login-page';
import { AvatarPanel } from '../features/avatar/avatar-panel';
import { ConversationPage } from '../features/conversation/conversation-page';
import { MemoryPage } from '../features/memory/memory-page';
import { ModelsPage } from '../features/models/models-page';
import { PrivacyPage } from '../features/privacy/privacy-page';
import { SettingsPage } from '../features/settings/settings-page';
import { LogsPage } from '../features/status/logs-page';
import { StatusPage } from '../features/status/status-page';
import { AppServicesContext } from './app-context';
import type { AppServices } from './app-services';
import { NotFoundPage, RequireAdmin, RequireSession } from './route-guards';
import { Shell } from './shell';

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    element: (
      <RequireSession>
        <Shell />
      </RequireSession>
    ),
    children: [
      { index: true, element: <ConversationPage /> },
      { path: 'status', element: <StatusPage /> },
      {
        path: 'status/logs',
        element: (
          <RequireAdmin>
            <LogsPage />
          </RequireAdmin>
        ),
      },
      { path: 'privacy', element: <PrivacyPage /> },
      { path: 'memory', element: <MemoryPage /> },
      {
        path: 'models',
        element: (
          <RequireAdmin>
            <ModelsPage />
          </RequireAdmin>
        ),
      },
      { path: 'settings', element: <SettingsPage /> },
      { path: 'avatar', element: <AvatarPanel /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

export function App({ services }: { services: AppServices }) {
  return (
    <AppServicesContext.Provider value={services}>
      <QueryClientProvider client={services.queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </AppServicesContext.Provider>
  );
}
