// The CURVE keys of bus identities, all derived from the one master key: a client's own pair plus the proxy's
// public key, and the proxy's allow-list of every known identity.
import { SERVICE_IDENTITIES } from '@aico/contracts';
import type { CurveKeyPair, KeyRing } from '@aico/keys';
import type { CurveClientKeys } from './bus-client';

export const BUS_SERVER_IDENTITY = 'bus';

export function deriveClientKeys(keys: KeyRing, identity: string): CurveClientKeys {
  return { ...keys.curveKeyPair(identity), serverPublicKey: keys.curveKeyPair(BUS_SERVER_IDENTITY).publicKey };
}

export function deriveServerKeys(keys: KeyRing): CurveKeyPair {
  return keys.curveKeyPair(BUS_SERVER_IDENTITY);
}

/** Z85 public key → identity, for every identity the proxy admits. */
export function deriveAllowList(keys: KeyRing, identities: readonly string[] = SERVICE_IDENTITIES): Map<string, string> {
  return new Map(identities.map((identity) => [keys.curveKeyPair(identity).publicKey, identity]));
}
