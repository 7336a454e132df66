// The HTTP API over one running node (fastify): the route table registered with its schemas, one
// error shape for every failure (fastify's and node's own included), the token and rate limits of
// state-changing routes, structured logs, metrics, the event stream, and listen/close helpers.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import ajvCompiler, { type ValidatorFactory } from '@fastify/ajv-compiler';
import serializerSelector, { type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { type Logger, pino } from 'pino';
import { WeftError, type WeftErrorCode } from '../crypto/index.js';
import type { ApiNode } from './apiNode.js';
import { errorBody, httpStatusOf, type SchemaError, schemaErrorOf } from './errors.js';
import { EventHub } from './events.js';
import { isLoopbackHost, RateLimiter, StreamShares, TokenCheck } from './guard.js';
import { jsonDepthExceeds } from './jsonDepth.js';
import {
  API_BODY_BYTES_MAX,
  CONNECTION_CHECK_MS,
  HEADERS_TIMEOUT_MS,
  JSON_DEPTH_MAX,
  PATH_PARAM_CHARS_MAX,
  REQUEST_TIMEOUT_MS,
  SCHEMA_WARM_AFTER_MS,
  SSE_HEARTBEAT_MS_DEFAULT,
  SSE_REPLAY_BYTES_MAX,
  SSE_REPLAY_FRAMES_MAX,
  SUBMIT_BURST_MAX,
  SUBMIT_RATE_PER_S,
} from './limits.js';
import { NodeMetrics } from './metrics.js';
import { watchNode } from './nodeLog.js';
import { openApiDocument } from './openapi.js';
import type { HealthExtra } from './routes/route.js';
import { apiRoutes, type RouteDoc } from './routes.js';
import type { JsonSchema } from './schemas.js';
import { ErrorSchema, obj } from './schemas.js';

/** Levels of the node's log, most to least severe; `silent` logs nothing. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** This process's instance id: /health reports it, so a client can tell which process answers a port. */
export const PROCESS_INSTANCE = randomUUID();

export type ApiOptions = {
  /** heartbeat period of event streams (default SSE_HEARTBEAT_MS_DEFAULT) */
  heartbeatMs?: number;
  /** event-stream frames kept for reconnecting readers (default SSE_REPLAY_FRAMES_MAX / SSE_REPLAY_BYTES_MAX) */
  replayFramesMax?: number;
  replayBytesMax?: number;
  /** the node's logger (pino; JSON lines); wins over `logLevel` and `logger` */
  log?: Logger;
  /** level of the log the API creates on stdout when given no `log` (default `silent`, or `info` with `logger: true`) */
  logLevel?: LogLevel;
  /** log at `info` on stdout (the same as `logLevel: 'info'`) */
  logger?: boolean;
  /** called with every error answered as 500 INTERNAL (a bug or a failing part of the node) */
  onError?: (e: Error) => void;
  /**
   * The API token: every POST must carry `Authorization: Bearer <token>` (401 UNAUTHORIZED
   * otherwise). Without one, submissions and transfers are open, re-initialisation is refused,
   * and `listen` binds loopback only (INSECURE_LISTEN otherwise).
   */
  token?: string;
  /** state-changing requests per second one client may make, sustained (default SUBMIT_RATE_PER_S) */
  submitRatePerS?: number;
  /** state-changing requests one client may make at once (default SUBMIT_BURST_MAX) */
  submitBurst?: number;
  /** time a client has to send a whole request, and a connection may stay idle (default REQUEST_TIMEOUT_MS) */
  requestTimeoutMs?: number;
  /** the id /health reports (default PROCESS_INSTANCE, random per process start) */
  instance?: string;
  /**
   * compile every route's request and response schemas at start (fastify's default) instead of
   * on each route's first request; the answers are the same either way
   */
  eagerSchemas?: boolean;
};

/** A request validator as fastify calls it: a verdict, and the schema errors of a refusal. */
type Validate = ((data: unknown) => unknown) & { errors?: unknown };

/**
 * fastify's own schema compilers (ajv for requests, fast-json-stringify for responses), each
 * compiling a route's schema on the first request that needs it, or in the background once the
 * API has listened for SCHEMA_WARM_AFTER_MS (`warmSchemas`), whichever comes first. At start they
 * only record the schemas: compiling the API's ~40 routes took about a quarter of `weft node`'s
 * start-up CPU, and compiled on first use it landed in the first burst of work instead (~0.2 s of
 * each node's CPU in the cluster benchmark's transfer phase).
 *
 * @param pending holds each compile step not run yet, for `warmSchemas` (a step leaves it once it ran)
 */
function lazySchemaCompilers(pending: Set<() => void>): {
  buildValidator: ValidatorFactory;
  buildSerializer: SerializerFactory;
} {
  return {
    buildValidator: ((external: unknown, serverOpts: unknown) => {
      let compiler: ((route: unknown) => Validate) | undefined;
      return (route: unknown): Validate => {
        let fn: Validate | undefined;
        const compile = (): Validate => {
          if (fn) return fn;
          compiler ??= ajvCompiler()(external as never, serverOpts as never) as unknown as (
            route: unknown,
          ) => Validate;
          fn = compiler(route);
          pending.delete(compile);
          return fn;
        };
        pending.add(compile);
        const validate: Validate = (data) => {
          const f = compile();
          const verdict = f(data);
          validate.errors = f.errors;
          return verdict;
        };
        return validate;
      };
    }) as unknown as ValidatorFactory,
    buildSerializer: ((external: unknown, serverOpts: unknown) => {
      let compiler: ((route: unknown) => (doc: unknown) => string) | undefined;
      return (route: unknown) => {
        let fn: ((doc: unknown) => string) | undefined;
        const compile = (): ((doc: unknown) => string) => {
          if (fn) return fn;
          compiler ??= serializerSelector()(external as never, serverOpts as never) as unknown as (
            route: unknown,
          ) => (doc: unknown) => string;
          fn = compiler(route);
          pending.delete(compile);
          return fn;
        };
        pending.add(compile);
        return (doc: unknown): string => compile()(doc);
      };
    }) as unknown as SerializerFactory,
  };
}

/**
 * Runs the compile steps `pending` holds, one per turn of the event loop so that requests are
 * served in between, starting SCHEMA_WARM_AFTER_MS from now; stops when `stopped()` says so. A
 * step that throws is reported to `onError` and left to its route's first request.
 */
function warmSchemas(pending: Set<() => void>, stopped: () => boolean, onError?: (e: Error) => void): void {
  const failed = new Set<() => void>();
  const next = () => {
    if (stopped()) return;
    const step = [...pending].find((s) => !failed.has(s));
    if (step === undefined) return;
    try {
      step();
    } catch (e) {
      failed.add(step);
      onError?.(e instanceof Error ? e : new Error(String(e)));
    }
    setImmediate(next).unref();
  };
  setTimeout(next, SCHEMA_WARM_AFTER_MS).unref();
}

export type ListenOptions = { host?: string; port?: number };

export type WeftApi = {
  /** the fastify instance (e.g. for `inject` in tests) */
  app: FastifyInstance;
  /** the OpenAPI 3.1 document served at /openapi.json */
  openapi: Record<string, unknown>;
  /** the log the API writes to (the `log` option, or the one it made) */
  log: Logger;
  /** starts listening (default 127.0.0.1, a free port); resolves with the base URL */
  listen(opts?: ListenOptions): Promise<string>;
  /** ends event streams, stops listening and detaches from the node */
  close(): Promise<void>;
  /**
   * Schema compile steps (a route's request part or response) not run yet: each runs on its
   * route's first request or in the background from SCHEMA_WARM_AFTER_MS after `listen`; 0 with
   * `eagerSchemas`, and once the background pass is done
   */
  uncompiledSchemas(): number;
};

/** Fastify's request-parsing errors, by its code, as ours. */
const FASTIFY_CODES: Readonly<Record<string, WeftErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
};

