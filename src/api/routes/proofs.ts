// Proof routes: commitment and nullifier proofs, anchors, and the value preimages a proof's
// reader needs to make sense of a resource.
import { toHex } from '../../crypto/index.js';
import { apiError } from '../errors.js';
import { READS_BATCH_MAX } from '../limits.js';
import * as S from '../schemas.js';
import { stateProofToJson } from '../wire.js';
import { heightOf, id32, json, type Route, type RouteContext, splitIds } from './route.js';

const PROOF_URLS = {
  commitment: '/v1/proofs/commitments/:cm',
  nullifier: '/v1/proofs/nullifiers/:nf',
  refusal: '/v1/proofs/refusals/:nf',
} as const;
const PROOF_OPERATIONS = {
  commitment: 'proveCommitment',
  nullifier: 'proveNullifier',
  refusal: 'proveRefusal',
};
const PROOF_SUMMARIES = {
  commitment: 'Proof that a commitment is (or is not) in the tree at a height',
  nullifier: 'Proof that a nullifier is spent (present) or not (absent) at a height',
  refusal: "Proof that this domain refused (present) or not (absent) a claim of the nullifier's resource",
};

/** The routes answering many proofs of one kind in one read: READS_BATCH_MAX keys each. */
const BATCHED = {
  commitment: {
    url: '/v1/proofs/commitments',
    operationId: 'proveCommitments',
    param: 'cms',
    what: 'commitments',
    query: S.CommitmentsQuery,
  },
  nullifier: {
    url: '/v1/proofs/nullifiers',
    operationId: 'proveNullifiers',
    param: 'nfs',
    what: 'nullifiers',
    query: S.NullifiersQuery,
  },
  refusal: {
    url: '/v1/proofs/refusals',
    operationId: 'proveRefusals',
    param: 'nfs',
    what: 'nullifiers',
    query: S.NullifiersQuery,
  },
} as const;

/** Proofs of membership and absence, and whether a root may be an anchor. */
export function proofRoutes({ node }: RouteContext): Route[] {
  const domain = node.domain;
  return [
    ...(['commitment', 'nullifier', 'refusal'] as const).map(
      (kind): Route => ({
        method: 'GET',
        url: PROOF_URLS[kind],
        operationId: PROOF_OPERATIONS[kind],
        summary: PROOF_SUMMARIES[kind],
        description:
          'The value is the u64 height the key was written at (for a refusal: reason u8 || height ' +
          'u64), or null for absence. Verify with ' +
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
              : kind === 'nullifier'
                ? domain.proveNullifier(id32(p.nf!, 'nf'), h)
                : domain.proveRefusal(id32(p.nf!, 'nf'), h);
          return stateProofToJson(proof);
        },
      }),
    ),
    ...(['commitment', 'nullifier', 'refusal'] as const).map((kind): Route => {
      const b = BATCHED[kind];
      return {
        method: 'GET',
        url: b.url,
        operationId: b.operationId,
        summary: `${PROOF_SUMMARIES[kind]}, for up to ${READS_BATCH_MAX} ${b.what} in one read`,
        description:
          `What GET ${PROOF_URLS[kind].replace(/:(cm|nf)$/, '{$1}')} answers for each of the ${b.what}, in order, ` +
          'all at the same height. Verify each as that route says.',
        tags: ['proofs'],
        querystring: b.query,
        responses: { 200: json('the proofs', S.StateProofsSchema) },
        handler: async (req) => {
          const q = req.query as Record<string, string | undefined>;
          const h = q.height === undefined ? domain.committedHeight : heightOf(domain, q.height);
          const prove =
            kind === 'commitment'
              ? (k: Uint8Array) => domain.proveCommitment(k, h)
              : kind === 'nullifier'
                ? (k: Uint8Array) => domain.proveNullifier(k, h)
                : (k: Uint8Array) => domain.proveRefusal(k, h);
          return { proofs: splitIds(q[b.param]!, b.param).map((k) => stateProofToJson(prove(k))) };
        },
      };
    }),
    {
      method: 'GET',
      url: '/v1/proofs/objects/:object',
      operationId: 'proveObject',
      summary: "Proof of an object's state (0x04 || object, docs/scopes.md) at a height",
      description:
        'The value is the encoded object state (program, seq, value), or null for an object never ' +
        'written. What a follower of a program checks the proven values it reads against.',
      tags: ['proofs'],
      params: S.ObjectParam,
      querystring: S.ProofQuery,
      responses: { 200: json('the proof', S.ObjectProofJsonSchema) },
      handler: async (req) => {
        const { object } = req.params as { object: string };
        const { height } = req.query as { height?: string };
        const h = height === undefined ? undefined : heightOf(domain, height);
        return stateProofToJson(domain.proveObject(id32(object, 'object'), h));
      },
    },
    {
      method: 'GET',
      url: '/v1/proofs/keyset',
      operationId: 'proveKeySet',
      summary: 'Proof of the key-set record (0x05 || "keyset") at a height',
      description:
        'The value is the encoded key set the block at that height recorded (docs/domain.md): the ' +
        'set that signs the blocks after it. What a light client (weft/evm `updateKeySet`) proves ' +
        'a key-set change with.',
      tags: ['proofs'],
      querystring: S.ProofQuery,
      responses: { 200: json('the proof', S.KeySetProofJsonSchema) },
      handler: async (req) => {
        const { height } = req.query as { height?: string };
        const h = height === undefined ? undefined : heightOf(domain, height);
        return stateProofToJson(domain.proveKeySet(h));
      },
    },
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
  ];
}

/** Value preimages by reference. */
export function valueRoutes({ node }: RouteContext): Route[] {
  const domain = node.domain;
  return [
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
  ];
}
