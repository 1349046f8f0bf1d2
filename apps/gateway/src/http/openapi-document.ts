// The OpenAPI 3.1 document of the REST API, built from the controllers' own declarations without running the app:
// Nest's route metadata (paths, methods, status codes), each route's access (@Access) and its zod schemas (@Doc:
// body, query, response). The gateway serves it (openapi.ts), and `tools/scripts/api-check.mjs` writes it and the
// web client's types from the built gateway. A route without a summary, or without a response schema while it
// answers something other than 204, cannot be documented: building the document fails and names it.
import type { Type } from '@nestjs/common';
import { z } from '@aico/config';
import { declaredRoutes, type DeclaredRoute } from './declared-routes';

export const API_PREFIX = '/api/v1';

export type JsonSchema = Record<string, unknown>;
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string };
  readonly components: Record<string, unknown>;
  readonly security: readonly Record<string, readonly string[]>[];
  readonly paths: Record<string, Record<string, unknown>>;
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' }, requestId: { type: 'string' } },
    },
  },
};

/** A zod schema as JSON Schema for the document (the per-schema `$schema` line left out: the document sets it). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const converted = z.toJSONSchema(schema, { io }) as JsonSchema;
  delete converted['$schema'];
  return converted;
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

function undocumentable(route: DeclaredRoute): string | undefined {
  if (!route.doc) return 'no @Doc(summary, { response })';
  if (route.status === 204 && route.doc.response) return 'answers 204 but declares a response schema';
  if (route.status !== 204 && !route.doc.response) return `answers ${route.status} but declares no response schema`;
  return undefined;
}

function operation(route: DeclaredRoute, path: string): Record<string, unknown> {
  const doc = route.doc!;
  const parameters: Record<string, unknown>[] = [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (doc.query) {
    const query = jsonSchema(doc.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {}))
      parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
  }
  const content = (schema: JsonSchema) => (doc.fileTypes ? Object.fromEntries(doc.fileTypes.map((type) => [type, { schema }])) : json(schema));
  const success = doc.response
    ? Object.fromEntries(
        [route.status, ...(doc.alsoAnswers ?? [])].map((status) => [
          String(status),
          { description: status < 400 ? 'Success' : 'The same report, not successful', content: content(jsonSchema(doc.response!, 'output')) },
        ]),
      )
    : { [String(route.status)]: { description: 'Done; no content' } };
  return {
    summary: doc.summary,
    operationId: route.handler,
    'x-aico-access': route.access,
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body ? { requestBody: { required: true, content: json(jsonSchema(doc.body, 'input')) } } : {}),
    responses: { ...success, default: { description: 'An error', content: json({ $ref: '#/components/schemas/Error' }) } },
  };
}

export function buildOpenApiDocument(controllers: readonly Type[]): OpenApiDocument {
  const routes = declaredRoutes(controllers);
  const problems = routes.flatMap((route) => {
    const problem = undocumentable(route);
    return problem ? [`${route.method} ${route.path} (${route.handler}): ${problem}`] : [];
  });
  if (problems.length > 0) throw new Error(`Routes the OpenAPI document cannot describe: ${problems.join('; ')}`);
  const paths: Record<string, Record<string, unknown>> = {};
  const located = routes.map((route) => ({ route, path: `${API_PREFIX}${route.path}`.replace(/:(\w+)/g, '{$1}') }));
  // Paths in order, so the written document changes only where the API does.
  for (const { route, path } of located.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, path);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'aico gateway', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: { Error: ERROR_SCHEMA } },
    security: [{ bearer: [] }],
    paths,
  };
}
