// The route table: every route with its schemas, its documentation and its handler. The server
// registers it with fastify and the OpenAPI document is built from it, so neither can miss one.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fromHex, toHex } from '../crypto/index.js';
import type { Domain, SignedHeader } from '../domain/index.js';
import { decodeKeySet, decodeSignedHeader, encodeBlock, headerHash } from '../domain/index.js';
import { encodeProof } from '../smt/index.js';
import { forkHeight, type RemoteView } from '../sync/index.js';
import { decodeTransaction, parseTransactionJson, type TransactionJson } from '../tx/index.js';
import { apiError, httpStatusOf } from './errors.js';
import { type EventHub, eventTypesOf } from './events.js';
import {
  ROOTS_RANGE_DEFAULT,
  ROOTS_RANGE_MAX,
  TRANSFERS_LIST_DEFAULT,
  TRANSFERS_LIST_MAX,
} from './limits.js';
import { collectMetrics, formatMetrics, METRICS_CONTENT_TYPE, type NodeCounters } from './metrics.js';
import type { ApiNode } from './node.js';
import type { JsonSchema } from './schemas.js';
import * as S from './schemas.js';
import {
  blockToJson,
  bytesOf,
  headerToJson,
  keySetToJson,
  planFromJson,
  reinitToJson,
  signedHeaderToJson,
  stateProofToJson,
  statusToJson,
  type TransferPlanJson,
  transferToJson,
  waitToJson,
} from './wire.js';

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

const U64_MAX = (1n << 64n) - 1n;

const json = (description: string, schema: JsonSchema) => ({ description, schema });

/** A decimal string the schema let through, within u64. */
function u64Of(s: string, name: string): bigint {
  const n = BigInt(s);
  if (n > U64_MAX) throw apiError('BAD_NUMBER', `${name} is out of range (at most ${U64_MAX})`);
  return n;
}

/** A height at or below the committed tip; UNKNOWN_HEIGHT above it. */
function heightOf(domain: Domain, s: string, name = 'height'): bigint {
  const h = u64Of(s, name);
  if (h > domain.committedHeight) {
    throw apiError(
      'UNKNOWN_HEIGHT',
      `no block at ${name} ${h}: the committed tip is ${domain.committedHeight}`,
    );
  }
  return h;
}

const id32 = (hex: string, name: string) => fromHex(hex, 32, name);

/** A remote as the sync layer (`view`, when the node has a network) and the domain's tree see it. */
function remoteToJson(domain: Domain, domainId: Uint8Array, view: RemoteView | undefined) {
  const recorded = domain.remoteHeader(domainId);
  if (!view && !recorded) throw apiError('UNKNOWN_DOMAIN', `this node follows no domain ${toHex(domainId)}`);
  return {
    domainId: toHex(domainId),
    name: view?.name ?? null,
    head: view ? signedHeaderToJson(view.head) : null,
    recorded: recorded ? headerToJson(recorded) : null,
    frozen: view ? view.frozen !== null : false,
    frozenFromHeight: view?.frozen ? forkHeight(view.frozen).toString() : null,
  };
}

function notEnabled(part: string): never {
  throw apiError('NOT_ENABLED', `this node runs no ${part}`);
}

