// Operations routes: what the node runs (info), its event stream, liveness, metrics and this
// API's own OpenAPI document.
import { toHex } from '../../crypto/index.js';
import { apiError } from '../errors.js';
import { eventTypesOf } from '../events.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';
import * as S from '../schemas.js';
import { keySetToJson } from '../wire.js';
import { json, type Route, type RouteContext } from './route.js';

/** The domain this node runs. */
export function infoRoutes({ node }: RouteContext): Route[] {
  const domain = node.domain;
  return [
    {
      method: 'GET',
      url: '/v1/info',
      operationId: 'getInfo',
      summary: 'The domain this node runs: name, id, key set and tips',
      tags: ['domain'],
      responses: { 200: json('the domain', S.InfoSchema) },
      handler: async () => ({
        name: domain.name,
        domainId: toHex(domain.id),
        keySet: keySetToJson(domain.keySet),
        committedHeight: domain.committedHeight.toString(),
        provenHeight: domain.provenHeight.toString(),
        mempool: domain.mempoolSize,
        anchorPolicy: domain.anchorPolicy,
        ...(node.mode ? { mode: node.mode } : {}),
      }),
    },
  ];
}

/** Events, health, metrics and the OpenAPI document. */
export function operationRoutes(ctx: RouteContext): Route[] {
  const { node } = ctx;
  const domain = node.domain;
  return [
    {
      method: 'GET',
      url: '/v1/events',
      operationId: 'streamEvents',
      summary: 'Server-Sent Events: blockSealed, remoteAccepted, refused, transferPhase',
      description:
        'Each event is `id`, `event` (its type) and `data` (one JSON object); comment lines ' +
        '(`: heartbeat`) keep the stream alive. Filter with `types=blockSealed,refused`. A reader ' +
        'that reconnects with `Last-Event-ID` (or `lastEventId=`) gets the frames it missed, or a ' +
        '`reset` event when they are no longer kept (docs/api.md, "Event stream").',
      tags: ['events'],
      stream: true,
      querystring: S.EventsQuery,
      responses: {
        200: {
          description: 'the event stream',
          mediaType: 'text/event-stream',
          schema: { type: 'string' },
        },
      },
      handler: async (req, reply) => {
        if (ctx.hub.full) throw apiError('TOO_MANY_STREAMS', 'too many event streams are open; retry later');
        // A client without the token gets a share of the streams, never all of them.
        let release = () => {};
        if (!ctx.access.authorized(req)) {
          const refusal = ctx.access.streams.refusal(req.ip);
          if (refusal) {
            reply.header('retry-after', '5');
            throw apiError('RATE_LIMITED', `${refusal}; retry later or send the API token`);
          }
          release = ctx.access.streams.open(req.ip);
        }
        const query = req.query as { types?: string; lastEventId?: string };
        const types = eventTypesOf(query.types);
        const header = req.headers['last-event-id'];
        const lastEventId = (Array.isArray(header) ? header[0] : header) ?? query.lastEventId;
        reply.hijack();
        reply.raw.on('close', release);
        ctx.hub.open(reply.raw, types, lastEventId);
        return reply;
      },
    },
    {
      method: 'GET',
      url: '/health',
      operationId: 'health',
      summary: 'Liveness: the domain, its heights, how many domains it follows, its transport',
      description:
        '`ok` is false while the message transport (NATS) is disconnected: the node serves reads ' +
        'but neither sends nor receives root updates. `instance` is random per process start.',
      tags: ['operations'],
      responses: { 200: json('the node is serving', S.HealthSchema) },
      handler: async () => {
        const extra = ctx.health();
        return {
          ok: extra.transport === null || extra.transport.connected,
          instance: extra.instance,
          transport: extra.transport,
          name: domain.name,
          domainId: toHex(domain.id),
          height: domain.committedHeight.toString(),
          provenHeight: domain.provenHeight.toString(),
          peers: node.router?.syncOf(domain.id)?.list().length ?? 0,
          mempool: domain.mempoolSize,
        };
      },
    },
    {
      method: 'GET',
      url: '/metrics',
      operationId: 'metrics',
      summary: 'Metrics in the Prometheus text exposition format (names prefixed weft_)',
      tags: ['operations'],
      responses: {
        200: { description: 'the metrics', mediaType: 'text/plain', schema: { type: 'string' } },
      },
      handler: async (_req, reply) => {
        reply.type(METRICS_CONTENT_TYPE);
        return ctx.metrics.text();
      },
    },
    {
      method: 'GET',
      url: '/openapi.json',
      operationId: 'openapi',
      summary: 'This document: OpenAPI 3.1, built from the route table',
      tags: ['operations'],
      responses: {
        200: {
          description: 'the OpenAPI document',
          schema: { type: 'object' },
          mediaType: 'application/json',
        },
      },
      handler: async (_req, reply) => {
        reply.type('application/json; charset=utf-8');
        return JSON.stringify(ctx.openapi());
      },
    },
  ];
}
