// The web client as the browser e2e tests drive it once signed in: moving between its screens through the main menu,
// and calling the gateway with the tab's own session (what the page itself would send).
/// <reference lib="dom" />
import type { Page } from 'playwright-core';

/** Client-side navigation through the main menu (no reload: the WebSocket and the session stay). */
export async function openScreen(page: Page, link: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

/** A gateway call with the tab's own session (its token from localStorage): the status and the body as text. */
export function gatewayFetch(page: Page, method: string, path: string): Promise<{ status: number; body: string }> {
  return page.evaluate(
    async ([verb, url]) => {
      const session = JSON.parse(localStorage.getItem('aico.session') ?? '{}') as { accessToken?: string };
      const response = await fetch(url, { method: verb, headers: { Authorization: `Bearer ${session.accessToken ?? ''}` } });
      return { status: response.status, body: await response.text() };
    },
    [method, path] as const,
  );
}
