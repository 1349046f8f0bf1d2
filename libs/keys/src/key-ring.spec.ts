import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { KeyRing } from './key-ring';
import { derivePurposeKey } from './purpose-keys';

describe('KeyRing', () => {
  it('derives purpose and CURVE keys from its master key', () => {
    const master = randomBytes(32);
    const ring = new KeyRing(master, 'test');
    expect(ring.purposeKey('database')).toEqual(derivePurposeKey(master, 'database'));
    expect(ring.curveKeyPair('bus').publicKey).toHaveLength(40);
  });

  it('never shows the master key in inspection, JSON or strings', () => {
    const master = randomBytes(32);
    const ring = new KeyRing(master, 'key file /tmp/x');
    const renderings = [inspect(ring, { showHidden: true, depth: 5 }), JSON.stringify({ ring }), String(ring), `${ring}`];
    for (const text of renderings) {
      expect(text).not.toContain(master.toString('hex'));
      expect(text).not.toContain(master.toString('base64'));
      expect(text).toContain('/tmp/x');
    }
  });

  it('zeroes its copy of the key on destroy', () => {
    const master = randomBytes(32);
    const ring = new KeyRing(master, 'test');
    const before = ring.purposeKey('file');
    ring.destroy();
    expect(ring.purposeKey('file')).not.toEqual(before);
    expect(master.equals(Buffer.alloc(32))).toBe(false);
  });
});
