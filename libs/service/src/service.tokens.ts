/** Injection token of the app's validated, frozen config object. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
/** Injection token of the process's pino logger. */
export const SERVICE_LOGGER = Symbol('SERVICE_LOGGER');
/** Injection token of the ServiceInfo (identity, instance id, version). */
export const SERVICE_INFO = Symbol('SERVICE_INFO');

export interface ServiceInfo {
  readonly identity: string;
  readonly instanceId: string;
  readonly version: string;
  readonly startedAt: Date;
}
