// The route-table type every resource module fills in, and the request parsing they share: a
// route carries its schemas, its documentation and its handler, so the server and the OpenAPI
// document are both built from the same entries.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fromHex } from '../../crypto/index.js';
import type { Domain } from '../../domain/index.js';
import type { ApiNode } from '../apiNode.js';
import { apiError } from '../errors.js';
import type { EventHub } from '../events.js';
import type { NodeCounters } from '../metrics.js';
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
};

export type Route = RouteDoc & {
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** a long-lived stream: no automatic HEAD route (it would hold the connection open for nothing) */
  stream?: true;
};

export type RouteContext = {
  node: ApiNode;
  hub: EventHub;
  counters: NodeCounters;
  openapi: () => unknown;
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
