// The embeddable avatar page in a real browser (Debian's Chromium, WebGL through SwiftShader), served by the real
// gateway: it loads the default avatar and says `ready`, speaks with moving mouth morphs (read back through the
// bridge), refuses bad messages and a model without the morph targets it needs, survives 50 load/dispose cycles
// without growing, and is driven by the web client's avatar panel over the WebSocket. Figures go to
// tmp/e2e-artifacts/avatar/figures.json.
/// <reference lib="dom" />
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { imageDifference, imageStats, launchChromium, newAppContext, submitLogin } from '../support/browser';
import { WORKSPACE_ROOT } from '../support/service-process';
import { RunningSystem } from '../support/system';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const USER = { username: 'ada', password: 'Avatar-page-2026!', role: 'admin' } as const;
const ARTIFACTS = join(WORKSPACE_ROOT, 'tmp', 'e2e-artifacts', 'avatar');
const PROTOCOL = { protocol: 'aico.avatar', version: 1 } as const;
/** WebGL through SwiftShader, which Chromium enables only when asked (it is a software renderer). */
const WEBGL_FLAGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/**
 * Speech audio of a steady voice lasting `seconds`: the page stretches the text's timeline over it. Speech runs on
 * the wall clock, so a test that must see it mid-way (or stop it before it ends) makes it long enough that a slow
 * machine still gets there, instead of hoping a short sentence lasts long enough.
 */
const steadyVoice = (seconds: number) => ({ sampleRateHz: 8, envelope: Array<number>(8 * seconds).fill(1) });

interface AvatarMessage {
  readonly type: string;
  readonly id?: string;
  readonly code?: string;
  readonly message?: string;
  readonly [key: string]: unknown;
}

// Signals under deadlines; the 50 load/dispose cycles in software WebGL are the longest test (a minute when idle).
jest.setTimeout(600_000);

