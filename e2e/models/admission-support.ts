// Helpers for the models admission e2e (admission.e2e-spec.ts), beside models-stack.ts: the machine the monitor reads
// as recorded samples (a file the monitor reads at every reading: critical or normal as the test writes it), an
// observer on the bus that keeps the models and monitor events it hears and lets a test wait for one, the monitor
// restarted with other settings, and the models status awaited until it says what a test expects. Every wait is for
// a signal, with the e2e deadline.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BusClient } from '@aico/bus';
import { createTestClient } from '@aico/bus/testing';
import {
  ModelsTopics,
  MonitorTopics,
  type JobDecision,
  type ModelLoaded,
  type ModelsStatusResponse,
  type ModelUnloaded,
  type ResourceStateChanged,
} from '@aico/contracts';
import type { ModelsStack } from './models-stack';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const GIB = 1024 ** 3;

/**
 * The machine as the monitor reads it (`monitor.samplesFile`): a recorded sample the test rewrites (atomically) to
 * make resources critical or normal under the monitor's default policy (critical below 5 % available memory).
 */
export class RecordedMachine {
  readonly file: string;

  private constructor(private readonly dir: string) {
    this.file = join(dir, 'recorded-sample.json');
  }

  /** A machine in its own directory (the monitor reads it from its first reading on, before the stack exists). */
  static async create(): Promise<RecordedMachine> {
    return new RecordedMachine(await mkdtemp(join(tmpdir(), 'aico-recorded-')));
  }

  /** The monitor's settings: this machine, read every 200 ms, each rule holding (and clearing) at its first reading. */
  get monitorEnv(): NodeJS.ProcessEnv {
    return {
      AICO_MONITOR__SAMPLES_FILE: this.file,
      AICO_MONITOR__SAMPLE_INTERVAL_MS: '200',
      AICO_MONITOR__PUBLISH_INTERVAL_MS: '500',
      AICO_MONITOR__POLICY__ENTER_AFTER_SAMPLES: '1',
      AICO_MONITOR__POLICY__EXIT_AFTER_SAMPLES: '1',
      AICO_MONITOR__ACTIVITY__OS_IDLE: 'false',
    };
  }

  /** 3 % of 16 GiB available: memory_critical. */
  critical(): Promise<void> {
    return this.record({ cpuPercent: 30, memory: { totalBytes: 16 * GIB, availableBytes: Math.round(0.03 * 16 * GIB) } });
  }

  /** 60 % available, the CPU 10 % busy, no battery: every rule within its limits. */
  normal(): Promise<void> {
    return this.record({ cpuPercent: 10, memory: { totalBytes: 16 * GIB, availableBytes: Math.round(0.6 * 16 * GIB) } });
  }

  /** All of 16 GiB available: within any memory limit, however high. */
  roomy(): Promise<void> {
    return this.record({ cpuPercent: 10, memory: { totalBytes: 16 * GIB, availableBytes: 16 * GIB } });
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async record(sample: object): Promise<void> {
    await writeFile(`${this.file}.tmp`, JSON.stringify(sample));
    await rename(`${this.file}.tmp`, this.file);
  }
}

export type Observed =
  | { readonly topic: 'loaded'; readonly payload: ModelLoaded }
  | { readonly topic: 'unloaded'; readonly payload: ModelUnloaded }
  | { readonly topic: 'state'; readonly payload: ResourceStateChanged }
  | { readonly topic: 'paused' | 'resumed'; readonly payload: JobDecision };

/** The events a test waits for, kept in arrival order (subscribed before connecting: none is missed). */
export class BusObserver {
  readonly events: Observed[] = [];
  private waiters: { readonly predicate: (event: Observed) => boolean; readonly resolve: (event: Observed) => void }[] = [];

  private constructor(private readonly client: BusClient) {}

  static async start(stack: ModelsStack): Promise<BusObserver> {
    const client = createTestClient('cli', stack.environment.keys, stack.environment.endpoints);
    const observer = new BusObserver(client);
    client.subscribe(ModelsTopics.modelLoaded, (event) => observer.add({ topic: 'loaded', payload: event.payload }));
    client.subscribe(ModelsTopics.modelUnloaded, (event) => observer.add({ topic: 'unloaded', payload: event.payload }));
    client.subscribe(MonitorTopics.resourceState, (event) => observer.add({ topic: 'state', payload: event.payload }));
    client.subscribe(MonitorTopics.jobPaused, (event) => observer.add({ topic: 'paused', payload: event.payload }));
    client.subscribe(MonitorTopics.jobResumed, (event) => observer.add({ topic: 'resumed', payload: event.payload }));
    await client.connect();
    return observer;
  }

  /** The first event from index `since` on (already heard or still to come) that matches. */
  waitFor(what: string, predicate: (event: Observed) => boolean, since = 0): Promise<Observed> {
    const seen = this.events.slice(since).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`no ${what} within ${SIGNAL_TIMEOUT_MS} ms; heard: ${this.events.map((event) => event.topic).join(', ')}`));
      }, SIGNAL_TIMEOUT_MS);
      const done = (event: Observed): void => {
        clearTimeout(timer);
        resolve(event);
      };
      this.waiters.push({ predicate, resolve: done });
    });
  }

  unloaded(reason: string, since = 0): Promise<Observed> {
    return this.waitFor(`models.model.unloaded (${reason})`, (event) => event.topic === 'unloaded' && event.payload.reason === reason, since);
  }

  loaded(since = 0): Promise<Observed> {
    return this.waitFor('models.model.loaded', (event) => event.topic === 'loaded', since);
  }

  async close(): Promise<void> {
    await this.client.close({ drainTimeoutMs: 0 }).catch(() => undefined);
  }

  private add(event: Observed): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => (waiter.predicate(event) ? (waiter.resolve(event), false) : true));
  }
}

/**
 * Stops the monitor, does `meanwhile` (while no monitor runs), and starts it again with `env`; resolves once the
 * models service logged that it took the new monitor's word in (`expect`), when given.
 */
export async function restartMonitor(
  stack: ModelsStack,
  env: NodeJS.ProcessEnv,
  options: { readonly meanwhile?: () => Promise<void>; readonly expect?: 'critical' | 'recovered' } = {},
): Promise<void> {
  const since = stack.process('models').lines.length;
  await stack.process('monitor').stop();
  await options.meanwhile?.();
  await stack.startApp('monitor', env);
  if (options.expect) await modelsHeard(stack, options.expect, since);
}

/** Waits for the models service's own word that resources turned critical, or recovered (from log line `since`). */
export async function modelsHeard(stack: ModelsStack, state: 'critical' | 'recovered', since = 0): Promise<void> {
  const msg = state === 'critical' ? 'Resources are critical: the model is unloaded and generations wait' : 'Resources recovered: generations go on';
  await stack.process('models').waitForMessage(msg, SIGNAL_TIMEOUT_MS, since);
}

/** Asks models.service.status until `predicate` holds (each answer is a signal; the deadline is the e2e one). */
export async function statusUntil(stack: ModelsStack, what: string, predicate: (status: ModelsStatusResponse) => boolean): Promise<ModelsStatusResponse> {
  const deadline = Date.now() + SIGNAL_TIMEOUT_MS;
  let last: ModelsStatusResponse | undefined;
  while (Date.now() < deadline) {
    last = await stack.requester.request(ModelsTopics.status, {}, { timeoutMs: SIGNAL_TIMEOUT_MS });
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`models.service.status never showed ${what}; last: ${JSON.stringify(last, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
}
