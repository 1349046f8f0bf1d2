// The gateway's REST controllers, in one list: the app module mounts exactly these, and the OpenAPI document
// (tools/scripts/api-check.mjs, from the build) is made from exactly these, so the two cannot drift apart.
import type { Type } from '@nestjs/common';
import { AuthController } from './auth/auth.controller';
import { ConsentController } from './consent/consent.controller';
import { ConversationController } from './conversation/conversation.controller';
import { HealthController } from './health/health.controller';
import { OpenApiController } from './http/openapi';
import { SystemController } from './system/system.controller';
import { TasksController } from './tasks/tasks.controller';
import { UsersController } from './users/users.controller';

export const GATEWAY_CONTROLLERS: readonly Type[] = [HealthController, AuthController, UsersController, ConsentController, SystemController, ConversationController, TasksController, OpenApiController];
