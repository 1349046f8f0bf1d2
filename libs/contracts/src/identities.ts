// The service identities that may hold a bus connection. Each one's CURVE keypair is derived from the master key, and
// the bus proxy admits exactly these (deny by default).
export const SERVICE_IDENTITIES = ['bus', 'gateway', 'keys', 'storage', 'scheduler', 'monitor', 'models', 'conversation', 'supervisor', 'cli'] as const;

export type ServiceIdentity = (typeof SERVICE_IDENTITIES)[number];

export function isServiceIdentity(value: string): value is ServiceIdentity {
  return (SERVICE_IDENTITIES as readonly string[]).includes(value);
}
