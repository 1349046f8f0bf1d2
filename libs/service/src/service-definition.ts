// What an app hands runService, and what it gets back. The definition is generic over the app's config schema, so
// the config its HTTP setup (and its providers, through SERVICE_CONFIG) sees is typed without a cast.
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { DynamicModule, INestApplication, INestApplicationContext, Type } from '@nestjs/common';
import type { BusClient } from '@aico/bus';
import type { baseConfigSchema, z } from '@aico/config';
import type { ServiceIdentity, TopicRegistry } from '@aico/contracts';
import type { KeyRing } from '@aico/keys';
import type { Logger } from '@aico/logging';
import type { AccessPolicy } from '@aico/policy';
import type { ServiceInfo } from './service.tokens';

/** Exit codes the supervisor can tell apart (sysexits.h). */
export enum ServiceExitCode {
  Ok = 0,
  Failure = 1,
  Unavailable = 69,
  Config = 78,
}

/** An app's config schema: the base schema, extended with the app's own section (`baseConfigSchema.extend({...})`). */
export type ServiceConfigSchema = typeof baseConfigSchema;

/** The loaded, frozen config of a schema (what SERVICE_CONFIG holds). */
export type ServiceConfig<S extends ServiceConfigSchema = ServiceConfigSchema> = Readonly<z.infer<S>>;

/** What an HTTP setup is given: the app's own config type, the keys and the logger. */
export interface ServiceHttpContext<C = ServiceConfig> {
  readonly config: C;
  readonly keys: KeyRing;
  readonly logger: Logger;
}

export interface ServiceDefinition<S extends ServiceConfigSchema = ServiceConfigSchema> {
  readonly identity: ServiceIdentity;
  /** The app's root module (its handlers and providers). */
  readonly module: Type<unknown> | DynamicModule;
  /** The app's config schema: `baseConfigSchema.extend({...})`. Defaults to the base schema. */
  readonly configSchema?: S;
  /** The topics the process knows (default: every topic of the contracts); injectable as TopicRegistry. */
  readonly registry?: TopicRegistry;
  /** Decides what the registry alone does not allow (default: a policy over `registry`); injectable as AccessPolicy. */
  readonly policy?: AccessPolicy;
  readonly version?: string;
  /** Environment to read configuration from (tests); defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Exit the process after a stop (default true; tests keep their process). */
  readonly exitOnStop?: boolean;
  /** Also serve HTTP (the gateway): called with the loaded config and keys, before the app is created. */
  readonly http?: (context: ServiceHttpContext<ServiceConfig<S>>) => Promise<HttpServerSetup>;
}

export interface HttpServerSetup {
  readonly host: string;
  /** 0 picks a free port (tests); RunningService.httpAddress says which. */
  readonly port: number;
  /**
   * TLS (key and certificate, protocol versions, cipher suites) and the deadlines that take effect only when the
   * server is made (handshake, how often header and request deadlines are checked); plain HTTP when absent.
   */
  readonly httpsOptions?: { readonly key: string | Buffer; readonly cert: string | Buffer } & Readonly<
    Pick<HttpsServerOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'honorCipherOrder' | 'ecdhCurve' | 'handshakeTimeout' | 'connectionsCheckingInterval'>
  >;
  /** Runs on the HTTP app before it listens: body parsing, filters, WebSocket upgrade handling. */
  readonly configure?: (app: INestApplication) => void | Promise<void>;
}

export interface HttpAddress {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

export interface RunningService {
  readonly app: INestApplicationContext;
  /** Where the HTTP server listens, for services that serve HTTP. */
  readonly httpAddress?: HttpAddress;
  readonly bus: BusClient;
  readonly logger: Logger;
  readonly info: ServiceInfo;
  /** Stops gracefully; resolves when everything is closed. */
  stop(reason: string): Promise<void>;
}
