// The first-load figures of the web client (e2e/web/web-client.e2e-spec.ts): every resource and paint recorded from the
// very start of a page, the navigation's timings and the JS and CSS it fetched, and the gzip size of every built file.
// Figures for the report: the test asserts only that they exist.
/// <reference lib="dom" />
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';

interface FirstLoadRecord {
  resources: PerformanceResourceTiming[];
  paints: PerformanceEntry[];
}

/** Records every resource and paint from the very start of each page of `context`, whatever the app does later. */
export async function recordFirstLoad(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const recorded: FirstLoadRecord = { resources: [], paints: [] };
    (window as unknown as { aicoFirstLoad: FirstLoadRecord }).aicoFirstLoad = recorded;
    new PerformanceObserver((list) => recorded.resources.push(...(list.getEntries() as PerformanceResourceTiming[]))).observe({
      type: 'resource',
      buffered: true,
    });
    new PerformanceObserver((list) => recorded.paints.push(...list.getEntries())).observe({ type: 'paint', buffered: true });
  });
}

/** The navigation's timings, the first contentful paint, and the JS, CSS and every resource the page fetched so far. */
export function firstLoadTiming(page: Page) {
  return page.evaluate(() => {
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const { resources, paints } = (window as unknown as { aicoFirstLoad: FirstLoadRecord }).aicoFirstLoad;
    const sizes = (entries: readonly PerformanceResourceTiming[]) => ({
      files: entries.length,
      transferBytes: entries.reduce((sum, entry) => sum + entry.transferSize, 0),
      encodedBytes: entries.reduce((sum, entry) => sum + entry.encodedBodySize, 0),
      decodedBytes: entries.reduce((sum, entry) => sum + entry.decodedBodySize, 0),
    });
    const path = (entry: PerformanceResourceTiming) => new URL(entry.name).pathname;
    return {
      navigation: {
        responseEndMs: navigation.responseEnd,
        domContentLoadedMs: navigation.domContentLoadedEventEnd,
        loadEventEndMs: navigation.loadEventEnd,
        document: { transferBytes: navigation.transferSize, encodedBytes: navigation.encodedBodySize, decodedBytes: navigation.decodedBodySize },
      },
      firstContentfulPaintMs: paints.find((entry) => entry.name === 'first-contentful-paint')?.startTime ?? null,
      js: sizes(resources.filter((entry) => path(entry).endsWith('.js'))),
      css: sizes(resources.filter((entry) => path(entry).endsWith('.css'))),
      resources: resources.map((entry) => ({
        path: path(entry),
        initiator: entry.initiatorType,
        transferBytes: entry.transferSize,
        encodedBytes: entry.encodedBodySize,
        durationMs: entry.duration,
      })),
    };
  });
}

interface SizedFile {
  readonly path: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** Every file of the built client with its gzip -9 size (what a compressing server would send), and JS/CSS totals. */
export async function gzipSizes(root: string) {
  const files: SizedFile[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const content = await readFile(path);
    files.push({ path: relative(root, path), bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length });
  }
  // Source maps are built but only a debugger fetches them.
  const total = (suffix: string) => {
    const matching = files.filter((file) => file.path.endsWith(suffix));
    return {
      files: matching.length,
      bytes: matching.reduce((sum, file) => sum + file.bytes, 0),
      gzipBytes: matching.reduce((sum, file) => sum + file.gzipBytes, 0),
    };
  };
  return { shipped: { js: total('.js'), css: total('.css'), html: total('.html') }, files: files.sort((a, b) => a.path.localeCompare(b.path)) };
}
