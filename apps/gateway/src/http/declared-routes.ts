// The REST routes of a set of controllers read from Nest's own route metadata (path, method, status code) and the
// gateway's declarations on them (@Access, @Doc, @ValidBody, @ValidQuery), without running an app: the access check at start, the OpenAPI
// document and `tools/scripts/api-check.mjs` all read routes through here.
import { HttpStatus, RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ACCESS_METADATA, type RouteAccess } from '../auth/access.decorator';
import { DOC_METADATA, type RouteDoc } from './doc.decorator';
import { declaredInput } from './valid-input';

export interface DeclaredRoute {
  readonly method: string;
  /** Below the API prefix, Nest's form: `/users/:id`. */
  readonly path: string;
  /** `<Controller>.<method>`: the OpenAPI operationId. */
  readonly handler: string;
  readonly access: RouteAccess | undefined;
  readonly doc: RouteDoc | undefined;
  /** The success status: @HttpCode, else Nest's default (201 for POST, 200 otherwise). */
  readonly status: number;
}

const joinPath = (...parts: string[]) =>
  `/${parts
    .map((part) => part.replace(/^\/|\/$/g, ''))
    .filter(Boolean)
    .join('/')}`;

/** Method names of a class and its ancestors, as Nest's MetadataScanner finds them. */
function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let current: object | null = prototype; current && current !== Object.prototype; current = Object.getPrototypeOf(current) as object | null) {
    for (const name of Object.getOwnPropertyNames(current)) {
      const descriptor = Object.getOwnPropertyDescriptor(current, name);
      if (name !== 'constructor' && typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

export function declaredRoutes(controllers: readonly Type[]): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  for (const controller of controllers) {
    const base = String((Reflect.getMetadata(PATH_METADATA, controller) as string | undefined) ?? '');
    const prototype = controller.prototype as Record<string, object>;
    for (const name of methodNames(prototype)) {
      const handler = prototype[name]!;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) continue; // a bus handler or a helper
      const httpCode = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
      const doc = Reflect.getMetadata(DOC_METADATA, handler) as RouteDoc | undefined;
      routes.push({
        method: RequestMethod[method],
        path: joinPath(base, path),
        handler: `${controller.name}.${name}`,
        access: Reflect.getMetadata(ACCESS_METADATA, handler) as RouteAccess | undefined,
        doc: doc && { ...doc, ...declaredInput(handler) },
        status: httpCode ?? (method === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK),
      });
    }
  }
  return routes;
}
