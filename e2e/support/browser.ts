// Debian's Chromium driven by playwright-core for the browser e2e tests (docs/architecture.md §8): launching it, a
// context for the gateway's self-signed HTTPS, logging in, and judging a screenshot without an image library.
/// <reference lib="dom" />
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { WORKSPACE_ROOT } from './service-process';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots and figures of a run; tmp/ is git-ignored. */
export const WEB_ARTIFACTS = join(WORKSPACE_ROOT, 'tmp', 'e2e-artifacts', 'web');

/**
 * Chromium headless, as root, on a machine without a network. playwright-core adds `--headless`, `--no-sandbox`
 * (chromiumSandbox defaults to false) and a fresh temporary `--user-data-dir` by itself (checked on the process
 * command line); the flags here are the rest of what docs/architecture.md §8 asks for. Without the background-networking flags
 * Chromium floods the closed network with refused connections.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

/** A fresh profile (no cookies, storage or cache) that accepts the gateway's self-signed certificate. */
export function newAppContext(browser: Browser, baseURL: string, colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  return browser.newContext({ baseURL, ignoreHTTPSErrors: true, colorScheme, viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
}

/** Fills in the login form already on screen and submits it. */
export async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The effective theme the app put on `<html data-theme>`. */
export function effectiveTheme(page: Page): Promise<string | null> {
  return page.locator('html').getAttribute('data-theme');
}

/** Waits until `<html data-theme>` is `theme` (the app applies it after a render, not synchronously). */
export async function waitForTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  await page.waitForFunction((expected) => document.documentElement.dataset['theme'] === expected, theme);
}

export async function saveScreenshot(page: Page, name: string): Promise<{ file: string; png: Buffer }> {
  const file = join(WEB_ARTIFACTS, `${name}.png`);
  await mkdir(dirname(file), { recursive: true });
  const png = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
  await writeFile(file, png);
  return { file, png };
}

export interface ImageStats {
  readonly width: number;
  readonly height: number;
  readonly distinctColours: number;
  /** Relative luminance (Rec. 709 weights on sRGB values, 0..255), mean and variance over every pixel. */
  readonly meanLuminance: number;
  readonly luminanceVariance: number;
}

/**
 * Decodes a PNG in the browser (an `<img>` from a data URL drawn on a canvas) and summarises its pixels, so no
 * image library is needed. `scratch` must be a page without a content security policy (e.g. about:blank).
 */
export async function imageStats(scratch: Page, png: Buffer): Promise<ImageStats> {
  await installDecoder(scratch);
  return scratch.evaluate(
    async (dataUrl) => {
      const { width, height, data } = await (window as unknown as DecoderWindow).__aicoDecodePng(dataUrl);
      const colours = new Set<number>();
      let sum = 0;
      let sumOfSquares = 0;
      const pixels = data.length / 4;
      for (let i = 0; i < data.length; i += 4) {
        const r = data[i]!;
        const g = data[i + 1]!;
        const b = data[i + 2]!;
        colours.add((r << 16) | (g << 8) | b);
        const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        sum += luminance;
        sumOfSquares += luminance * luminance;
      }
      const mean = sum / pixels;
      return { width, height, distinctColours: colours.size, meanLuminance: mean, luminanceVariance: sumOfSquares / pixels - mean * mean };
    },
    `data:image/png;base64,${png.toString('base64')}`,
  );
}

/** The share of pixels (0..1) that differ by more than `tolerance` in any channel between two PNGs of one size. */
export async function imageDifference(scratch: Page, a: Buffer, b: Buffer, tolerance = 8): Promise<number> {
  await installDecoder(scratch);
  return scratch.evaluate(
    async ([first, second, limit]) => {
      const decode = (window as unknown as DecoderWindow).__aicoDecodePng;
      const [{ data: x }, { data: y }] = await Promise.all([decode(first), decode(second)]);
      if (x.length !== y.length) return 1;
      let differing = 0;
      for (let i = 0; i < x.length; i += 4) {
        if (Math.abs(x[i]! - y[i]!) > limit || Math.abs(x[i + 1]! - y[i + 1]!) > limit || Math.abs(x[i + 2]! - y[i + 2]!) > limit) differing++;
      }
      return differing / (x.length / 4);
    },
    [`data:image/png;base64,${a.toString('base64')}`, `data:image/png;base64,${b.toString('base64')}`, tolerance] as const,
  );
}

interface DecoderWindow {
  __aicoDecodePng(dataUrl: string): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}

/** Puts one PNG decoder into the scratch page (an `<img>` from a data URL drawn on a canvas), used by both above. */
async function installDecoder(scratch: Page): Promise<void> {
  await scratch.evaluate(() => {
    const target = window as unknown as DecoderWindow;
    target.__aicoDecodePng ??= async (dataUrl: string) => {
      const image = new Image();
      image.src = dataUrl;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context = canvas.getContext('2d', { willReadFrequently: true })!;
      context.drawImage(image, 0, 0);
      return { width: canvas.width, height: canvas.height, data: context.getImageData(0, 0, canvas.width, canvas.height).data };
    };
  });
}
