// The route-table type every resource module fills in, and the request parsing they share: a
// route carries its schemas, its documentation and its handler, so the server and the OpenAPI
// document are both built from the same entries.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fromHex } from '../../crypto/index.js';
import type { Domain } from '../../domain/index.js';
import type { ApiNode } from '../apiNode.js';
import { apiError } from '../errors.js';
import type { EventHub } from '../events.js';
import type { StreamShares } from '../guard.js';
import { READS_BATCH_MAX } from '../limits.js';
import type { NodeMetrics } from '../metrics.js';
import type { JsonSchema } from '../schemas.js';

export type Responses = Record<string, { description: string; schema?: JsonSchema; mediaType?: string }>;

/** A route as documented: what OpenAPI needs. */
export type RouteDoc = {
  method: 'GET' | 'POST';
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  responses: Responses;
  /**
   * An operator's call (re-initialisation): refused with 401 UNAUTHORIZED unless the node has an
   * API token and the request carries it. Every POST needs the token when one is configured.
   */
  admin?: true;
};

export type Route = RouteDoc & {
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** a long-lived stream: no automatic HEAD route (it would hold the connection open for nothing) */
  stream?: true;
};

export type RouteContext = {
  node: ApiNode;
  hub: EventHub;
  metrics: NodeMetrics;
  openapi: () => unknown;
  /** who asks, for the routes that share by client (event streams) */
  access: Access;
  /** what /health reports about the process and its connections */
  health: () => HealthExtra;
};

/** What a route may ask about the request's client. */
export type Access = {
  /** whether the request carries the API token */
  authorized(req: FastifyRequest): boolean;
  streams: StreamShares;
  /**
   * Charges the request's client `n` more state-changing requests of its rate limit (a batch
   * counts each item); throws RATE_LIMITED, taking nothing, when they would exceed it.
   */
  charge(req: FastifyRequest, reply: FastifyReply, n: number): void;
};

/** The parts of /health the server knows and the node does not. */
export type HealthExtra = {
  instance: string;
  transport: { connected: boolean; disconnects: number } | null;
};

/** One resource's entries of the route table, built over the node they serve. */
export type RouteTable = (ctx: RouteContext) => Route[];

const U64_MAX = (1n << 64n) - 1n;

export const json = (description: string, schema: JsonSchema) => ({ description, schema });

/** A decimal string the schema let through, within u64. */
export function u64Of(s: string, name: string): bigint {
  const n = BigInt(s);
  if (n > U64_MAX) throw apiError('BAD_NUMBER', `${name} is out of range (at most ${U64_MAX})`);
  return n;
}

/** A height at or below the committed tip; UNKNOWN_HEIGHT above it. */
export function heightOf(domain: Domain, s: string, name = 'height'): bigint {
  const h = u64Of(s, name);
  if (h > domain.committedHeight) {
    throw apiError(
      'UNKNOWN_HEIGHT',
      `no block at ${name} ${h}: the committed tip is ${domain.committedHeight}`,
    );
  }
  return h;
}

export const id32 = (hex: string, name: string) => fromHex(hex, 32, name);

export function notEnabled(part: string): never {
  throw apiError('NOT_ENABLED', `this node runs no ${part}`);
}

/** A comma-separated list of 0x-hex 32-byte ids (the schema bounds its length), each checked. */
export function splitIds(list: string, name: string): Uint8Array[] {
  const parts = list.split(',');
  if (parts.length > READS_BATCH_MAX)
    throw apiError('BAD_INPUT', `${name} names ${parts.length} ids: at most ${READS_BATCH_MAX}`);
  return parts.map((p, i) => id32(p, `${name}[${i}]`));
}
