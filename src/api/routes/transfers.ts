// Transfer routes: start a transfer from a plan the owner signed, list the driver's transfers,
// and read one with what it waits for.

import { WeftError } from '../../crypto/index.js';
import type { ApiNode } from '../apiNode.js';
import { apiError } from '../errors.js';
import { TRANSFERS_BATCH_MAX, TRANSFERS_LIST_DEFAULT, TRANSFERS_LIST_MAX } from '../limits.js';
import * as S from '../schemas.js';
import { planFromJson, type TransferPlanJson, transferToJson, waitToJson } from '../wire.js';
import { id32, json, notEnabled, type Route, type RouteContext, u64Of } from './route.js';

/** Transfers the node drives. */
export function transferRoutes({ node, access }: RouteContext): Route[] {
  const domain = node.domain;
  return [
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
      method: 'POST',
      url: '/v1/transfers/batch',
      operationId: 'startTransfers',
      summary: `Start up to ${TRANSFERS_BATCH_MAX} transfers from this domain in one request`,
      description:
        'Each item is what POST /v1/transfers takes. Every item is checked before any starts: one ' +
        'bad item refuses the batch (its index in the message) and nothing is started. The ' +
        'transfers share one durable write and their moves one group commit. Each item counts as ' +
        'one state-changing request of the rate limit. A plan the driver already holds answers ' +
        'with the transfer already running. The answer lists the transfers in the order given.',
      tags: ['transfers'],
      body: S.StartTransfersBody,
      responses: { 202: json('the transfers, as they start', S.TransfersSchema) },
      handler: async (req, reply) => {
        const driver = node.driver ?? notEnabled('transfer driver');
        const body = req.body as { transfers: { to: string; plan: TransferPlanJson }[] };
        // The request took one of the client's rate; each further item takes one more.
        access.charge(req, reply, body.transfers.length - 1);
        const items = body.transfers.map((t, i) => {
          try {
            return { plan: planFromJson(t.plan), from: domain.id, to: id32(t.to, 'to') };
          } catch (e) {
            if (e instanceof WeftError)
              throw new WeftError(e.code, `transfers.${i}: ${e.shortMessage}`, { cause: e });
            throw e;
          }
        });
        const handles = await driver.adoptMany(items);
        reply.code(202);
        return { transfers: handles.map((h) => transferToJson(h.current())) };
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
