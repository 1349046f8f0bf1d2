// The models app with what it needs (bus, storage, monitor) as real built processes in a throwaway environment, for
// the models e2e tests: generated GGUF test models put in the models directory with their catalog records written
// through storage as the `models` identity, streamed generations collected delta by delta, the monitor restarted
// with other settings, and the CPU time of the models process read from /proc. Every wait is for a signal.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mkdir, readFile } from 'node:fs/promises';
import { type BusClient, type StreamRequestOptions } from '@aico/bus';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import {
  ModelsTopics,
  MonitorTopics,
  StorageTopics,
  type GenerateDelta,
  type GenerateDeltaSchema,
  type GenerateRequestSchema,
  type GenerateResult,
  type ModelPurpose,
} from '@aico/contracts';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { builtApp } from '../support/gateway-stack';
import { ServiceProcess, WORKSPACE_ROOT } from '../support/service-process';
import { LOAD_TOLERANT_ENV, SIGNAL_TIMEOUT_MS } from '../support/timing';

/** A monitor that reads this machine as normal whatever it does (every rule off): admission is not in question. */
export const NORMAL_MONITOR_ENV: Readonly<NodeJS.ProcessEnv> = {
  AICO_MONITOR__POLICY__MAX_CPU_PERCENT: '100',
  AICO_MONITOR__POLICY__CRITICAL_CPU_PERCENT: '100',
  AICO_MONITOR__POLICY__MIN_AVAILABLE_MEMORY_PERCENT: '0',
  AICO_MONITOR__POLICY__CRITICAL_AVAILABLE_MEMORY_PERCENT: '0',
  AICO_MONITOR__POLICY__ENTER_AFTER_SAMPLES: '1',
  AICO_MONITOR__POLICY__EXIT_AFTER_SAMPLES: '1',
  AICO_MONITOR__SAMPLE_INTERVAL_MS: '200',
  AICO_MONITOR__PUBLISH_INTERVAL_MS: '500',
  AICO_MONITOR__ACTIVITY__OS_IDLE: 'false',
};

/**
 * A monitor that reads this machine as critical from its first sample, deterministically: less than 100 % of the
 * memory is always available, and that is the critical limit here (real samples, a configured policy).
 */
export const CRITICAL_MONITOR_ENV: Readonly<NodeJS.ProcessEnv> = {
  ...NORMAL_MONITOR_ENV,
  AICO_MONITOR__POLICY__MIN_AVAILABLE_MEMORY_PERCENT: '100',
  AICO_MONITOR__POLICY__CRITICAL_AVAILABLE_MEMORY_PERCENT: '100',
};

/** What every models app here gets: one thread (tests share the cores), a keep-alive that never ends a test. */
export const MODELS_TEST_ENV: Readonly<NodeJS.ProcessEnv> = {
  AICO_MODELS__GPU: 'cpu',
  AICO_MODELS__THREADS: '1',
  AICO_MODELS__KEEP_ALIVE_MS: '3600000',
  AICO_MODELS__KEEP_ALIVE_ON_BATTERY_MS: '3600000',
  AICO_MODELS__MAX_CONTEXT_SIZE: '4096',
  AICO_MODELS__ADMISSION_TIMEOUT_MS: '30000',
};

export interface Generated {
  readonly result: GenerateResult;
  readonly deltas: readonly GenerateDelta[];
  /** The text deltas joined, in arrival order. */
  readonly streamed: string;
}

export class ModelsStack {
  readonly processes = new Map<string, ServiceProcess>();
  /** A requester with the gateway's identity (a person waits behind it). */
  readonly requester: BusClient;
  /** Storage as the models service writes it (catalog records are the models identity's). */
  readonly catalog: StorageClient;

  private constructor(
    readonly environment: ServiceTestEnvironment,
    requester: BusClient,
    private readonly catalogClient: BusClient,
  ) {
    this.requester = requester;
    this.catalog = new StorageClient(catalogClient, { deadlineMs: SIGNAL_TIMEOUT_MS });
  }

  get modelsDir(): string {
    return join(this.environment.dir, 'models');
  }