/** Every route of the API. */
export function apiRoutes(ctx: RouteContext): Route[] {
  const { node } = ctx;
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
      }),
    },
    {
      method: 'POST',
      url: '/v1/txs',
      operationId: 'submitTransaction',
      summary: 'Submit a transaction (canonical hex or JSON form)',
      description:
        'Answers 202 with the pending status once admitted (durable first on a node with a store), ' +
        '200 when the transaction was already included, and for a refusal the status the error ' +
        "table gives the rejection code, with the error, the transaction's id and its status.",
      tags: ['transactions'],
      body: S.SubmitBody,
      responses: {
        200: json('already included', S.SubmitResultSchema),
        202: json('admitted to the mempool', S.SubmitResultSchema),
      },
      handler: async (req, reply) => {
        const body = req.body as { tx?: string; json?: TransactionJson };
        const tx =
          body.tx !== undefined
            ? decodeTransaction(bytesOf(body.tx, 'body.tx'))
            : parseTransactionJson(body.json);
        const r = await domain.submit(tx);
        const txId = toHex(r.txId);
        const status = statusToJson(r.status);
        if (r.status.status === 'rejected' || r.status.status === 'evicted') {
          reply.code(httpStatusOf(r.status.code, 'rejection'));
          return { error: { code: r.status.code, message: r.status.reason }, txId, status };
        }
        reply.code(r.status.status === 'pending' ? 202 : 200);
        return { txId, status };
      },
    },
    {
      method: 'GET',
      url: '/v1/txs/:id',
      operationId: 'getTransactionStatus',
      summary: 'The status of a transaction: pending, included, rejected or evicted',
      tags: ['transactions'],
      params: S.TxIdParam,
      responses: { 200: json('its status', S.SubmitResultSchema) },
      handler: async (req) => {
        const { id } = req.params as { id: string };
        const status = domain.status(id32(id, 'id'));
        if (!status) throw apiError('UNKNOWN_TX', `transaction ${id} is unknown to this domain`);
        return { txId: id, status: statusToJson(status) };
      },
    },
    {
      method: 'GET',
      url: '/v1/blocks/:height',
      operationId: 'getBlock',
      summary: 'A block: its header, transaction ids by batch, and its canonical encoding',
      tags: ['blocks'],
      params: S.HeightParam,
      responses: { 200: json('the block', S.BlockJsonSchema) },
      handler: async (req) => {
        const h = heightOf(domain, (req.params as { height: string }).height);
        const block = domain.block(h);
        if (!block) throw apiError('UNKNOWN_HEIGHT', `no block at height ${h}`);
        return blockToJson(block, encodeBlock(block));
      },
    },
    {
      method: 'GET',
      url: '/v1/headers/:height',
      operationId: 'getHeader',
      summary: 'A signed header by height, or `latest`',
      tags: ['blocks'],
      params: S.HeaderHeightParam,
      responses: { 200: json('the signed header', S.SignedHeaderJsonSchema) },
      handler: async (req) => {
        const p = (req.params as { height: string }).height;
        const h = p === 'latest' ? domain.committedHeight : heightOf(domain, p);
        const signed = domain.header(h);
        if (!signed) throw apiError('UNKNOWN_HEIGHT', `no header at height ${h}`);
        return signedHeaderToJson(signed);
      },
    },
    {
      method: 'GET',
      url: '/v1/root',
      operationId: 'getStateRoot',
      summary: 'The state root at the committed tip, with the committed and proven heights',
      tags: ['blocks'],
      responses: { 200: json('the current root', S.RootSchema) },
      handler: async () => {
        const signed = domain.header() as SignedHeader;
        return {
          height: signed.header.height.toString(),
          stateRoot: toHex(signed.header.stateRoot),
          headerHash: toHex(headerHash(signed.header)),
          timestamp: signed.header.timestamp.toString(),
          committedHeight: domain.committedHeight.toString(),
          provenHeight: domain.provenHeight.toString(),
        };
      },
    },
    {
      method: 'GET',
      url: '/v1/roots',
      operationId: 'getRootHistory',
      summary: `State roots over a range of heights (at most ${ROOTS_RANGE_MAX})`,
      description:
        '`to` is capped at the committed tip. Given only `from`, the range runs from it for up to ' +
        `${ROOTS_RANGE_MAX} heights (pages); given neither, it is the latest ${ROOTS_RANGE_DEFAULT} ` +
        `heights; given only \`to\`, the ${ROOTS_RANGE_DEFAULT} up to it. A \`from\` above the tip is UNKNOWN_HEIGHT.`,
      tags: ['blocks'],
      querystring: S.RootsQuery,
      responses: { 200: json('roots, ascending by height', S.RootsSchema) },
      handler: async (req) => {
        const q = req.query as { from?: string; to?: string };
        const tip = domain.committedHeight;
        const min = (a: bigint, b: bigint) => (a < b ? a : b);
        let from: bigint;
        let to: bigint;
        if (q.from !== undefined) {
          from = heightOf(domain, q.from, 'from');
          to = min(q.to === undefined ? from + BigInt(ROOTS_RANGE_MAX - 1) : u64Of(q.to, 'to'), tip);
        } else {
          to = min(q.to === undefined ? tip : u64Of(q.to, 'to'), tip);
          const span = BigInt(ROOTS_RANGE_DEFAULT - 1);
          from = to > span ? to - span : 0n;
        }
        if (from > to) throw apiError('BAD_RANGE', `from (${from}) is above to (${to})`);
        if (to - from + 1n > BigInt(ROOTS_RANGE_MAX)) {
          throw apiError('BAD_RANGE', `a range covers at most ${ROOTS_RANGE_MAX} heights`);
        }
        const roots = [];
        for (let h = from; h <= to; h++) {
          const s = domain.header(h);
          if (!s) throw apiError('UNKNOWN_HEIGHT', `no header at height ${h}`);
          roots.push({
            height: h.toString(),
            stateRoot: toHex(s.header.stateRoot),
            headerHash: toHex(headerHash(s.header)),
            timestamp: s.header.timestamp.toString(),
          });
        }
        return { roots };
      },
    },
    ...(['commitment', 'nullifier'] as const).map(
      (kind): Route => ({
        method: 'GET',
        url: kind === 'commitment' ? '/v1/proofs/commitments/:cm' : '/v1/proofs/nullifiers/:nf',
        operationId: kind === 'commitment' ? 'proveCommitment' : 'proveNullifier',
        summary:
          kind === 'commitment'
            ? 'Proof that a commitment is (or is not) in the tree at a height'
            : 'Proof that a nullifier is spent (present) or not (absent) at a height',
        description:
          'The value is the u64 height the key was written at, or null for absence. Verify with ' +
          '`verifyProof(root, key, value, decodeProof(proof))` against a root you trust.',
        tags: ['proofs'],
        params: kind === 'commitment' ? S.CommitmentParam : S.NullifierParam,
        querystring: S.ProofQuery,
        responses: { 200: json('the proof', S.StateProofJsonSchema) },
        handler: async (req) => {
          const p = req.params as { cm?: string; nf?: string };
          const { height } = req.query as { height?: string };
          const h = height === undefined ? undefined : heightOf(domain, height);
          const proof =
            kind === 'commitment'
              ? domain.proveCommitment(id32(p.cm!, 'cm'), h)
              : domain.proveNullifier(id32(p.nf!, 'nf'), h);
          return stateProofToJson(proof);
        },
      }),
    ),
    {
      method: 'GET',
      url: '/v1/anchors/:root',
      operationId: 'getAnchor',
      summary: 'Whether a transaction may anchor on this root here now',
      tags: ['proofs'],
      params: S.RootParam,
      responses: { 200: json('the answer', S.AnchorSchema) },
      handler: async (req) => {
        const { root } = req.params as { root: string };
        return { root, accepted: domain.acceptsAnchor(id32(root, 'root')) };
      },
    },
    {
      method: 'GET',
      url: '/v1/remotes',
      operationId: 'listRemotes',
      summary: 'Remote views: the latest accepted header of every domain this node follows',
      tags: ['sync'],
      responses: { 200: json('the views, in domain id order', S.RemotesSchema) },
      handler: async () => ({
        remotes: (node.network?.syncOf(domain.id)?.list() ?? []).map((v) =>
          remoteToJson(domain, v.domainId, v),
        ),
      }),
    },
    {
      method: 'GET',
      url: '/v1/remotes/:domainId',
      operationId: 'getRemote',
      summary: 'One remote view: its latest accepted header, frozen or not',
      tags: ['sync'],
      params: S.DomainIdParam,
      responses: { 200: json('the view', S.RemoteSchema) },
      handler: async (req) => {
        const { domainId } = req.params as { domainId: string };
        const id = id32(domainId, 'domainId');
        return remoteToJson(domain, id, node.network?.syncOf(domain.id)?.view(id));
      },
    },
    {
      method: 'POST',
      url: '/v1/remotes/:domainId/reinit',
      operationId: 'reinitializeRemote',
      summary: 'Operator recovery: replace a frozen remote view with a trusted header (docs/operations.md)',
      description:
        'Recorded in the transcript with `by` and the evidence it answers. Anchors before the fork keep ' +
        'working; the answer lists the roots dropped and which transfers continue or were touched. ' +
        'An administrative call: keep the API on loopback or behind a proxy that authenticates.',
      tags: ['sync'],
      params: S.DomainIdParam,
      body: S.ReinitBody,
      responses: { 200: json('what the re-initialisation did', S.ReinitSchema) },
      handler: async (req) => {
        const reinit = node.reinitializeRemote?.bind(node) ?? notEnabled('operator re-initialisation');
        const { domainId } = req.params as { domainId: string };
        const body = req.body as { header: string; keySet: string; by: string; evidence?: string };
        const trusted = decodeSignedHeader(bytesOf(body.header, 'body.header'));
        const keySet = decodeKeySet(bytesOf(body.keySet, 'body.keySet'));
        if (toHex(trusted.header.domain) !== toHex(id32(domainId, 'domainId')))
          throw apiError('BAD_INPUT', 'body.header is not a header of the domain in the path');
        const r = await reinit(trusted, keySet, {
          by: body.by,
          ...(body.evidence === undefined ? {} : { evidence: id32(body.evidence, 'evidence') }),
        });
        return reinitToJson(r);
      },
    },
    {
      method: 'GET',
      url: '/v1/global-root',
      operationId: 'getGlobalRoot',
      summary: "The global root this node computes, with each known domain's root and its proof",
      tags: ['sync'],
      responses: { 200: json('the global root', S.GlobalRootSchema) },
      handler: async () => {
        const g = node.globalRoot?.() ?? notEnabled('global root');
        const ids = [domain.id, ...(node.network?.syncOf(domain.id)?.list() ?? []).map((v) => v.domainId)];
        const domains = [];
        for (const id of ids) {
          const root = g.get(id);
          if (root === null) continue;
          domains.push({
            domainId: toHex(id),
            stateRoot: toHex(root),
            proof: toHex(encodeProof(g.proveDomain(id))),
          });
        }
        return { root: toHex(g.root()), domains };
      },
    },
    {
      method: 'POST',
      url: '/v1/transfers',
      operationId: 'startTransfer',
      summary: 'Start a transfer from this domain with a plan the owner signed (planTransfer)',
      description:
        'The node adopts the plan (it never sees a key), persists it and submits the move. ' +
        'Starting the same plan again answers with the transfer already running.',
      tags: ['transfers'],
      body: S.StartTransferBody,
      responses: { 202: json('the transfer, as it starts', S.TransferWithWaitSchema) },
      handler: async (req, reply) => {
        const driver = node.driver ?? notEnabled('transfer driver');
        const body = req.body as { to: string; plan: TransferPlanJson };
        const plan = planFromJson(body.plan);
        const handle = await driver.adopt(plan, domain.id, id32(body.to, 'to'));
        reply.code(202);
        return { transfer: transferToJson(handle.current()), waiting: await waitOf(node, handle.id) };
      },
    },
    {
      method: 'GET',
      url: '/v1/transfers',
      operationId: 'listTransfers',
      summary: `Transfers the driver holds, newest first (at most ${TRANSFERS_LIST_MAX})`,
      tags: ['transfers'],
      querystring: S.TransfersQuery,
      responses: { 200: json('the transfers', S.TransfersSchema) },
      handler: async (req) => {
        const driver = node.driver ?? notEnabled('transfer driver');
        const q = req.query as { phase?: string; limit?: string };
        const limit = q.limit === undefined ? TRANSFERS_LIST_DEFAULT : Number(u64Of(q.limit, 'limit'));
        if (limit < 1 || limit > TRANSFERS_LIST_MAX) {
          throw apiError('BAD_RANGE', `limit must be from 1 to ${TRANSFERS_LIST_MAX}`);
        }
        const all = driver.list().filter((t) => q.phase === undefined || t.phase === q.phase);
        all.sort((a, b) =>
          a.createdAtMs === b.createdAtMs ? (a.id < b.id ? -1 : 1) : a.createdAtMs > b.createdAtMs ? -1 : 1,
        );
        return { transfers: all.slice(0, limit).map(transferToJson) };
      },
    },
    {
      method: 'GET',
      url: '/v1/transfers/:id',
      operationId: 'getTransfer',
      summary: 'A transfer: phase, heights, history, failure, and what it waits for (as data)',
      tags: ['transfers'],
      params: S.TransferIdParam,
      responses: { 200: json('the transfer', S.TransferWithWaitSchema) },
      handler: async (req) => {
        const driver = node.driver ?? notEnabled('transfer driver');
        const { id } = req.params as { id: string };
        const t = driver.get(id);
        if (!t) throw apiError('UNKNOWN_TRANSFER', `the driver holds no transfer ${id}`);
        return { transfer: transferToJson(t), waiting: await waitOf(node, id) };
      },
    },
    {
      method: 'GET',
      url: '/v1/values/:valueRef',
      operationId: 'getValue',
      summary: 'A value preimage by its reference (for every resource a block here created)',
      tags: ['values'],
      params: S.ValueRefParam,
      responses: { 200: json('the preimage', S.ValueSchema) },
      handler: async (req) => {
        const { valueRef } = req.params as { valueRef: string };
        const value = domain.value(id32(valueRef, 'valueRef'));
        if (!value) throw apiError('UNKNOWN_VALUE', `no block of this domain created a value ${valueRef}`);
        return { valueRef, value: toHex(value) };
      },
    },
    {
      method: 'GET',
      url: '/v1/events',
      operationId: 'streamEvents',
      summary: 'Server-Sent Events: blockSealed, remoteAccepted, refused, transferPhase',
      description:
        'Each event is `id`, `event` (its type) and `data` (one JSON object); comment lines ' +
        '(`: heartbeat`) keep the stream alive. Filter with `types=blockSealed,refused`.',
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
        const types = eventTypesOf((req.query as { types?: string }).types);
        reply.hijack();
        ctx.hub.open(reply.raw, types);
        return reply;
      },
    },
    {
      method: 'GET',
      url: '/health',
      operationId: 'health',
      summary: 'Liveness: the domain, its heights and how many domains it follows',
      tags: ['operations'],
      responses: { 200: json('the node is serving', S.HealthSchema) },
      handler: async () => ({
        ok: true,
        name: domain.name,
        domainId: toHex(domain.id),
        height: domain.committedHeight.toString(),
        provenHeight: domain.provenHeight.toString(),
        peers: node.network?.syncOf(domain.id)?.list().length ?? 0,
        mempool: domain.mempoolSize,
      }),
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
        return formatMetrics(collectMetrics(node, ctx.counters, { sseClients: ctx.hub.size }));
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

/** What a transfer waits for, or null when the driver cannot tell now (a domain read failed). */
async function waitOf(node: ApiNode, id: string) {
  try {
    const w = await node.driver?.explain(id);
    return w === undefined ? null : waitToJson(w);
  } catch {
    return null;
  }
}
