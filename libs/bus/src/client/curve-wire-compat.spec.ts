// Keys derived with node:crypto must be the keys libzmq computes: otherwise another ZeroMQ implementation could
// not derive the same identities from the same master key.
import { curveKeyPair } from 'zeromq';
import { x25519PublicKey, z85Decode, z85Encode } from '@aico/keys';

describe('CURVE keys and libzmq', () => {
  it('computes the same public key as libzmq for its own random keypairs', () => {
    for (let i = 0; i < 50; i++) {
      const pair = curveKeyPair();
      expect(z85Encode(x25519PublicKey(z85Decode(pair.secretKey)))).toBe(pair.publicKey);
    }
  });
});
