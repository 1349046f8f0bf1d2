import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { BusClient } from '@aico/bus';
import { KeyRing } from '@aico/keys';
import { gatewayConfigSchema } from '../gateway.config';
import { TokenService } from './token.service';

describe('TokenService', () => {
  const keys = new KeyRing(randomBytes(32), 'unit test');
  // The bus is only used at bootstrap (key rotations), which these tests do not run.
  const tokens = new TokenService(gatewayConfigSchema.parse({ dataDir: '/nonexistent/aico-test' }), keys, {} as BusClient);
  const claims = (expires: boolean) => {
    const token = new SignJWT({ role: 'admin', sid: '00000000-0000-4000-8000-000000000000' }).setProtectedHeader({ alg: 'HS256', kid: 'v1' }).setSubject('ada').setIssuer('aico-gateway').setAudience('aico').setIssuedAt();
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
    const base = () => new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256', kid: 'v1' }).setIssuer('aico-gateway').setAudience('aico').setIssuedAt().setExpirationTime('5m');
    await expect(tokens.verify(await base().setSubject('ada').sign(key))).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const withoutSubject = await new SignJWT({ role: 'admin', sid: 'x' }).setProtectedHeader({ alg: 'HS256', kid: 'v1' }).setIssuer('aico-gateway').setAudience('aico').setIssuedAt().setExpirationTime('5m').sign(key);
    await expect(tokens.verify(withoutSubject)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
