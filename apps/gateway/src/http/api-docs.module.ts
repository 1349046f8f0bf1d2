// What every REST route declares, checked and served: the access check at start, the OpenAPI document, and (with
// gateway.validateResponses) each answer checked against its declared schema.
import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { RouteAccessCheck } from '../auth/route-access.check';
import { OpenApiController } from './openapi';
import { ResponseValidationInterceptor } from './response-validation.interceptor';

@Module({
  imports: [DiscoveryModule],
  controllers: [OpenApiController],
  providers: [RouteAccessCheck, { provide: APP_INTERCEPTOR, useClass: ResponseValidationInterceptor }],
})
export class ApiDocsModule {}
