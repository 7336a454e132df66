// The dashboard (docs/dashboard.md): its page at `/` and its script and stylesheet under `/ui/`,
// the files `npm run build` puts in dist/web. A node whose build has no dashboard answers
// 404 NOT_FOUND.
import { DASHBOARD_ASSETS, type DashboardFile, dashboardFile } from '../dashboard.js';
import { apiError } from '../errors.js';
import * as S from '../schemas.js';
import type { Route } from './route.js';

/** Longest `?nodes=` list the page takes (64 domains, each URL well under 128 characters). */
export const DASHBOARD_NODES_CHARS_MAX = 8_192;

/** The page reads `?nodes=` itself (the node URLs to follow); the server only lets it through. */
const PageQuery = S.obj(
  {
    nodes: {
      type: 'string',
      maxLength: DASHBOARD_NODES_CHARS_MAX,
      description: 'node API URLs for the page to follow, separated by commas or spaces',
    },
  },
  { optional: ['nodes'] },
);

const AssetParam = S.obj({
  asset: { type: 'string', enum: [...DASHBOARD_ASSETS], description: 'a file of the built dashboard' },
});

function built(file: DashboardFile | null): DashboardFile {
  if (!file) throw apiError('NOT_FOUND', 'this node has no dashboard: build it with `npm run build`');
  return file;
}

/** The page and its assets; reads, so no token. */
export function dashboardRoutes(): Route[] {
  return [
    {
      method: 'GET',
      url: '/',
      operationId: 'dashboard',
      summary: 'The dashboard: a live page of the network this node belongs to (docs/dashboard.md)',
      tags: ['dashboard'],
      querystring: PageQuery,
      responses: {
        200: { description: 'the page', mediaType: 'text/html', schema: { type: 'string' } },
      },
      handler: async (_req, reply) => {
        const page = built(dashboardFile('index.html'));
        return reply.type(page.contentType).send(page.body);
      },
    },
    {
      method: 'GET',
      url: '/ui/:asset',
      operationId: 'dashboardAsset',
      summary: "The dashboard's script, its source map and its stylesheet",
      tags: ['dashboard'],
      params: AssetParam,
      responses: {
        200: { description: 'the file', mediaType: 'text/plain', schema: { type: 'string' } },
      },
      handler: async (req, reply) => {
        const name = (req.params as { asset: (typeof DASHBOARD_ASSETS)[number] }).asset;
        const file = built(dashboardFile(name));
        return reply.type(file.contentType).send(file.body);
      },
    },
  ];
}
