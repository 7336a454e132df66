// The OpenAPI 3.1 document, walked out of the route table: the same schemas fastify validates
// with, so the document cannot describe a route or a field the server does not have.

import type { RouteDoc } from './routes.js';
import { ErrorSchema, type JsonSchema } from './schemas.js';

/** The version of the HTTP API (routes under `/v1`). */
export const API_VERSION = '1.0.0';

type Parameter = {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
  description?: string;
};

function parametersOf(schema: JsonSchema | undefined, where: 'path' | 'query'): Parameter[] {
  if (!schema) return [];
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

/** `/v1/txs/:id` -> `/v1/txs/{id}` */
const pathOf = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(routes: RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = { $ref: '#/components/schemas/Error' };
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.schema ? { content: { [res.mediaType ?? 'application/json']: { schema: res.schema } } } : {}),
      };
    }
    responses['4XX'] = {
      description: 'a refused request',
      content: { 'application/json': { schema: error } },
    };
    responses['5XX'] = {
      description: 'the node cannot serve now',
      content: { 'application/json': { schema: error } },
    };
    const parameters = [...parametersOf(r.params, 'path'), ...parametersOf(r.querystring, 'query')];
    (paths[pathOf(r.url)] ??= {})[r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: r.tags,
      ...(parameters.length > 0 ? { parameters } : {}),
      // Every state-changing route needs the API token (docs/api.md, "Authentication").
      ...(r.method === 'POST' ? { security: [{ bearer: [] }] } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Weft node API',
      version: API_VERSION,
      description:
        'The HTTP API over one Weft domain node. Bytes are 0x-prefixed lowercase hex, u64 and u128 ' +
        'are decimal strings; every error is `{ error: { code, message } }` (docs/api.md).',
    },
    paths,
    components: {
      schemas: { Error: ErrorSchema },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the node API token' } },
    },
  };
}
