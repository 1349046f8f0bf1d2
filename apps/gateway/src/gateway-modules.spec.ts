// The gateway as feature modules: each exports its service, and its controllers are thin — they reach the bus and
// storage only through a service, never by injecting the clients themselves.
import 'reflect-metadata';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { PATTERN_HANDLER_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants';
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum';
import type { Type } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { GatewayTopics, SecurityTopics, StorageTopics, SystemTopics } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { AuthModule } from './auth/auth.module';
import { AuthService } from './auth/auth.service';
import { ConsentModule } from './consent/consent.module';
import { ConsentService } from './consent/consent.service';
import { ConversationModule } from './conversation/conversation.module';
import { ConversationService } from './conversation/conversation.service';
import { GATEWAY_CONTROLLERS, GATEWAY_FEATURE_MODULES } from './gateway-controllers';
import { ModelsModule } from './models/models.module';
import { ModelsService } from './models/models.service';
import { SystemModule } from './system/system.module';
import { SystemService } from './system/system.service';
import { UsersModule } from './users/users.module';
import { UsersService } from './users/users.service';
import { WsBridge } from './ws/ws-bridge';
import { WsModule } from './ws/ws.module';

const exportsOf = (module: Type) => (Reflect.getMetadata(MODULE_METADATA.EXPORTS, module) as unknown[] | undefined) ?? [];

/** Every bus pattern the controllers declare, as "event topic" or "request topic" (what ZmqServer binds). */
function declaredBusPatterns(controllers: readonly Type[]): string[] {
  const patterns: string[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = prototype[name];
      if (typeof method !== 'function') continue;
      const topics = Reflect.getMetadata(PATTERN_METADATA, method) as string[] | undefined;
      const kind = Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) === PatternHandler.EVENT ? 'event' : 'request';
      for (const topic of topics ?? []) patterns.push(`${kind} ${topic}`);
    }
  }
  return patterns.sort();
}

describe('gateway feature modules', () => {
  it('export their service: auth, users, system, consent, conversation, models and the live bridge', () => {
    const features: [Type, Type][] = [
      [AuthModule, AuthService],
      [UsersModule, UsersService],
      [SystemModule, SystemService],
      [ConsentModule, ConsentService],
      [ConversationModule, ConversationService],
      [ModelsModule, ModelsService],
      [WsModule, WsBridge],
    ];
    for (const [module, service] of features) {
      expect([module.name, exportsOf(module).includes(service)]).toEqual([module.name, true]);
      expect(GATEWAY_FEATURE_MODULES).toContain(module);
    }
  });

  it('have controllers that inject services, not the bus or storage clients', () => {
    expect(GATEWAY_CONTROLLERS.length).toBeGreaterThanOrEqual(12);
    for (const controller of GATEWAY_CONTROLLERS) {
      const injected = (Reflect.getMetadata('design:paramtypes', controller) as unknown[] | undefined) ?? [];
      expect([controller.name, injected.filter((type) => type === BusClient || type === StorageClient)]).toEqual([controller.name, []]);
    }
  });

  it('declare every bus topic the gateway hears as a controller pattern, not a hand-written subscription (libs/bus/README.md)', () => {
    expect(declaredBusPatterns(GATEWAY_CONTROLLERS)).toEqual(
      [
        `event ${SecurityTopics.rotated.topic}`,
        `event ${StorageTopics.backupProgress.topic}`,
        `event ${SystemTopics.heartbeat.topic}`,
        `event ${SystemTopics.serviceStopping.topic}`,
        `request ${GatewayTopics.consentCheck.topic}`,
      ].sort(),
    );
  });
});
