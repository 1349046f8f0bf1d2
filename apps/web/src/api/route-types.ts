// Names for the request and answer types of a gateway route, read from the generated OpenAPI types
// (gateway-api.generated.ts), so a route client's types change when the gateway's do.
import type { paths } from './gateway-api.generated';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON body route `P` takes with method `M`. */
export type RouteBody<P extends keyof paths, M extends Method> = Operation<P, M> extends { requestBody?: infer Request } ? Json<NonNullable<Request>> : never;

/** The JSON route `P` answers method `M` with on success (200, 201 or 202). */
export type RouteAnswer<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer Responses }
    ? { [Status in keyof Responses & (200 | 201 | 202)]: Json<Responses[Status]> }[keyof Responses & (200 | 201 | 202)]
    : never;
