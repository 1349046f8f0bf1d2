import { randomBytes } from 'node:crypto';
import { KeyErrorCode } from './key.error';
import { deriveCurveKeyPair } from './purpose-keys';
import { openSealed, sealTo } from './sealed-box';

describe('sealed box', () => {
  const master = randomBytes(32);
  const keys = deriveCurveKeyPair(master, 'keys');
  const other = deriveCurveKeyPair(master, 'storage');
  const secret = Buffer.from('correct horse battery staple 9!', 'utf8');

  it('opens for the recipient and context it was sealed for, and differs every time', () => {
    const first = sealTo(keys.publicKey, secret, 'unlock');
    const second = sealTo(keys.publicKey, secret, 'unlock');
    expect(first.equals(second)).toBe(false);
    expect(first.includes(secret)).toBe(false);
    expect(openSealed(keys.secretKey, first, 'unlock')).toEqual(secret);
    expect(openSealed(keys.secretKey, second, 'unlock')).toEqual(secret);
  });

  it.each([
    ['another identity', (box: Buffer) => openSealed(other.secretKey, box, 'unlock'), /not sealed to this identity/],
    ['another context', (box: Buffer) => openSealed(keys.secretKey, box, 'password-change/new'), /not sealed to this identity for "password-change\/new"/],
    ['a flipped bit', (box: Buffer) => openSealed(keys.secretKey, Buffer.from(box).fill(box[40]! ^ 1, 40, 41), 'unlock'), /or it was altered/],
    ['a truncated box', (box: Buffer) => openSealed(keys.secretKey, box.subarray(0, 30), 'unlock'), /shorter than any box/],
    ['an unknown version', (box: Buffer) => openSealed(keys.secretKey, Buffer.concat([Buffer.of(9), box.subarray(1)]), 'unlock'), /version 9/],
  ])('refuses %s with a specific error that does not contain the secret', (_case, open, message) => {
    const box = sealTo(keys.publicKey, secret, 'unlock');
    let caught: unknown;
    try {
      open(box);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: KeyErrorCode.SealedBoxInvalid, message: expect.stringMatching(message) });
    expect(String((caught as Error).stack)).not.toContain(secret.toString('utf8'));
  });
});
