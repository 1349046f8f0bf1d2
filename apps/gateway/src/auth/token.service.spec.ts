import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { create } from '@bufbuild/protobuf';
import { KeyPurpose, KeyRotatedSchema } from '@aico/contracts';
import { KeyRing } from '@aico/keys';
import { gatewayConfigSchema } from '../gateway.config';
import { TokenService } from './token.service';

describe('TokenService', () => {
  const keys = new KeyRing(randomBytes(32), 'unit test');
  const tokens = new TokenService(gatewayConfigSchema.parse({ dataDir: '/nonexistent/aico-test' }), keys);
  const claims = (expires: boolean) => {
    const token = new SignJWT({ role: 'admin', sid: '00000000-0000-4000-8000-000000000000' })
      .setProtectedHeader({ alg: 'HS256', kid: 'v1' })
      .setSubject('ada')
      .setIssuer('aico-gateway')
      .setAudience('aico')
      .setIssuedAt();
    return (expires ? token.setExpirationTime('5m') : token).sign(keys.purposeKey('token-signing', 1));
  };

  it('accepts the tokens it signs', async () => {
    const token = await tokens.sign({ sub: 'ada', role: 'admin', sid: '00000000-0000-4000-8000-000000000000' });
    await expect(tokens.verify(token)).resolves.toEqual({ sub: 'ada', role: 'admin', sid: '00000000-0000-4000-8000-000000000000' });
    await expect(tokens.verify(await claims(true))).resolves.toMatchObject({ sub: 'ada' });
  });

  it('refuses a correctly signed token without an expiry (finding 15)', async () => {
    await expect(tokens.verify(await claims(false))).rejects.toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
  });

  it('refuses a token without a session or subject', async () => {
    const key = keys.purposeKey('token-signing', 1);
    const base = () =>
      new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', kid: 'v1' })
        .setIssuer('aico-gateway')
        .setAudience('aico')
        .setIssuedAt()
        .setExpirationTime('5m');
    await expect(tokens.verify(await base().setSubject('ada').sign(key))).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const withoutSubject = await new SignJWT({ role: 'admin', sid: 'x' })
      .setProtectedHeader({ alg: 'HS256', kid: 'v1' })
      .setIssuer('aico-gateway')
      .setAudience('aico')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    await expect(tokens.verify(withoutSubject)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});

describe('TokenService key versions', () => {
  const keys = new KeyRing(randomBytes(32), 'unit test');
  const session = { sub: 'ada', role: 'admin', sid: '00000000-0000-4000-8000-000000000000' };
  const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

  async function rotatingTokens() {
    const tokens = new TokenService(gatewayConfigSchema.parse({ dataDir: '/nonexistent/aico-test' }), keys);
    await tokens.onApplicationBootstrap();
    // What AuthEventsController hands over for each `security.key.rotated` event.
    const rotate = (purpose: KeyPurpose, version: number) => tokens.keyRotated(create(KeyRotatedSchema, { key: { purpose, version } }));
    return { tokens, rotate };
  }

  it('signs with the newest token-signing key, accepts the version before it, and refuses older ones', async () => {
    const { tokens, rotate } = await rotatingTokens();
    const v1 = await tokens.sign(session);
    expect(kidOf(v1)).toBe('v1');
    rotate(KeyPurpose.TOKEN_SIGNING, 2);
    const v2 = await tokens.sign(session);
    expect(kidOf(v2)).toBe('v2');
    await expect(tokens.verify(v1)).resolves.toEqual(session);
    rotate(KeyPurpose.TOKEN_SIGNING, 3);
    await expect(tokens.verify(v1)).rejects.toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    await expect(tokens.verify(v2)).resolves.toEqual(session);
  });

  it('refuses a token naming a version it does not have yet, and ignores other keys and older announcements', async () => {
    const { tokens, rotate } = await rotatingTokens();
    const future = await new SignJWT({ role: 'admin', sid: session.sid })
      .setProtectedHeader({ alg: 'HS256', kid: 'v2' })
      .setSubject('ada')
      .setIssuer('aico-gateway')
      .setAudience('aico')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.purposeKey('token-signing', 2));
    await expect(tokens.verify(future)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    rotate(KeyPurpose.FILE, 5);
    expect(kidOf(await tokens.sign(session))).toBe('v1');
    rotate(KeyPurpose.TOKEN_SIGNING, 3);
    rotate(KeyPurpose.TOKEN_SIGNING, 2);
    expect(kidOf(await tokens.sign(session))).toBe('v3');
  });
});
