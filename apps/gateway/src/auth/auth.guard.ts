// Authentication and authorization of every REST request: the bearer token (valid signature, not expired, session
// still open), then the route's declared access checked against the role's permissions (libs/policy, deny by
// default). Bus handlers of the same app are not HTTP requests and pass through.
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AccessPolicy } from '@aico/policy';
import { ActivityReporter } from '../health/activity-reporter';
import { forbidden, unauthorized } from '../http/api-error';
import { ACCESS_METADATA, type RouteAccess } from './access.decorator';
import { AuthService } from './auth.service';
import type { AccessClaims } from './token.service';

export type AuthenticatedRequest = Request & { user?: AccessClaims; id?: string };

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header ?? '');
  return match?.[1];
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly policy: AccessPolicy,
    private readonly activity: ActivityReporter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const access = this.reflector.get<RouteAccess | undefined>(ACCESS_METADATA, context.getHandler());
    // RouteAccessCheck refuses to start with an undeclared route; this is the second line.
    if (access === undefined) throw forbidden('This route declares no access rule.');
    if (access === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw unauthorized('TOKEN_MISSING', 'Send an access token: Authorization: Bearer <token>.');
    request.user = await this.auth.authenticate(token);
    this.activity.input({ userId: request.user.sub, client: `api:${request.user.sub}` });
    if (access === 'authenticated') return true;
    const decision = this.policy.can({ kind: 'user', role: request.user.role }, access);
    if (!decision.allowed) throw forbidden(`Not allowed: ${decision.reason}.`);
    return true;
  }
}