  /** Bus, storage, a monitor (unless `monitorEnv` is false) and the models app, each ready. */
  static async start(
    options: { readonly modelsEnv?: NodeJS.ProcessEnv; readonly monitorEnv?: NodeJS.ProcessEnv | false; readonly everyAppEnv?: NodeJS.ProcessEnv } = {},
  ): Promise<ModelsStack> {
    const environment = await createServiceTestEnvironment('ipc', {
      ...LOAD_TOLERANT_ENV,
      AICO_LOG__LEVEL: 'info',
      AICO_LOG__FILE: 'false',
      AICO_BUS__HEARTBEAT_INTERVAL_MS: '250',
      ...options.everyAppEnv,
    });
    const requester = createTestClient('gateway', environment.keys, environment.endpoints, {
      requestTimeoutMs: SIGNAL_TIMEOUT_MS,
      streamIdleTimeoutMs: 10_000,
    });
    const catalogClient = createTestClient('models', environment.keys, environment.endpoints);
    const stack = new ModelsStack(environment, requester, catalogClient);
    try {
      await mkdir(stack.modelsDir, { recursive: true });
      await stack.startApp('bus');
      await stack.startApp('storage');
      if (options.monitorEnv !== false) await stack.startApp('monitor', options.monitorEnv ?? NORMAL_MONITOR_ENV);
      await stack.startApp('models', { ...MODELS_TEST_ENV, ...options.modelsEnv });
      await Promise.all([requester.connect(), catalogClient.connect()]);
      await requestWhenRoutable((timeoutMs) => catalogClient.request(StorageTopics.databaseCheck, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
      await requestWhenRoutable((timeoutMs) => requester.request(ModelsTopics.status, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
      if (options.monitorEnv !== false)
        await requestWhenRoutable((timeoutMs) => requester.request(MonitorTopics.resourceStatus, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
      return stack;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  /** Starts (or starts again) one app and waits for it to be ready. */
  async startApp(name: string, env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    const child = new ServiceProcess(name, builtApp(name), [], { ...this.environment.env, ...env });
    this.processes.set(name, child);
    await child.waitForMessage(`${name} ready`);
    return child;
  }

  process(name: string): ServiceProcess {
    const child = this.processes.get(name);
    if (!child) throw new Error(`no process named ${name} runs in this stack`);
    return child;
  }

  /** A generated test model in the models directory with its catalog record (as `aico models import` leaves it). */
  async addModel(name: string, options: TestModelOptions = {}, usedFor: readonly ModelPurpose[] = []): Promise<TestModel> {
    const file = `${name}.gguf`;
    const model = await testModels<TestModel>('makeTestModel', join(this.modelsDir, file), options);
    await this.catalog.putRecord({
      kind: {
        case: 'model',
        value: {
          id: name,
          file,
          sizeBytes: BigInt(model.bytes),
          sha256: model.sha256,
          architecture: model.options.architecture,
          parameters: BigInt(model.parameters),
          quantization: model.options.f16 ? 'F16' : 'F32',
          contextLength: model.options.context,
          hasChatTemplate: model.options.chatTemplate !== false,
          source: 'test',
          usedFor: [...usedFor],
        },
      },
    });
    return model;
  }

  /** A streamed generation, every delta kept; rejects as the call does. */
  async generate(
    request: MessageInitShape<typeof GenerateRequestSchema>,
    options: Omit<StreamRequestOptions<typeof GenerateDeltaSchema>, 'onDelta'> & { readonly onDelta?: (delta: GenerateDelta) => void } = {},
  ): Promise<Generated> {
    const deltas: GenerateDelta[] = [];
    const { onDelta, ...rest } = options;
    const result = await this.requester.requestStream(ModelsTopics.generate, request, {
      timeoutMs: SIGNAL_TIMEOUT_MS,
      ...rest,
      onDelta: (delta) => {
        deltas.push(delta);
        onDelta?.(delta);
      },
    });
    return { result, deltas, streamed: textOf(deltas) };
  }

  async stop(): Promise<void> {
    await this.requester.close({ drainTimeoutMs: 0 }).catch(() => undefined);
    await this.catalogClient.close({ drainTimeoutMs: 0 }).catch(() => undefined);
    for (const child of [...this.processes.values()].reverse()) await child.stop();
    await this.environment.cleanup();
  }
}

/** The test-model generator's options (tools/models/make-test-model.d.mts). */
export interface TestModelOptions {
  readonly context?: number;
  readonly chatTemplate?: boolean;
  readonly architecture?: string;
  readonly truncate?: boolean | number;
  readonly f16?: boolean;
  readonly seed?: number;
}

/** What makeTestModel wrote. */
export interface TestModel {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly parameters: number;
  readonly options: Required<Pick<TestModelOptions, 'context' | 'chatTemplate' | 'architecture' | 'f16'>>;
}

/**
 * Calls a function of tools/models/make-test-model.mjs (the project's deterministic test models) in a child Node
 * process: the e2e project may not import the tooling project, and the generator is a plain script anyway.
 */
export function testModels<T>(name: 'makeTestModel' | 'predictContinuation', ...args: unknown[]): Promise<T> {
  // The module's URL is in the script, not in argv[1]: as argv[1] the generator would take itself for the command line.
  const module = pathToFileURL(join(WORKSPACE_ROOT, 'tools', 'models', 'make-test-model.mjs')).href;
  const script = `import(${JSON.stringify(module)}).then((m) => { const r = m[process.argv[1]](...JSON.parse(process.argv[2])); process.stdout.write(JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? Number(v) : v))); })`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script, name, JSON.stringify(args)], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${name}(${JSON.stringify(args)}) failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

/** The exact greedy continuation of `prompt` by a test model (its vocabulary chain). */
export const predictContinuation = (prompt: string, tokens: number): Promise<string> => testModels<string>('predictContinuation', prompt, tokens);

export type GenerateRequestInit = MessageInitShape<typeof GenerateRequestSchema>;

/** A greedy raw completion of `prompt` (the test models' output is then known: predictContinuation). */
export const raw = (prompt: string, fields: Omit<GenerateRequestInit, 'input' | '$typeName'> = {}): GenerateRequestInit => ({
  temperature: 0,
  ...fields,
  input: { case: 'prompt', value: prompt },
});

export const textDeltas = (deltas: readonly GenerateDelta[]): GenerateDelta[] => deltas.filter((delta) => delta.kind.case === 'text');

/** The queue states of the waiting deltas, in order. */
export const waitingDeltas = (deltas: readonly GenerateDelta[]) => deltas.flatMap((delta) => (delta.kind.case === 'waiting' ? [delta.kind.value] : []));

export const textOf = (deltas: readonly GenerateDelta[]): string => deltas.map((delta) => (delta.kind.case === 'text' ? delta.kind.value : '')).join('');

/** CPU ticks (user + system) a process has used so far, from /proc/<pid>/stat. */
export async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