describe('the avatar page', () => {
  let system: RunningSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let scratch: Page;
  const figures: Record<string, unknown> = {};
  let sequence = 0;

  /** Collects every avatar event the page receives, from before the page's own scripts run. */
  const collectEvents = (target: Page) =>
    target.addInitScript(() => {
      const events: unknown[] = [];
      (window as unknown as { __avatarEvents: unknown[] }).__avatarEvents = events;
      window.addEventListener('message', (event) => {
        const data = event.data as { protocol?: string; type?: string } | null;
        if (data?.protocol === 'aico.avatar' && ['ready', 'speechStart', 'speechEnd', 'ack', 'error', 'state'].includes(data.type ?? '')) events.push(data);
      });
    });

  const events = (): Promise<AvatarMessage[]> => page.evaluate(() => (window as unknown as { __avatarEvents: AvatarMessage[] }).__avatarEvents);

  /**
   * Posts a command as a host in the same window would (a WebView injects it this way), and waits for the first
   * later event with the given id (and one of the given types; by default any).
   */
  const command = async (body: Record<string, unknown>, until: { id?: string; types?: readonly string[] } = {}): Promise<AvatarMessage> => {
    const seen = (await events()).length;
    await page.evaluate((message) => window.postMessage(message, location.origin), { ...PROTOCOL, ...body });
    return waitForEvent({ id: until.id ?? (body['id'] as string), types: until.types ?? [] }, seen);
  };
  /** The first event at or after index `from` with this id and one of these types (any type when none given). */
  const waitForEvent = async (match: { id: string; types: readonly string[] }, from = 0): Promise<AvatarMessage> => {
    const handle = await page.waitForFunction(
      ([start, wanted]) =>
        (window as unknown as { __avatarEvents: AvatarMessage[] }).__avatarEvents
          .slice(start)
          .find((event) => event.id === wanted.id && (wanted.types.length === 0 || wanted.types.includes(event.type))),
      [from, match] as const,
      { timeout: SIGNAL_TIMEOUT_MS },
    );
    return (await handle.jsonValue()) as AvatarMessage;
  };
  const nextId = () => `t${++sequence}`;
  const inspect = async () => {
    const id = nextId();
    return (await command({ type: 'inspect', id })) as AvatarMessage & {
      morphs: Record<string, number>;
      renderer: { geometries: number; textures: number; programs: number };
      speaking: boolean;
    };
  };

  beforeAll(async () => {
    system = await RunningSystem.start({ password: USER.password, users: [USER] });
    browser = await launchChromium(WEBGL_FLAGS);
    context = await newAppContext(browser, system.baseUrl);
    context.setDefaultTimeout(SIGNAL_TIMEOUT_MS);
    page = await context.newPage();
    await collectEvents(page);
    await page.setViewportSize({ width: 640, height: 640 });
    scratch = await (await browser.newContext()).newPage();
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await writeFile(join(ARTIFACTS, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`).catch(() => undefined);
    console.log(`avatar figures: ${JSON.stringify(figures)}`);
    await browser?.close();
    await system?.stop();
  });

  it('loads the default avatar by itself and says ready, with every morph target it drives', async () => {
    await page.goto('/embed/avatar/');
    const ready = await page.waitForFunction(
      () => (window as unknown as { __avatarEvents: AvatarMessage[] }).__avatarEvents.find((event) => event.type === 'ready' || event.type === 'error'),
      undefined,
      { timeout: SIGNAL_TIMEOUT_MS },
    );
    const event = (await ready.jsonValue()) as AvatarMessage & { model: { name: string; morphTargets: number } };
    expect(event).toMatchObject({ type: 'ready', model: { name: 'default.glb' } });
    expect(event.model.morphTargets).toBeGreaterThanOrEqual(35);
    const webgl = await page.evaluate(() => {
      const gl = document.querySelector('canvas')?.getContext('webgl2');
      return gl ? String(gl.getParameter(gl.VERSION)) : 'none';
    });
    expect(webgl).toContain('WebGL 2.0');
    const glb = await page.request.get('/embed/avatar/models/default.glb');
    expect(glb.status()).toBe(200);
    figures['glbBytes'] = (await glb.body()).length;
  });

  it('speaks "Hello there": speechStart, mouth morphs moving mid-speech, speechEnd; rest and mid-speech frames differ', async () => {
    await command({ type: 'setExpression', id: nextId(), expression: 'neutral', intensity: 1, transitionMs: 0 });
    // Two frames rendered after the change: the mouth at rest is on screen.
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
    const atRest = await inspect();
    const visemesAtRest = Object.entries(atRest.morphs).filter(([name, value]) => name.startsWith('viseme_') && name !== 'viseme_sil' && value > 0.05);
    expect(visemesAtRest).toEqual([]);
    const rest = await page.screenshot();

    const id = nextId();
    const start = await command({ type: 'speak', id, text: 'Hello there, how are you today?', audio: steadyVoice(6) }, { types: ['speechStart', 'error'] });
    expect(start['durationMs']).toEqual(expect.any(Number));
    // Read the mouth back through the bridge while it speaks; keep the frame where it is most open, until it is
    // clearly open.
    let maxViseme = 0;
    let mid: Buffer | undefined;
    while (maxViseme <= 0.6) {
      const state = await inspect();
      if (!state.speaking) break;
      const open = Math.max(
        ...Object.entries(state.morphs)
          .filter(([name]) => name.startsWith('viseme_') && name !== 'viseme_sil')
          .map(([, value]) => value),
        0,
      );
      if (open > maxViseme + 0.05) {
        maxViseme = open;
        mid = await page.screenshot();
      }
    }
    expect(maxViseme).toBeGreaterThan(0.3);
    const end = await waitForEvent({ id, types: ['speechEnd'] });
    expect(end).toMatchObject({ type: 'speechEnd', id, interrupted: false });

    // The frame time a viewer gets while the avatar speaks (a second sentence, stopped once the frames are counted).
    const timed = nextId();
    await command(
      { type: 'speak', id: timed, text: 'I can keep talking for a little while, so that the frames can be counted properly.', audio: steadyVoice(600) },
      { types: ['speechStart'] },
    );
    const frameTimes = await page.evaluate(
      () =>
        new Promise<number[]>((resolve) => {
          const times: number[] = [];
          let last = performance.now();
          const step = (now: number) => {
            times.push(now - last);
            last = now;
            if (times.length < 90) requestAnimationFrame(step);
            else resolve(times.slice(1));
          };
          requestAnimationFrame(step);
        }),
    );
    await command({ type: 'stop', id: nextId() });
    await waitForEvent({ id: timed, types: ['speechEnd'] });

    const restStats = await imageStats(scratch, rest);
    const midStats = await imageStats(scratch, mid!);
    expect(restStats.distinctColours).toBeGreaterThan(200);
    expect(midStats.distinctColours).toBeGreaterThan(200);
    expect(await imageDifference(scratch, rest, mid!)).toBeGreaterThan(0.001);
    await writeFile(join(ARTIFACTS, 'avatar-rest.png'), rest);
    await writeFile(join(ARTIFACTS, 'avatar-speaking.png'), mid!);
    const sorted = [...frameTimes].sort((a, b) => a - b);
    figures['frameIntervalWhileSpeakingMs'] = {
      p50: sorted[Math.floor(sorted.length / 2)],
      p95: sorted[Math.floor(sorted.length * 0.95)],
      frames: sorted.length,
      renderer: 'SwiftShader (software)',
    };
  });

  it('stops speech on "stop" (speechEnd interrupted) and pauses and resumes the render loop', async () => {
    const id = nextId();
    // Ten minutes of speech: the stop comes before its end however slow the machine.
    await command(
      { type: 'speak', id, text: 'This sentence is long enough to be interrupted before it ends, surely.', audio: steadyVoice(600) },
      { types: ['speechStart'] },
    );
    await command({ type: 'stop', id: nextId() });
    expect(await waitForEvent({ id, types: ['speechEnd'] })).toMatchObject({ interrupted: true });
    await command({ type: 'pause', id: nextId() });
    expect((await inspect())['paused']).toBe(true);
    await command({ type: 'resume', id: nextId() });
    expect((await inspect())['paused']).toBe(false);
  });

  it('refuses malformed commands, another version, a remote model and a model without the morph targets, naming what is wrong', async () => {
    expect(await command({ type: 'dance', id: 'bad-1' })).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    expect(await command({ type: 'speak', id: 'bad-2', text: 'x', version: 2 })).toMatchObject({ type: 'error', code: 'UNSUPPORTED_VERSION' });
    expect(await command({ type: 'speak', id: 'bad-3', text: 'x', volume: 11 })).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    expect(await command({ type: 'load', id: 'bad-4', url: 'https://example.com/avatar.glb' })).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    const url = await page.evaluate(
      (base64) => URL.createObjectURL(new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type: 'model/gltf-binary' })),
      triangleGlb().toString('base64'),
    );
    const refused = await command({ type: 'load', id: 'bad-5', url });
    expect(refused).toMatchObject({ type: 'error', code: 'MODEL_MISSING_MORPHS' });
    expect(refused.message).toContain('viseme_aa');
    expect(refused.message).toContain('eyeBlinkLeft');
    // The avatar that was there is still there.
    expect(await inspect()).toMatchObject({ type: 'state' });
  });

  it('keeps the JS heap and the renderer counts flat over 50 load/dispose cycles', async () => {
    const cdp: CDPSession = await context.newCDPSession(page);
    const heapAfterGc = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    };
    const counts: { cycle: number; geometries: number; textures: number; heapBytes: number }[] = [];
    for (let cycle = 1; cycle <= 50; cycle++) {
      const id = nextId();
      expect(await command({ type: 'load', id }, { types: ['ready', 'error'] })).toMatchObject({ type: 'ready' });
      if (cycle === 1 || cycle % 10 === 0) {
        const state = await inspect();
        counts.push({ cycle, geometries: state.renderer.geometries, textures: state.renderer.textures, heapBytes: await heapAfterGc() });
      }
      expect(await command({ type: 'dispose', id: nextId() })).toMatchObject({ type: 'ack' });
    }
    const first = counts[0]!;
    const last = counts.at(-1)!;
    expect(last.geometries).toBe(first.geometries);
    expect(last.textures).toBe(first.textures);
    const tenth = counts.find((entry) => entry.cycle === 10)!;
    // Flat: after the first cycles (caches, compiled code), 40 more cycles add less than 8 MiB.
    expect(last.heapBytes - tenth.heapBytes).toBeLessThan(8 * 1024 * 1024);
    figures['loadDisposeCycles'] = counts;
    figures['heapAfter50CyclesBytes'] = last.heapBytes;
  });

  it("is driven by the web client's avatar panel: speech published over the WebSocket comes back and is spoken", async () => {
    const web = await context.newPage();
    await web.goto('/avatar');
    await submitLogin(web, USER.username, USER.password);
    const panel = web.getByTestId('avatar-status');
    await panel.and(web.locator('[data-state="ready"]')).waitFor();
    // Two spoken words can begin and end between two polls of a locator: the page records every state the panel
    // goes through, and the test waits for that record (a signal), not for a poll to be lucky.
    await web.evaluate(() => {
      const states: string[] = [];
      (window as unknown as { aicoPanelStates: string[] }).aicoPanelStates = states;
      const check = () => {
        const state = document.querySelector('[data-testid="avatar-status"]')?.getAttribute('data-state');
        if (state && states.at(-1) !== state) states.push(state);
      };
      check();
      new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    await web.getByRole('textbox', { name: 'Say something' }).fill('Hello there');
    await web.getByRole('button', { name: 'Speak' }).click();
    await web.waitForFunction(() => {
      const states = (window as unknown as { aicoPanelStates: string[] }).aicoPanelStates;
      const speaking = states.indexOf('speaking');
      return speaking >= 0 && states.indexOf('ready', speaking) > speaking;
    });
    await writeFile(join(ARTIFACTS, 'web-avatar-panel.png'), await web.screenshot());
    // A model of the user's own from disk: one without the morph targets is refused by name, the avatar stays.
    await web
      .getByLabel('Your own avatar (a Ready Player Me-style .glb file)')
      .setInputFiles({ name: 'mine.glb', mimeType: 'model/gltf-binary', buffer: triangleGlb() });
    await web.getByTestId('avatar-notice').filter({ hasText: 'viseme_aa' }).waitFor();
    expect(await panel.getAttribute('data-state')).toBe('ready');
    await web.close();
  });
});

/** A GLB with one triangle and no morph targets: a model the avatar must refuse, naming what it lacks. */
function triangleGlb(): Buffer {
  const positions = Buffer.from(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]).buffer);
  const json = JSON.stringify({
    asset: { version: '2.0' },
    buffers: [{ byteLength: positions.length }],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: positions.length }],
    accessors: [{ bufferView: 0, componentType: 5126, count: 3, type: 'VEC3', min: [0, 0, 0], max: [1, 1, 0] }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    nodes: [{ mesh: 0 }],
    scenes: [{ nodes: [0] }],
    scene: 0,
  });
  const jsonChunk = Buffer.from(json.padEnd(Math.ceil(json.length / 4) * 4, ' '));
  const chunk = (type: number, data: Buffer) => {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(data.length, 0);
    header.writeUInt32LE(type, 4);
    return Buffer.concat([header, data]);
  };
  const body = Buffer.concat([chunk(0x4e4f534a, jsonChunk), chunk(0x004e4942, positions)]);
  const header = Buffer.alloc(12);
  header.writeUInt32LE(0x46546c67, 0);
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(12 + body.length, 8);
  return Buffer.concat([header, body]);
}
