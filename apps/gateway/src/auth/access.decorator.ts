// Every REST route declares who may call it: `@Access(Permission.X)`, `@Access('authenticated')` (any logged-in
// user) or `@Access('public')`. The guard enforces it, and a route without a declaration stops the gateway at
// start (RouteAccessCheck): an undeclared route is an error, not an open door.
import { SetMetadata } from '@nestjs/common';
import type { Permission } from '@aico/policy';

export type RouteAccess = Permission | 'authenticated' | 'public';
export const ACCESS_METADATA = 'aico:access';
export const Access = (access: RouteAccess) => SetMetadata(ACCESS_METADATA, access);
