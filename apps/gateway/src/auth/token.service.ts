// Access tokens: short-lived JWTs (HS256) signed with the key manager's token-signing key. The key id names the
// key version, so tokens signed just before a rotation stay valid until they expire. A token must carry its expiry
// (a token without `exp` would never expire) and its subject, role and session; that the session belongs to the
// subject is checked where sessions are known (AuthService.authenticate).
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { errors, jwtVerify, SignJWT } from 'jose';
import { KeyPurpose, type KeyRotated } from '@aico/contracts';
import { KeyVersionStore } from '@aico/key-manager';
import { KeyRing } from '@aico/keys';
import { SERVICE_CONFIG } from '@aico/service';
import { unauthorized } from '../http/api-error';
import type { GatewayConfig } from '../gateway.config';

const ISSUER = 'aico-gateway';
const AUDIENCE = 'aico';

export interface AccessClaims {
  /** User id. */
  readonly sub: string;
  readonly role: string;
  /** Session id: revoking the session ends the token's use. */
  readonly sid: string;
}

@Injectable()
export class TokenService implements OnApplicationBootstrap {
  private version = 1;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    private readonly keys: KeyRing,
  ) {}

  /** The version on disk at start; a rotation heard on the bus before this read is kept (the newer one wins). */
  async onApplicationBootstrap(): Promise<void> {
    this.version = Math.max(this.version, (await new KeyVersionStore(this.config.dataDir).read())['token-signing'].version);
  }

  /** A key rotation (`security.key.rotated`, AuthEventsController): a newer token-signing key signs from now on. */
  keyRotated(rotated: KeyRotated): void {
    if (rotated.key?.purpose === KeyPurpose.TOKEN_SIGNING) this.version = Math.max(this.version, rotated.key.version);
  }

  get ttlSeconds(): number {
    return this.config.gateway.accessTokenTtlSeconds;
  }

  sign(claims: AccessClaims, now = Date.now()): Promise<string> {
    const issuedAt = Math.floor(now / 1000);
    return new SignJWT({ role: claims.role, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', kid: `v${this.version}` })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.keys.purposeKey('token-signing', this.version));
  }

  /** The claims of a valid token; 401 TOKEN_EXPIRED or TOKEN_INVALID otherwise. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const version = /^v(\d{1,6})$/.exec(header.kid ?? '')?.[1];
          // The current key and the one before it (tokens issued just before a rotation).
          if (!version || Number(version) > this.version || Number(version) < this.version - 1 || Number(version) < 1)
            throw new errors.JWSSignatureVerificationFailed();
          return this.keys.purposeKey('token-signing', Number(version));
        },
        { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp', 'iat', 'sub', 'sid', 'role'] },
      );
      if (typeof payload.exp !== 'number' || typeof payload.sub !== 'string' || typeof payload['role'] !== 'string' || typeof payload['sid'] !== 'string')
        throw new errors.JWTClaimValidationFailed('missing claims', payload);
      return { sub: payload.sub, role: payload['role'], sid: payload['sid'] };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthorized('TOKEN_EXPIRED', 'The access token has expired: refresh it.');
      throw unauthorized('TOKEN_INVALID', 'The access token is not valid.');
    }
  }
}
