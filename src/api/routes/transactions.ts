// Transaction routes: submit a transaction and read its status.
import { toHex } from '../../crypto/index.js';
import { decodeTransaction, parseTransactionJson, type TransactionJson } from '../../tx/index.js';
import { apiError, httpStatusOf } from '../errors.js';
import { READS_BATCH_MAX } from '../limits.js';
import * as S from '../schemas.js';
import { bytesOf, statusToJson } from '../wire.js';
import { id32, json, type Route, type RouteContext, splitIds } from './route.js';

/** Submitting transactions and reading their status. */
export function transactionRoutes({ node }: RouteContext): Route[] {
  const domain = node.domain;
  return [
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
      url: '/v1/txs',
      operationId: 'getTransactionStatuses',
      summary: `The statuses of up to ${READS_BATCH_MAX} transactions in one read`,
      description:
        'What GET /v1/txs/{id} answers for each id, in order, with null for an id unknown to this ' +
        'domain: a peer following many transfers asks once instead of once per transaction.',
      tags: ['transactions'],
      querystring: S.TxIdsQuery,
      responses: { 200: json('their statuses', S.TxStatusesSchema) },
      handler: async (req) => {
        const { ids } = req.query as { ids: string };
        return {
          statuses: splitIds(ids, 'ids').map((id) => {
            const status = domain.status(id);
            return { txId: toHex(id), status: status ? statusToJson(status) : null };
          }),
        };
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
  ];
}