/** What node's HTTP parser refuses before fastify sees a request, by node's code, as ours. */
function connectionErrorOf(err: Error & { code?: string }): { code: WeftErrorCode; message: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'REQUEST_TIMEOUT', message: 'the request was not received in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'HEADERS_TOO_LARGE', message: 'the request headers are over the size limit' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return {
        code: 'BAD_REQUEST',
        message: 'a request may not carry both Content-Length and Transfer-Encoding',
      };
    default:
      return { code: 'BAD_REQUEST', message: 'the request is not valid HTTP/1.1' };
  }
}

/** Answers a request node's parser refused, in the one error shape, and closes the connection. */
function answerConnectionError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = connectionErrorOf(err);
  const status = httpStatusOf(code, 'request');
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The log the API writes to when it is given none. */
function defaultLog(opts: ApiOptions): Logger {
  return pino({ level: opts.logLevel ?? (opts.logger ? 'info' : 'silent'), base: { pid: process.pid } });
}

/**
 * The API over `node`, not yet listening.
 *
 * @example
 * const api = await createApi({ domain, network, driver }, { token, logLevel: 'info' });
 * const url = await api.listen({ port: 8080 });
 * const client = new WeftClient(url, { token });
 */
export async function createApi(node: ApiNode, opts: ApiOptions = {}): Promise<WeftApi> {
  const tokens = new TokenCheck(opts.token);
  const requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const log = opts.log ?? defaultLog(opts);
  /** route schema compile steps not run yet (lazySchemaCompilers) */
  const uncompiled = new Set<() => void>();
  let closed = false;
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per request, written in onResponse below (fastify's own are two).
    logController: new Fastify.LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    bodyLimit: API_BODY_BYTES_MAX,
    routerOptions: { maxParamLength: PATH_PARAM_CHARS_MAX },
    requestTimeout: requestTimeoutMs,
    // Idle connections between requests close after the same time; a silent socket is dropped
    // just after the request timeout, which answers 408 first.
    keepAliveTimeout: requestTimeoutMs,
    connectionTimeout: requestTimeoutMs + 2 * CONNECTION_CHECK_MS,
    http: {
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
      connectionsCheckingInterval: Math.min(CONNECTION_CHECK_MS, requestTimeoutMs),
    },
    clientErrorHandler: answerConnectionError,
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const code = FASTIFY_CODES[err.code] ?? 'BAD_REQUEST';
      void reply.code(httpStatusOf(code, 'request')).send(errorBody(code, err.message));
    },
    return503OnClosing: true,
    // A response schema's `anyOf` branches are checked by ajv validators that fast-json-stringify
    // would otherwise compile on the first response reaching each one (measured: 40–60 ms of each
    // node's CPU inside the cluster benchmark's transfer phase); compiled with the serializer, they
    // move to the background warm-up (or to start, with `opts.eagerSchemas`).
    serializerOpts: { compileValidators: true },
    ajv: {
      // Unknown fields are refused, not dropped; nothing is coerced (u64 travel as strings).
      customOptions: { removeAdditional: false, coerceTypes: false, allowUnionTypes: true },
    },
    // Each route's schemas compile on its first request or in the background once listening, not
    // at start: a restarted node serves sooner (issue 17, target 5). `opts.eagerSchemas` compiles
    // them all at start instead.
    schemaController: opts.eagerSchemas ? {} : { compilersFactory: lazySchemaCompilers(uncompiled) },
  });
  // Bodies are JSON only: anything else is 415 UNSUPPORTED_MEDIA_TYPE, not a string to validate.
  app.removeContentTypeParser('text/plain');
  // JSON nested deeper than JSON_DEPTH_MAX is refused by one linear scan before it is parsed,
  // so a deep body costs no more than reading it; prototype poisoning stays refused as before.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonDepthExceeds(body as string, JSON_DEPTH_MAX)) {
      done(new WeftError('JSON_TOO_DEEP', `the body nests arrays and objects deeper than ${JSON_DEPTH_MAX}`));
      return;
    }
    parseJson(req, body as string, (err, value) => {
      // Every body this API takes is an object: say so, rather than what a schema rule of it says.
      if (!err && (value === null || typeof value !== 'object' || Array.isArray(value))) {
        done(new WeftError('BAD_TYPE', 'body must be a JSON object'));
        return;
      }
      done(err, value);
    });
  });

  const metrics = new NodeMetrics(node);
  const hub = new EventHub(node, opts.heartbeatMs ?? SSE_HEARTBEAT_MS_DEFAULT, {
    frames: opts.replayFramesMax ?? SSE_REPLAY_FRAMES_MAX,
    bytes: opts.replayBytesMax ?? SSE_REPLAY_BYTES_MAX,
  });
  metrics.eventStreams = () => hub.size;
  const limiter = new RateLimiter(
    opts.submitRatePerS ?? SUBMIT_RATE_PER_S,
    opts.submitBurst ?? SUBMIT_BURST_MAX,
  );
  const access = {
    authorized: (req: FastifyRequest) => tokens.accepts(req.headers.authorization),
    streams: new StreamShares(),
    charge: (req: FastifyRequest, reply: FastifyReply, n: number) => {
      if (n <= 0) return;
      const waitS = limiter.take(req.ip, n);
      if (waitS > 0) {
        reply.header('retry-after', String(waitS));
        throw new WeftError('RATE_LIMITED', `too many state-changing requests; retry in ${waitS} s`);
      }
    },
  };
  const instance = opts.instance ?? PROCESS_INSTANCE;
  const health = (): HealthExtra => {
    const t = node.transport?.stats();
    return {
      instance,
      transport: t ? { connected: t.connected, disconnects: t.disconnects } : null,
    };
  };
  let openapi: Record<string, unknown> = {};
  const routes = apiRoutes({ node, hub, metrics, openapi: () => openapi, access, health });
  openapi = openApiDocument(routes);

  app.setErrorHandler((err: FastifyError, req, reply) => {
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
    req.log.error({ err }, 'internal error');
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
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // Reads are public: a dashboard served by one node reads every other node of the network too.
    // Set on the raw response so the event stream (written by the hub, not fastify) carries it too.
    if (req.method === 'GET' || req.method === 'HEAD')
      reply.raw.setHeader('access-control-allow-origin', '*');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    // Reads are polled: they log at debug; every state-changing request logs at info.
    const level = req.method === 'POST' ? 'info' : 'debug';
    req.log[level](
      { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  // Event streams never end by themselves: close them before the server waits for connections.
  app.addHook('preClose', async () => hub.close());
  app.addHook('onClose', async () => {
    unwatch();
    metrics.close();
  });

  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      schema: fastifySchema(r),
      exposeHeadRoute: r.stream !== true,
      // The token and the rate are checked before the body is read: a refused client costs nothing.
      ...(r.method === 'POST'
        ? {
            onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
              if ((r.admin || tokens.configured) && !tokens.accepts(req.headers.authorization)) {
                const message = tokens.configured
                  ? 'this route needs Authorization: Bearer <the API token>'
                  : 'this node has no API token configured: operator routes are closed';
                reply.header('www-authenticate', 'Bearer realm="weft"');
                throw new WeftError('UNAUTHORIZED', message);
              }
              const waitS = limiter.take(req.ip);
              if (waitS > 0) {
                reply.header('retry-after', String(waitS));
                throw new WeftError('RATE_LIMITED', `too many state-changing requests; retry in ${waitS} s`);
              }
            },
          }
        : {}),
      handler: r.handler,
    });
  }
  const unwatch = watchNode(node, log, metrics);
  hub.start();
  await app.ready();
  return {
    app,
    openapi,
    log,
    listen: async (l: ListenOptions = {}) => {
      const host = l.host ?? '127.0.0.1';
      if (!tokens.configured && !isLoopbackHost(host)) {
        throw new WeftError(
          'INSECURE_LISTEN',
          `the API would listen on ${host} without a token: configure one (ApiOptions.token) or listen on loopback`,
        );
      }
      const url = await app.listen({ host, port: l.port ?? 0 });
      warmSchemas(uncompiled, () => closed, opts.onError);
      return url;
    },
    close: () => {
      closed = true;
      return app.close();
    },
    uncompiledSchemas: () => uncompiled.size,
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
