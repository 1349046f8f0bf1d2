// At start, every REST route must declare its access (see access.decorator.ts); one that does not stops the
// gateway with its method, path and handler named.
import { Injectable, RequestMethod, type OnModuleInit } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_METADATA } from './access.decorator';

export interface DeclaredRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: string;
  readonly access: string | undefined;
}

@Injectable()
export class RouteAccessCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** Every HTTP route of the app with its declared access. */
  routes(): DeclaredRoute[] {
    const routes: DeclaredRoute[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.metatype) continue;
      const base = String(this.reflector.get<string>(PATH_METADATA, wrapper.metatype) ?? '');
      for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        const handler = instance[name] as object;
        const path = this.reflector.get<string | undefined>(PATH_METADATA, handler as never);
        const method = this.reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler as never);
        if (path === undefined || method === undefined) continue; // a bus handler or a helper
        routes.push({
          method: RequestMethod[method],
          path: `/${[base, path].map((part) => part.replace(/^\/|\/$/g, '')).filter(Boolean).join('/')}`,
          handler: `${wrapper.metatype.name}.${name}`,
          access: this.reflector.get<string | undefined>(ACCESS_METADATA, handler as never),
        });
      }
    }
    return routes;
  }

  onModuleInit(): void {
    const undeclared = this.routes().filter((route) => route.access === undefined);
    if (undeclared.length > 0) {
      throw new Error(`Routes without a declared access rule (add @Access(...)): ${undeclared.map((r) => `${r.method} ${r.path} (${r.handler})`).join(', ')}`);
    }
  }
}
