// The HTTP API over one running node (fastify): the route table registered with its schemas, one
// error shape for every failure, request counters, the event stream, and listen/close helpers.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { WeftError, type WeftErrorCode } from '../crypto/index.js';
import type { ApiNode } from './apiNode.js';
import { errorBody, httpStatusOf, type SchemaError, schemaErrorOf } from './errors.js';
import { EventHub } from './events.js';
import {
  API_BODY_BYTES_MAX,
  PATH_PARAM_CHARS_MAX,
  REQUEST_TIMEOUT_MS,
  SSE_HEARTBEAT_MS_DEFAULT,
} from './limits.js';
import { NodeCounters, requestKey } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { apiRoutes, type RouteDoc } from './routes.js';
import type { JsonSchema } from './schemas.js';
import { ErrorSchema, obj } from './schemas.js';

export type ApiOptions = {
  /** heartbeat period of event streams (default SSE_HEARTBEAT_MS_DEFAULT) */
  heartbeatMs?: number;
  /** fastify's logger (default off) */
  logger?: boolean;
  /** called with every error answered as 500 INTERNAL (a bug or a failing part of the node) */
  onError?: (e: Error) => void;
};

export type ListenOptions = { host?: string; port?: number };

export type WeftApi = {
  /** the fastify instance (e.g. for `inject` in tests) */
  app: FastifyInstance;
  /** the OpenAPI 3.1 document served at /openapi.json */
  openapi: Record<string, unknown>;
  /** starts listening (default 127.0.0.1, a free port); resolves with the base URL */
  listen(opts?: ListenOptions): Promise<string>;
  /** ends event streams, stops listening and detaches from the node */
  close(): Promise<void>;
};

/** Fastify's request-parsing errors, by its code, as ours. */
const FASTIFY_CODES: Readonly<Record<string, WeftErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

/**
 * The API over `node`, not yet listening.
 *
 * @example
 * const api = await createApi({ domain, network, driver });
 * const url = await api.listen({ port: 8080 });
 * const client = new WeftClient(url);
 */
export async function createApi(node: ApiNode, opts: ApiOptions = {}): Promise<WeftApi> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: API_BODY_BYTES_MAX,
    routerOptions: { maxParamLength: PATH_PARAM_CHARS_MAX },
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    ajv: {
      // Unknown fields are refused, not dropped; nothing is coerced (u64 travel as strings).
      customOptions: { removeAdditional: false, coerceTypes: false, allowUnionTypes: true },
    },
  });
  // Bodies are JSON only: anything else is 415 UNSUPPORTED_MEDIA_TYPE, not a string to validate.
  app.removeContentTypeParser('text/plain');
  const counters = new NodeCounters();
  const hub = new EventHub(node, opts.heartbeatMs ?? SSE_HEARTBEAT_MS_DEFAULT);
  let openapi: Record<string, unknown> = {};
  const routes = apiRoutes({ node, hub, counters, openapi: () => openapi });
  openapi = openApiDocument(routes);

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const validation = err.validation as SchemaError[] | undefined;
    if (validation && validation.length > 0) {
      const { code, message } = schemaErrorOf(err.validationContext ?? 'request', validation);
      return reply.code(httpStatusOf(code, 'request')).send(errorBody(code, message));
    }
    if (err instanceof WeftError) {
      return reply.code(httpStatusOf(err.code, 'request')).send(errorBody(err.code, err.shortMessage));
    }
    const ours = FASTIFY_CODES[err.code];
    if (ours) return reply.code(httpStatusOf(ours, 'request')).send(errorBody(ours, err.message));
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's other client errors (a body that does not parse, a bad Content-Length) are 400.
      const code = err instanceof SyntaxError ? 'BAD_JSON' : 'BAD_REQUEST';
      return reply.code(httpStatusOf(code, 'request')).send(errorBody(code, err.message));
    }
    reply.log.error(err);
    opts.onError?.(err);
    return reply
      .code(httpStatusOf('INTERNAL', 'request'))
      .send(errorBody('INTERNAL', 'internal error; the node log has the details'));
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(httpStatusOf('NOT_FOUND', 'request'))
      .send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
  app.addHook('onResponse', async (req, reply) => {
    counters.requests.add(requestKey(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode));
  });
  // Event streams never end by themselves: close them before the server waits for connections.
  app.addHook('preClose', async () => hub.close());
  app.addHook('onClose', async () => detach());

  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      schema: fastifySchema(r),
      exposeHeadRoute: r.stream !== true,
      handler: r.handler,
    });
  }
  const detach = counters.attach(node);
  hub.start();
  await app.ready();
  return {
    app,
    openapi,
    listen: async (l: ListenOptions = {}) => app.listen({ host: l.host ?? '127.0.0.1', port: l.port ?? 0 }),
    close: () => app.close(),
  };
}

const NO_QUERY = obj({});

/** The part of a route's documentation fastify validates and serializes with. */
function fastifySchema(r: RouteDoc): Record<string, unknown> {
  const response: Record<string, JsonSchema> = { '4xx': ErrorSchema, '5xx': ErrorSchema };
  for (const [status, res] of Object.entries(r.responses)) {
    if (res.schema && res.mediaType === undefined) response[status] = res.schema;
  }
  return {
    ...(r.params ? { params: r.params } : {}),
    // A route without query parameters still refuses any (UNKNOWN_FIELD), like every other part.
    querystring: r.querystring ?? NO_QUERY,
    ...(r.body ? { body: r.body } : {}),
    response,
  };
}
