// The gateway's feature modules, in order, and the REST controllers they mount: the app module imports exactly these
// modules, and the OpenAPI document (tools/scripts/api-check.mjs, from the build) is made from exactly these
// controllers, read from the modules' own metadata, so the two cannot drift apart.
import { MODULE_METADATA } from '@nestjs/common/constants';
import type { Type } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { ConsentModule } from './consent/consent.module';
import { ConversationModule } from './conversation/conversation.module';
import { HealthModule } from './health/health.module';
import { ApiDocsModule } from './http/api-docs.module';
import { ModelsModule } from './models/models.module';
import { SystemModule } from './system/system.module';
import { TasksModule } from './tasks/tasks.module';
import { UsersModule } from './users/users.module';
import { WsModule } from './ws/ws.module';

export const GATEWAY_FEATURE_MODULES: readonly Type[] = [
  HealthModule,
  AuthModule,
  UsersModule,
  ConsentModule,
  SystemModule,
  ConversationModule,
  ModelsModule,
  TasksModule,
  WsModule,
  ApiDocsModule,
];

export const GATEWAY_CONTROLLERS: readonly Type[] = GATEWAY_FEATURE_MODULES.flatMap(
  (module) => (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, module) as Type[] | undefined) ?? [],
);
