// At start, every REST route must declare its access (see access.decorator.ts); one that does not stops the
// gateway with its method, path and handler named.
import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { declaredRoutes } from '../http/declared-routes';

export interface RouteAccessEntry {
  readonly method: string;
  readonly path: string;
  readonly handler: string;
  readonly access: string | undefined;
}

@Injectable()
export class RouteAccessCheck implements OnModuleInit {
  constructor(private readonly discovery: DiscoveryService) {}

  /** The controller classes of the app, in the module's order. */
  controllers(): Type[] {
    return this.discovery.getControllers().flatMap((wrapper) => (wrapper.metatype ? [wrapper.metatype as Type] : []));
  }

  /** Every HTTP route of the app with its declared access. */
  routes(): RouteAccessEntry[] {
    return declaredRoutes(this.controllers()).map(({ method, path, handler, access }) => ({ method, path, handler, access }));
  }

  onModuleInit(): void {
    const undeclared = this.routes().filter((route) => route.access === undefined);
    if (undeclared.length > 0) {
      throw new Error(`Routes without a declared access rule (add @Access(...)): ${undeclared.map((r) => `${r.method} ${r.path} (${r.handler})`).join(', ')}`);
    }
  }
}
