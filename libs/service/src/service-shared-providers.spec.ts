// The objects runService builds once for the process are the app's to inject, never to build again: the topic
// registry and access policy the bus client checks against, and the config typed by the app's own schema.
import { Inject, Injectable, Module } from '@nestjs/common';
import { TestBus } from '@aico/bus/testing';
import { baseConfigSchema, z } from '@aico/config';
import { defaultTopicRegistry, TopicRegistry } from '@aico/contracts';
import { AccessPolicy } from '@aico/policy';
import { runService, type RunningService, type ServiceDefinition } from './run-service';
import { SERVICE_CONFIG } from './service.tokens';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from './testing/service-test-environment';

const demoConfigSchema = baseConfigSchema.extend({ demo: z.object({ greeting: z.string().default('hello') }).prefault({}) });
type DemoConfig = z.infer<typeof demoConfigSchema>;

@Injectable()
class SharedObjectsProbe {
  constructor(
    readonly registry: TopicRegistry,
    readonly policy: AccessPolicy,
    @Inject(SERVICE_CONFIG) readonly config: DemoConfig,
  ) {}
}

@Module({ providers: [SharedObjectsProbe] })
class ProbeModule {}

describe('runService shared providers', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService | undefined;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__LEVEL: 'warn' });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
  });

  afterAll(async () => {
    await running?.stop('test finished');
    await bus.stop();
    await environment.cleanup();
  });

  it('gives the app the registry and access policy the bus client uses, and the config of its own schema', async () => {
    const registry = defaultTopicRegistry.with([]);
    const policy = new AccessPolicy(registry);
    const env = {
      ...environment.env,
      AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint,
      AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint,
      AICO_DEMO__GREETING: 'hi',
    };
    running = await runService({ identity: 'monitor', module: ProbeModule, configSchema: demoConfigSchema, registry, policy, env, exitOnStop: false });
    const probe = running.app.get(SharedObjectsProbe);
    expect(probe.registry).toBe(registry);
    expect(probe.policy).toBe(policy);
    expect(probe.config.demo.greeting).toBe('hi');
  });

  it('types the HTTP setup with the config of the app schema, without a cast', () => {
    // Compiles only because ServiceDefinition is generic over the schema: `config.demo` is not on the base config.
    const definition: ServiceDefinition<typeof demoConfigSchema> = {
      identity: 'gateway',
      module: ProbeModule,
      configSchema: demoConfigSchema,
      http: ({ config }) => Promise.resolve({ host: config.demo.greeting, port: 0 }),
    };
    expect(definition.configSchema).toBe(demoConfigSchema);
  });
});
