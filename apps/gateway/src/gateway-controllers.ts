// The gateway's REST controllers, in one list: the app module mounts exactly these, and the OpenAPI document
// (tools/scripts/api-check.mjs, from the build) is made from exactly these, so the two cannot drift apart.
import type { Type } from '@nestjs/common';
import { AuthController } from './auth/auth.controller';
import { ConsentController } from './consent/consent.controller';
import { SetupController } from './auth/setup.controller';
import { ConversationController } from './conversation/conversation.controller';
import { MemoryController } from './conversation/memory.controller';
import { PersonaController } from './conversation/persona.controller';
import { HealthController } from './health/health.controller';
import { ModelsController } from './models/models.controller';
import { OpenApiController } from './http/openapi';
import { SystemController } from './system/system.controller';
import { TasksController } from './tasks/tasks.controller';
import { UsersController } from './users/users.controller';

export const GATEWAY_CONTROLLERS: readonly Type[] = [
  HealthController,
  AuthController,
  SetupController,
  UsersController,
  ConsentController,
  SystemController,
  ConversationController,
  PersonaController,
  MemoryController,
  ModelsController,
  TasksController,
  OpenApiController,
];
