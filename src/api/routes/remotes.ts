// Remote routes: the views this node keeps of the domains it follows, the operator's
// re-initialisation of a frozen one, and the global root over all of them.
import { toHex } from '../../crypto/index.js';
import { type Domain, decodeKeySet, decodeSignedHeader, headerHash } from '../../domain/index.js';
import { encodeProof } from '../../smt/index.js';
import { equivocationEvidenceHash, type RemoteView, type SyncState } from '../../sync/index.js';
import type { ApiNode } from '../apiNode.js';
import { apiError } from '../errors.js';
import * as S from '../schemas.js';
import { bytesOf, headerToJson, reinitToJson, signedHeaderToJson } from '../wire.js';
import { id32, json, notEnabled, type Route, type RouteContext } from './route.js';

/**
 * A remote as the sync layer (`sync`, when the node has a network) and the domain's tree see it,
 * with the equivocation evidence the sync layer keeps for it: two signed headers of one height.
 */
function remoteToJson(domain: Domain, domainId: Uint8Array, sync: SyncState | undefined) {
  const view = sync?.view(domainId);
  const recorded = domain.remoteHeader(domainId);
  if (!view && !recorded) throw apiError('UNKNOWN_DOMAIN', `this node follows no domain ${toHex(domainId)}`);
  return {
    domainId: toHex(domainId),
    name: view?.name ?? null,
    head: view ? signedHeaderToJson(view.head) : null,
    recorded: recorded ? headerToJson(recorded) : null,
    frozen: view ? view.frozen !== null : false,
    frozenFromHeight: view?.frozen ? view.frozen.fromHeight.toString() : null,
    frozenBy: view?.frozen ? frozenByJson(view.frozen) : null,
    expired: view && sync ? sync.expired(domainId) : false,
    evidence: (sync?.equivocations(domainId) ?? []).map((e) => ({
      first: signedHeaderToJson(e.a),
      second: signedHeaderToJson(e.b),
    })),
  };
}

/** What proves a freeze, as the API shows it: hashes of the evidence the node keeps with the view. */
function frozenByJson(f: NonNullable<RemoteView['frozen']>) {
  const none = { evidenceHash: null, headerHash: null, updateHash: null, reason: null };
  if (f.evidence !== null)
    return { ...none, kind: 'equivocation', evidenceHash: toHex(equivocationEvidenceHash(f.evidence)) };
  if (f.invalidBlock)
    return {
      ...none,
      kind: 'invalidBlock',
      headerHash: toHex(headerHash(f.invalidBlock.signed.header)),
      updateHash: toHex(f.invalidBlock.updateHash),
      reason: f.invalidBlock.reason,
    };
  return { ...none, kind: 'doubleSpend' };
}

/** Remote views, their recovery, and the global root. */
export function remoteRoutes({ node }: RouteContext): Route[] {
  const domain = node.domain;
  return [
    {
      method: 'GET',
      url: '/v1/remotes',
      operationId: 'listRemotes',
      summary: 'Remote views: the latest accepted header of every domain this node follows',
      tags: ['sync'],
      responses: { 200: json('the views, in domain id order', S.RemotesSchema) },
      handler: async () => {
        const sync = node.router?.syncOf(domain.id);
        return { remotes: (sync?.list() ?? []).map((v) => remoteToJson(domain, v.domainId, sync)) };
      },
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
        return remoteToJson(domain, id, node.router?.syncOf(domain.id));
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
        'An operator call: it needs the API token (401 UNAUTHORIZED otherwise, and on a node without ' +
        'one), and the trusted header must be signed by a key set the node already trusts for that ' +
        'domain (403 UNTRUSTED_KEYSET otherwise; docs/operations.md).',
      tags: ['sync'],
      admin: true,
      params: S.DomainIdParam,
      body: S.ReinitBody,
      responses: { 200: json('what the re-initialisation did', S.ReinitSchema) },
      handler: async (req) =>
        reinitialize(node, (req.params as { domainId: string }).domainId, req.body as ReinitBody),
    },
    {
      method: 'GET',
      url: '/v1/global-root',
      operationId: 'getGlobalRoot',
      summary: "The global root this node computes, with each known domain's root and its proof",
      tags: ['sync'],
      responses: { 200: json('the global root', S.GlobalRootSchema) },
      handler: async () => globalRootJson(node),
    },
  ];
}

type ReinitBody = { header: string; keySet: string; by: string; evidence?: string };

/** The operator's re-initialisation of the view of `domainId`, with what it did in JSON. */
async function reinitialize(node: ApiNode, domainId: string, body: ReinitBody) {
  const reinit = node.reinitializeRemote?.bind(node) ?? notEnabled('operator re-initialisation');
  const trusted = decodeSignedHeader(bytesOf(body.header, 'body.header'));
  const keySet = decodeKeySet(bytesOf(body.keySet, 'body.keySet'));
  if (toHex(trusted.header.domain) !== toHex(id32(domainId, 'domainId')))
    throw apiError('BAD_INPUT', 'body.header is not a header of the domain in the path');
  const r = await reinit(trusted, keySet, {
    by: body.by,
    ...(body.evidence === undefined ? {} : { evidence: id32(body.evidence, 'evidence') }),
  });
  return reinitToJson(r);
}

/** The global root with the root and proof of this domain and of every domain it follows. */
function globalRootJson(node: ApiNode) {
  const domain = node.domain;
  const g = node.globalRoot?.() ?? notEnabled('global root');
  const ids = [domain.id, ...(node.router?.syncOf(domain.id)?.list() ?? []).map((v) => v.domainId)];
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
}
