// Block routes: blocks, signed headers, the state root at the tip and roots over a range.
import { toHex } from '../../crypto/index.js';
import { type Domain, encodeBlock, headerHash, type SignedHeader } from '../../domain/index.js';
import { apiError } from '../errors.js';
import { ROOTS_RANGE_DEFAULT, ROOTS_RANGE_MAX } from '../limits.js';
import * as S from '../schemas.js';
import { blockToJson, signedHeaderToJson } from '../wire.js';
import { heightOf, json, type Route, type RouteContext, u64Of } from './route.js';

/** Blocks, headers and state roots of the domain. */
export function blockRoutes({ node }: RouteContext): Route[] {
  const domain = node.domain;
  return [
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
      handler: async (req) => ({ roots: rootHistory(domain, req.query as { from?: string; to?: string }) }),
    },
  ];
}

/** The range a roots query asks for, bounded by the tip and ROOTS_RANGE_MAX (see getRootHistory). */
function rootRange(domain: Domain, q: { from?: string; to?: string }): { from: bigint; to: bigint } {
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
  return { from, to };
}

function rootHistory(domain: Domain, q: { from?: string; to?: string }) {
  const { from, to } = rootRange(domain, q);
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
  return roots;
}
