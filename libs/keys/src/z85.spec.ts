import { randomBytes } from 'node:crypto';
import { z85Decode, z85Encode } from './z85';

describe('Z85', () => {
  it('encodes the ZeroMQ RFC 32 test vector', () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect(z85Decode('HelloWorld')).toEqual(bytes);
  });

  it('round-trips random keys', () => {
    for (let i = 0; i < 100; i++) {
      const key = randomBytes(32);
      expect(z85Decode(z85Encode(key))).toEqual(key);
    }
  });

  it('rejects bad lengths and characters', () => {
    expect(() => z85Encode(Buffer.alloc(3))).toThrow('multiple of 4');
    expect(() => z85Decode('abcd')).toThrow('multiple of 5');
    expect(() => z85Decode('abc"e')).toThrow('Invalid Z85 character at position 3');
    expect(() => z85Decode('#####')).toThrow('out of range');
  });
});
