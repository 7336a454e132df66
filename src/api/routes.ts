// The route table: every route of the API, one module per resource under routes/. The server
// registers it with fastify and the OpenAPI document is built from it, so neither can miss one.
import { blockRoutes } from './routes/blocks.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { networkRoutes } from './routes/network.js';
import { infoRoutes, operationRoutes } from './routes/operations.js';
import { proofRoutes, valueRoutes } from './routes/proofs.js';
import { proverRoutes } from './routes/provers.js';
import { remoteRoutes } from './routes/remotes.js';
import type { Route, RouteContext, RouteTable } from './routes/route.js';
import { transactionRoutes } from './routes/transactions.js';
import { transferRoutes } from './routes/transfers.js';

export type { Responses, Route, RouteContext, RouteDoc, RouteTable } from './routes/route.js';

/**
 * The tables in the order the OpenAPI document lists their paths (info first, the operations
 * and the dashboard last): reordering them changes the published document.
 */
const TABLES: readonly RouteTable[] = [
  infoRoutes,
  transactionRoutes,
  blockRoutes,
  proofRoutes,
  remoteRoutes,
  proverRoutes,
  networkRoutes,
  transferRoutes,
  valueRoutes,
  operationRoutes,
  dashboardRoutes,
];

/** Every route of the API. */
export function apiRoutes(ctx: RouteContext): Route[] {
  return TABLES.flatMap((table) => table(ctx));
}
