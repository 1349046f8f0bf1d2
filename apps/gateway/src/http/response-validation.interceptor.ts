// With gateway.validateResponses (on in the e2e tests), every answer of a REST route is checked against the
// response schema its @Doc declares, in its JSON form: a mismatch fails the request loudly (500
// RESPONSE_SCHEMA_MISMATCH, logged with the route and the issues), so the tests prove the published types are true.
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { map, type Observable } from 'rxjs';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import type { GatewayConfig } from '../gateway.config';
import { ApiError } from './api-error';
import { DOC_METADATA, type RouteDoc } from './doc.decorator';
import { describeIssues, issuesOf, type Issue } from './validation';

@Injectable()
export class ResponseValidationInterceptor implements NestInterceptor {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.config.gateway.validateResponses || context.getType() !== 'http') return next.handle();
    const doc = this.reflector.get<RouteDoc | undefined>(DOC_METADATA, context.getHandler());
    const route = `${context.getClass().name}.${context.getHandler().name}`;
    return next.handle().pipe(map((body: unknown) => this.checked(body, doc, route, context.switchToHttp().getRequest<Request>())));
  }

  private checked(body: unknown, doc: RouteDoc | undefined, route: string, request: Request): unknown {
    let issues: Issue[];
    if (!doc?.response) {
      issues = body === undefined ? [] : [{ path: '', message: 'the route declares no response (204) but answered a body' }];
    } else {
      // What the client receives: the body after JSON serialisation (dates as strings, undefined fields gone).
      const result = doc.response.safeParse(body === undefined ? undefined : JSON.parse(JSON.stringify(body)));
      issues = result.success ? [] : issuesOf(result.error);
    }
    if (issues.length === 0) return body;
    this.logger.error({ route, method: request.method, path: request.path, issues }, 'A response does not match the schema its route declares');
    throw new ApiError(500, 'RESPONSE_SCHEMA_MISMATCH', `The answer of ${route} does not match its declared schema: ${describeIssues(issues)}.`, { issues });
  }
}
