// What the browser e2e tests read from the avatar embedded beside the conversation (its iframe, spoken to over the
// avatar's postMessage protocol, `aico.avatar` version 1): recorders installed in the page before a message is sent,
// and the avatar's own `inspect` answer. Run in the page, so nothing is missed between two polls from the test.
/// <reference lib="dom" />
import type { Page } from 'playwright-core';

/** What the page recorded while a reply streamed (see recordStreamingReply). */
export interface StreamingReplyRecord {
  /** The streaming reply's text length at each animation frame where it changed. */
  frames: number[];
  /** The avatar's state when it first started to speak, and the reply's status on screen when it answered. */
  inspected: { speechText: string | undefined; speaking: boolean; replyStatus: string | null } | undefined;
}

/**
 * Installs the recorders, before sending: every animation frame notes the streaming reply's text length; the first
 * speechStart of the avatar triggers an `inspect` of the avatar page, noting the reply's status when it answers.
 */
export async function recordStreamingReply(page: Page): Promise<void> {
  await page.evaluate(() => {
    const record: StreamingReplyRecord = { frames: [], inspected: undefined };
    (window as unknown as { aicoRecord: StreamingReplyRecord }).aicoRecord = record;
    const reply = () => [...document.querySelectorAll('[data-testid="message"][data-role="assistant"]')].at(-1);
    const sample = () => {
      const current = reply();
      if (current?.getAttribute('data-status') === 'streaming') {
        const length = current.querySelector('[data-testid="message-text"]')?.textContent?.length ?? 0;
        if (length > 0 && record.frames.at(-1) !== length) record.frames.push(length);
      }
      requestAnimationFrame(sample);
    };
    requestAnimationFrame(sample);
    const frame = document.querySelector<HTMLIFrameElement>('iframe[title="aico avatar"]')!;
    let asked = false;
    window.addEventListener('message', (event: MessageEvent<{ protocol?: string; type?: string; id?: string; speechText?: string; speaking?: boolean }>) => {
      if (event.source !== frame.contentWindow || event.data?.protocol !== 'aico.avatar') return;
      if (event.data.type === 'speechStart' && !asked) {
        asked = true;
        frame.contentWindow!.postMessage({ protocol: 'aico.avatar', version: 1, type: 'inspect', id: 'e2e-first-speech' }, location.origin);
      }
      if (event.data.type === 'state' && event.data.id === 'e2e-first-speech') {
        record.inspected = {
          speechText: event.data.speechText,
          speaking: event.data.speaking === true,
          replyStatus: reply()?.getAttribute('data-status') ?? null,
        };
      }
    });
  });
}

/** The record, once at least two frames of the streaming reply and the avatar's first-speech answer are in. */
export async function streamingReplyRecorded(page: Page): Promise<StreamingReplyRecord> {
  await page.waitForFunction(() => (window as unknown as { aicoRecord: StreamingReplyRecord }).aicoRecord.frames.length >= 2);
  await page.waitForFunction(() => (window as unknown as { aicoRecord: StreamingReplyRecord }).aicoRecord.inspected !== undefined);
  return page.evaluate(() => (window as unknown as { aicoRecord: StreamingReplyRecord }).aicoRecord);
}

/** Waits until the avatar's own state says it is silent (asked again until it answers so, under the page's deadline). */
export async function waitForSilentAvatar(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      new Promise<boolean>((resolve) => {
        const frame = document.querySelector<HTMLIFrameElement>('iframe[title="aico avatar"]')!;
        const id = `e2e-after-stop-${Math.random().toString(36).slice(2)}`;
        const listener = (event: MessageEvent<{ type?: string; id?: string; speaking?: boolean }>) => {
          if (event.source !== frame.contentWindow || event.data?.id !== id) return;
          window.removeEventListener('message', listener);
          resolve(event.data.speaking === false);
        };
        window.addEventListener('message', listener);
        frame.contentWindow!.postMessage({ protocol: 'aico.avatar', version: 1, type: 'inspect', id }, location.origin);
      }),
  );
}
