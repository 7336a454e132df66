// The JSON Schemas of the API, written once: fastify validates requests and serializes responses
// with them, and the OpenAPI document is built from the same objects (openapi.ts).
import { SIGNATURE_BYTES } from '../crypto/index.js';
import { HEADER_SIGNATURE_BYTES, KEYSET_KEYS_MAX } from '../domain/index.js';
import { OBJECT_VALUE_BYTES_MAX } from '../scope/index.js';
import { TRANSITIONS } from '../transfer/index.js';
import {
  COMMITMENT_PROOF_BYTES_MAX,
  REFUND_PROOF_BYTES_MAX,
  REFUSAL_REASONS,
  TX_ACTIONS_MAX,
  TX_APP_DATA_BYTES_MAX,
  TX_BYTES_MAX,
  TX_LABEL_BYTES_MAX,
  TX_RESOURCES_MAX,
  TX_SCOPE_BYTES_MAX,
  TX_SIGNATURES_MAX,
  TX_VALUE_BYTES_MAX,
} from '../tx/index.js';
import { READS_BATCH_MAX, ROOTS_RANGE_MAX, TRANSFERS_BATCH_MAX, TRANSFERS_LIST_MAX } from './limits.js';

/** A JSON Schema (the 2020-12 subset that draft-07 validators read the same way). */
export type JsonSchema = { [key: string]: unknown };

/**
 * Hex with its length checked first (BAD_LENGTH) and its digits second (BAD_HEX). The pattern
 * is a plain character class, linear on a megabyte of input; an odd digit count is refused by
 * the route's decoder with BAD_HEX.
 */
export const HEX_PATTERN = '^0x[0-9a-f]*$';
/** A decimal without sign or leading zeros; the route checks the numeric bound. */
export const DECIMAL_PATTERN = '^(0|[1-9][0-9]*)$';
/** A height, or `latest` for the committed tip. */
export const HEIGHT_OR_LATEST_PATTERN = '^(latest|0|[1-9][0-9]*)$';
/** Event types a stream can carry. */
export const EVENT_TYPES = ['blockSealed', 'remoteAccepted', 'refused', 'transferPhase'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Every transfer phase, read off the machine's transitions so a new phase appears here too. */
export const PHASES = [...new Set(TRANSITIONS.flatMap(([from, , to]) => [from, to]))];

/** Largest encoded object state: format, program, seq, hasValue, length and the value. */
const OBJECT_STATE_BYTES_MAX = 1 + 32 + 8 + 1 + 4 + OBJECT_VALUE_BYTES_MAX;
const U64_DIGITS_MAX = 20;
const U128_DIGITS_MAX = 39;

export function hexBytes(maxBytes: number, description: string): JsonSchema {
  return { type: 'string', maxLength: 2 + 2 * maxBytes, pattern: HEX_PATTERN, description };
}

export function hexFixed(bytes: number, description: string): JsonSchema {
  return {
    type: 'string',
    minLength: 2 + 2 * bytes,
    maxLength: 2 + 2 * bytes,
    pattern: HEX_PATTERN,
    description,
  };
}

export const Hex32 = (description: string): JsonSchema => hexFixed(32, description);

export const U64 = (description: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: U64_DIGITS_MAX,
  pattern: DECIMAL_PATTERN,
  description: `${description} (u64, decimal string)`,
});

const U128 = (description: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: U128_DIGITS_MAX,
  pattern: DECIMAL_PATTERN,
  description: `${description} (u128, decimal string)`,
});

const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });

/** An object with exactly these properties, all required except `optional`. */
export function obj(
  properties: Record<string, JsonSchema>,
  opts: { optional?: string[]; description?: string; title?: string } = {},
): JsonSchema {
  const optional = new Set(opts.optional ?? []);
  return {
    type: 'object',
    ...(opts.title ? { title: opts.title } : {}),
    ...(opts.description ? { description: opts.description } : {}),
    properties,
    required: Object.keys(properties).filter((k) => !optional.has(k)),
    additionalProperties: false,
  };
}

const str = (description: string): JsonSchema => ({ type: 'string', description });

// ---- requests -------------------------------------------------------------------------------

export const HeightParam = obj({ height: U64('block height') });
export const HeaderHeightParam = obj({
  height: {
    type: 'string',
    minLength: 1,
    maxLength: U64_DIGITS_MAX,
    pattern: HEIGHT_OR_LATEST_PATTERN,
    description: 'block height (u64, decimal string) or `latest`',
  },
});
export const TxIdParam = obj({ id: Hex32('transaction id') });
export const TransferIdParam = obj({ id: Hex32('transfer id: the id of its move transaction') });
export const CommitmentParam = obj({ cm: Hex32('resource commitment') });
export const NullifierParam = obj({ nf: Hex32('resource nullifier') });
export const ObjectParam = obj({ object: Hex32('object id (docs/scopes.md)') });
export const DomainIdParam = obj({ domainId: Hex32('domain id: SHA-256 of the domain name') });
export const ValueRefParam = obj({ valueRef: Hex32('value reference: SHA-256 of the value preimage') });
export const RootParam = obj({ root: Hex32('state root') });

export const ProofQuery = obj(
  { height: U64('prove at this height (default: the committed tip)') },
  { optional: ['height'] },
);
/** Comma-separated 0x-hex 32-byte ids, 1 to READS_BATCH_MAX of them. */
const hexList = (description: string): JsonSchema => ({
  type: 'string',
  minLength: 66,
  maxLength: READS_BATCH_MAX * 67 - 1,
  pattern: '^0x[0-9a-fA-F]{64}(,0x[0-9a-fA-F]{64})*$',
  description: `${description}: 1 to ${READS_BATCH_MAX} comma-separated 0x-hex 32-byte ids`,
});
export const TxIdsQuery = obj({ ids: hexList('transaction ids') });
export const NullifiersQuery = obj(
  {
    nfs: hexList('resource nullifiers'),
    height: U64('prove at this height (default: the committed tip)'),
  },
  { optional: ['height'] },
);
export const CommitmentsQuery = obj(
  {
    cms: hexList('resource commitments'),
    height: U64('prove at this height (default: the committed tip)'),
  },
  { optional: ['height'] },
);
export const RootsQuery = obj(
  {
    from: U64('first height'),
    to: U64('last height (capped at the committed tip)'),
  },
  { optional: ['from', 'to'], description: `at most ${ROOTS_RANGE_MAX} heights per request` },
);
export const TransfersQuery = obj(
  {
    phase: { type: 'string', enum: PHASES, description: 'only transfers in this phase' },
    limit: U64(`most transfers to return, 1..${TRANSFERS_LIST_MAX} (default 100)`),
  },
  { optional: ['phase', 'limit'] },
);
export const EventsQuery = obj(
  {
    types: {
      type: 'string',
      maxLength: 128,
      pattern: `^(${EVENT_TYPES.join('|')})(,(${EVENT_TYPES.join('|')}))*$`,
      description: `comma-separated event types to receive (default: all of ${EVENT_TYPES.join(', ')})`,
    },
    lastEventId: {
      type: 'string',
      maxLength: 64,
      description:
        'resume after this event id, for clients that cannot send the `Last-Event-ID` header (which wins when both are sent)',
    },
  },
  { optional: ['types', 'lastEventId'] },
);

export const ResourceJsonSchema = obj(
  {
    logicRef: Hex32('resource logic reference'),
    labelRef: Hex32('label reference'),
    valueRef: Hex32('value reference'),
    quantity: U128('quantity'),
    isEphemeral: { type: 'boolean' },
    nonce: Hex32('nonce'),
    nkCommitment: Hex32('SHA-256 of the nullifier key'),
    randSeed: Hex32('random seed'),
  },
  { title: 'Resource' },
);

const PublicKeyJsonSchema = obj(
  {
    type: { type: 'string', enum: ['secp256k1', 'ed25519'] },
    key: hexBytes(65, 'public key (secp256k1 compressed or uncompressed, or ed25519)'),
  },
  { title: 'PublicKey' },
);

const createdProps = {
  resource: ResourceJsonSchema,
  value: hexBytes(TX_VALUE_BYTES_MAX, 'value preimage'),
  label: hexBytes(TX_LABEL_BYTES_MAX, 'label preimage'),
};

export const TransactionJsonSchema = obj(
  {
    actions: {
      type: 'array',
      maxItems: TX_ACTIONS_MAX,
      items: obj({
        consumed: {
          type: 'array',
          maxItems: TX_RESOURCES_MAX,
          items: obj(
            {
              ...createdProps,
              nk: Hex32('nullifier key'),
              commitmentProof: {
                type: ['object', 'null'],
                description: 'null for a network transaction: the domain fills in the proof',
                properties: {
                  anchor: Hex32('root the commitment is proven under'),
                  height: U64('height the commitment was created at'),
                  proof: hexBytes(COMMITMENT_PROOF_BYTES_MAX, 'encoded single proof (docs/proofs.md)'),
                },
                required: ['anchor', 'height', 'proof'],
                additionalProperties: false,
              },
              isRefund: { const: true, description: 'signed as a refund (format 2): needs a refund witness' },
              refund: obj(
                {
                  height: U64("height of the home's header the witness names"),
                  proof: hexBytes(REFUND_PROOF_BYTES_MAX, 'encoded single proof (docs/proofs.md)'),
                  refusal: obj(
                    {
                      reason: { enum: [...REFUSAL_REASONS], description: 'why the home refused the claim' },
                      height: U64('height of the block that recorded the refusal'),
                    },
                    { description: "a refund by refusal: the home's refusal record the proof shows" },
                  ),
                },
                { optional: ['refusal'], description: 'refund witness (docs/transactions.md)' },
              ),
            },
            { optional: ['isRefund', 'refund'] },
          ),
        },
        created: { type: 'array', maxItems: TX_RESOURCES_MAX, items: obj(createdProps) },
      }),
    },
    appData: hexBytes(TX_APP_DATA_BYTES_MAX, 'application data'),
    executor: Hex32('the DomainId of the one domain that may execute it (format 2 or 3)'),
    signatures: {
      type: 'array',
      maxItems: TX_SIGNATURES_MAX,
      items: obj({
        publicKey: PublicKeyJsonSchema,
        signature: hexFixed(SIGNATURE_BYTES, 'signature over the transaction id'),
      }),
    },
    scope: hexBytes(TX_SCOPE_BYTES_MAX, 'the scoped body of a format 3 transaction (docs/scopes.md)'),
  },
  {
    optional: ['executor', 'scope'],
    title: 'TransactionJson',
    description: 'the JSON form of a transaction (docs/transactions.md)',
  },
);

export const SubmitBody = {
  ...obj(
    {
      tx: hexBytes(TX_BYTES_MAX, 'the canonical encoding of the transaction'),
      json: TransactionJsonSchema,
    },
    { optional: ['tx', 'json'], description: 'exactly one of `tx` (canonical hex) or `json`' },
  ),
  oneOf: [{ required: ['tx'] }, { required: ['json'] }],
};

export const TransferPlanJsonSchema = obj(
  {
    move: hexBytes(TX_BYTES_MAX, 'the signed move transaction (canonical encoding)'),
    claim: hexBytes(TX_BYTES_MAX, 'the signed claim transaction, network form (canonical encoding)'),
    moved: obj({
      resource: ResourceJsonSchema,
      value: hexBytes(TX_VALUE_BYTES_MAX, 'value preimage of the moved resource'),
      label: hexBytes(TX_LABEL_BYTES_MAX, 'label preimage of the moved resource'),
      nk: Hex32('nullifier key of the moved resource'),
    }),
    refund: hexBytes(TX_BYTES_MAX, 'the signed refund transaction, for a transfer with a deadline'),
  },
  {
    optional: ['refund'],
    title: 'TransferPlan',
    description: 'a transfer planned and signed by the owner (planTransfer)',
  },
);

export const ReinitBody = obj(
  {
    header: hexBytes(4096, 'the trusted signed header of the remote domain (canonical encoding)'),
    keySet: hexBytes(4096, 'the key set recorded under its state root (canonical encoding)'),
    by: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description: 'who decides (recorded in the transcript)',
    },
    evidence: Hex32(
      'hash of the evidence answered, when the sync layer holds none (a freeze after a double spend)',
    ),
  },
  { optional: ['evidence'] },
);

export const AttestationBody = obj({
  attestation: hexBytes(256, "a prover's signed attestation (canonical encoding, docs/provers.md)"),
});

export const AttestationResultSchema = obj({
  counted: { type: 'boolean', description: 'it counts toward its height (false: stale, or another root)' },
  mismatch: { type: 'boolean', description: 'it attests a root other than the committed one' },
  advancedTo: nullable(U64('the new proven tip, when it moved')),
  evidence: nullable(hexBytes(1024, 'evidence against the prover (encodeProverEvidence), when convicted')),
  provenHeight: U64('the proven tip after it'),
});

export const ReinitSchema = obj({
  domainId: Hex32('the remote domain'),
  height: U64("the trusted header: the view's new head"),
  forkHeight: U64('the height the view was frozen from'),
  droppedRoots: {
    type: 'array',
    items: U64('a dropped height'),
    description: 'heights whose roots stopped being anchors',
  },
  by: { type: 'string' },
  evidence: Hex32('hash of the evidence answered'),
  continuing: {
    type: 'array',
    items: { type: 'string' },
    description: 'transfers between the two domains that go on',
  },
  affected: {
    type: 'array',
    items: obj({ id: { type: 'string' }, phase: { type: 'string' }, reason: { type: 'string' } }),
    description: 'transfers the fork touched',
  },
});

export const StartTransferBody = obj({
  to: Hex32('destination domain id'),
  plan: TransferPlanJsonSchema,
});

export const StartTransfersBody = obj({
  transfers: {
    type: 'array',
    minItems: 1,
    maxItems: TRANSFERS_BATCH_MAX,
    items: StartTransferBody,
    description: `the transfers to start, each as POST /v1/transfers takes it (1 to ${TRANSFERS_BATCH_MAX})`,
  },
});

// ---- responses ------------------------------------------------------------------------------

export const HeaderJsonSchema = obj(
  {
    domain: Hex32('domain id'),
    height: U64('height'),
    prevHash: Hex32('hash of the previous header'),
    stateRoot: Hex32('state root after this block'),
    txRoot: Hex32('root of the block transactions'),
    timestamp: U64('milliseconds since the epoch'),
  },
  { title: 'Header' },
);

export const SignedHeaderJsonSchema = obj(
  {
    header: HeaderJsonSchema,
    headerHash: Hex32('header hash'),
    signatures: {
      type: 'array',
      items: obj({
        signer: { type: 'integer', description: 'index in the key set' },
        signature: hexFixed(HEADER_SIGNATURE_BYTES, 'r || s || v'),
      }),
    },
  },
  { title: 'SignedHeader' },
);

export const BlockJsonSchema = obj(
  {
    header: HeaderJsonSchema,
    headerHash: Hex32('header hash'),
    batches: {
      type: 'array',
      description: 'transaction ids, batch by batch',
      items: { type: 'array', items: Hex32('transaction id') },
    },
    txCount: { type: 'integer' },
    writeCount: { type: 'integer' },
    encoded: str('the canonical block encoding (header, batches, transactions, writes, transition proof)'),
  },
  { title: 'Block' },
);

export const TxStatusJsonSchema = {
  title: 'TxStatus',
  anyOf: [
    obj({ status: { const: 'pending' }, sinceHeight: U64('height when admitted') }),
    obj({
      status: { const: 'included' },
      height: U64('block height'),
      batch: { type: 'integer' },
      index: { type: 'integer' },
    }),
    obj({ status: { const: 'rejected' }, code: str('rejection code'), reason: str('why') }),
    obj({ status: { const: 'evicted' }, code: str('eviction code'), reason: str('why') }),
  ],
};

export const ErrorSchema = obj(
  {
    error: obj({ code: str('stable error code (docs/api.md)'), message: str('what was wrong') }),
    txId: Hex32('the id of the refused transaction (submissions only)'),
    status: TxStatusJsonSchema,
  },
  { optional: ['txId', 'status'], title: 'Error' },
);

export const SubmitResultSchema = obj({ txId: Hex32('transaction id'), status: TxStatusJsonSchema });
export const TxStatusesSchema = obj({
  statuses: {
    type: 'array',
    items: obj({ txId: Hex32('transaction id'), status: nullable(TxStatusJsonSchema) }),
    description: 'one per id asked for, in order; status null: unknown to this domain',
  },
});

export const StateProofJsonSchema = obj(
  {
    height: U64('height the proof is at'),
    root: Hex32('state root at that height'),
    key: hexBytes(33, 'tree key (namespace byte || commitment or nullifier)'),
    value: {
      ...nullable(
        hexBytes(9, 'u64 height the key was written at (a refusal record: reason u8 || height u64)'),
      ),
      description: 'null: absent',
    },
    proof: str('encoded single proof (docs/proofs.md): check it with verifyProof(root, key, value, proof)'),
  },
  { title: 'StateProof' },
);

export const StateProofsSchema = obj({
  proofs: {
    type: 'array',
    items: StateProofJsonSchema,
    description: 'one per commitment or nullifier asked for, in order, all at the same height',
  },
});

export const ObjectProofJsonSchema = obj(
  {
    height: U64('height the proof is at'),
    root: Hex32('state root at that height'),
    key: hexBytes(33, 'tree key (0x04 || object id)'),
    value: {
      ...nullable(hexBytes(OBJECT_STATE_BYTES_MAX, 'the encoded object state (docs/scopes.md)')),
      description: 'null: never written',
    },
    proof: str('encoded single proof (docs/proofs.md): check it with verifyProof(root, key, value, proof)'),
  },
  { title: 'ObjectProof' },
);

/** Most bytes of an encoded key set: threshold u8, count u32, each key a tag and at most 33 bytes. */
const KEYSET_BYTES_MAX = 1 + 4 + KEYSET_KEYS_MAX * 34;

export const KeySetProofJsonSchema = obj(
  {
    height: U64('height the proof is at'),
    root: Hex32('state root at that height'),
    key: hexBytes(7, 'tree key 0x05 || "keyset"'),
    value: {
      ...nullable(
        hexBytes(KEYSET_BYTES_MAX, 'the encoded key set the block at that height recorded (docs/domain.md)'),
      ),
      description: 'null: none recorded',
    },
    proof: str('encoded single proof (docs/proofs.md): check it with verifyProof(root, key, value, proof)'),
  },
  { title: 'KeySetProof' },
);

export const InfoSchema = obj(
  {
    name: str('domain name'),
    domainId: Hex32('domain id'),
    keySet: obj({
      threshold: { type: 'integer' },
      keys: { type: 'array', items: PublicKeyJsonSchema },
    }),
    committedHeight: U64('committed tip'),
    provenHeight: U64('proven tip'),
    mempool: { type: 'integer', description: 'transactions waiting' },
    anchorPolicy: obj({
      maxIntermediaries: {
        type: 'integer',
        description: 'most domains between this node and an anchor known through others (0: none accepted)',
      },
      maxStalenessMs: {
        type: 'integer',
        description: 'how old (ms) the oldest header on such a path may be',
      },
    }),
    mode: {
      type: 'string',
      enum: ['signatures', 'transition', 'full'],
      description: "how the node verifies its peers' root updates (absent when it does not say)",
    },
  },
  { optional: ['mode'] },
);

export const NetworkSchema = obj({
  domains: {
    type: 'array',
    items: obj({
      name: str('domain name'),
      domainId: Hex32('domain id'),
      api: str("the node's API address"),
    }),
  },
});

export const RootSchema = obj({
  height: U64('committed height'),
  stateRoot: Hex32('state root at the committed height'),
  headerHash: Hex32('header hash at the committed height'),
  timestamp: U64('header timestamp'),
  committedHeight: U64('committed tip'),
  provenHeight: U64('proven tip (never past the committed one)'),
});

export const RootsSchema = obj({
  roots: {
    type: 'array',
    items: obj({
      height: U64('height'),
      stateRoot: Hex32('state root'),
      headerHash: Hex32('header hash'),
      timestamp: U64('header timestamp'),
    }),
  },
});

export const RemoteSchema = obj(
  {
    domainId: Hex32('remote domain id'),
    name: nullable(str('remote domain name')),
    head: nullable(SignedHeaderJsonSchema),
    recorded: nullable(HeaderJsonSchema),
    frozen: { type: 'boolean', description: 'the remote equivocated; nothing more is accepted from it' },
    frozenFromHeight: nullable(U64('first height of the fork')),
    frozenBy: nullable(
      obj({
        kind: {
          type: 'string',
          enum: ['equivocation', 'invalidBlock', 'doubleSpend'],
          description: 'what proves the freeze (docs/sync.md)',
        },
        evidenceHash: nullable(Hex32('equivocation evidence hash (equivocation)')),
        headerHash: nullable(Hex32('hash of the invalid signed header (invalidBlock)')),
        updateHash: nullable(Hex32('sha256 of the encoded invalid root update (invalidBlock)')),
        reason: nullable(str('why the block failed full validation (invalidBlock)')),
      }),
    ),
    expired: {
      type: 'boolean',
      description: 'no newer header was accepted within the trusting period: claims anchored on it wait',
    },
    evidence: {
      type: 'array',
      description:
        'the equivocation evidence kept with the view: two signed headers of the domain at one height (empty when none)',
      items: obj({ first: SignedHeaderJsonSchema, second: SignedHeaderJsonSchema }),
    },
  },
  {
    title: 'RemoteView',
    description:
      '`head`: the latest header the sync layer verified (null without a network); `recorded`: the ' +
      'header this domain recorded in its own tree, the one its anchors and Domain.remoteHeader use',
  },
);

export const RemotesSchema = obj({ remotes: { type: 'array', items: RemoteSchema } });

export const GlobalRootSchema = obj({
  root: Hex32('global root'),
  domains: {
    type: 'array',
    items: obj({
      domainId: Hex32('domain id'),
      stateRoot: Hex32('the root the global tree holds for it'),
      proof: str('encoded proof of domainId -> stateRoot under the global root'),
    }),
  },
});

export const AnchorSchema = obj({ root: Hex32('state root'), accepted: { type: 'boolean' } });

export const ValueSchema = obj({ valueRef: Hex32('value reference'), value: str('the preimage, hex') });

const SourceProofSchema = obj({
  height: U64('source height'),
  root: Hex32('source root'),
  proof: str('encoded commitment proof of the moved resource'),
});

export const TransferSchema = obj(
  {
    id: Hex32('transfer id (its move transaction id)'),
    from: Hex32('source domain'),
    to: Hex32('destination domain'),
    phase: { type: 'string', enum: PHASES },
    createdAtMs: U64('created'),
    updatedAtMs: U64('last phase change'),
    expiresAtMs: U64('when a transfer still requested expires'),
    sourceHeight: nullable(U64('source block holding the move')),
    source: nullable(SourceProofSchema),
    syncedHeight: nullable(U64('source height the destination accepted')),
    claimHeight: nullable(U64('destination block holding the claim')),
    confirmedHeight: nullable(U64('destination height the source accepted')),
    deadlineMs: nullable(U64('destination timestamp after which the claim is refused and a refund allowed')),
    refundableHeight: nullable(U64('destination height whose header proves the claim can no longer land')),
    refundHeight: nullable(U64('source block holding the refund')),
    failure: nullable(obj({ code: str('code'), reason: str('reason') })),
    history: {
      type: 'array',
      items: obj({ phase: { type: 'string', enum: PHASES }, atMs: U64('reached at') }),
    },
  },
  { title: 'Transfer' },
);

const age = U64('milliseconds since the last phase change');
const statusName = { type: 'string', enum: ['pending', 'included', 'rejected', 'evicted', 'unknown'] };

/** driver.explain(id) as data; the last branch keeps the schema open to waits added later. */
export const TransferWaitSchema = {
  title: 'TransferWait',
  anyOf: [
    obj({
      waitingFor: { const: 'sourceCommit' },
      moveStatus: statusName,
      sourceHeight: U64('source committed height'),
      lastUpdateAgeMs: age,
    }),
    obj({
      waitingFor: { const: 'sourceRootAtDestination' },
      needHeight: U64('source height the destination must accept'),
      destinationHasHeight: nullable(U64('source height the destination holds')),
      lastUpdateAgeMs: age,
    }),
    obj({
      waitingFor: { const: 'claimInclusion' },
      claimStatus: statusName,
      destinationHeight: U64('destination committed height'),
      lastUpdateAgeMs: age,
    }),
    obj({
      waitingFor: { const: 'destinationRootAtSource' },
      needHeight: U64('destination height the source must accept'),
      sourceHasHeight: nullable(U64('destination height the source holds')),
      lastUpdateAgeMs: age,
    }),
    obj(
      {
        waitingFor: { type: 'null' },
        phase: { type: 'string', enum: PHASES },
        failure: obj({ code: str('code'), reason: str('reason') }),
      },
      { optional: ['failure'] },
    ),
    {
      type: 'object',
      description: 'a wait this API version does not describe; fields are strings, numbers or null',
      required: ['waitingFor'],
      additionalProperties: true,
    },
  ],
};

export const TransferWithWaitSchema = obj(
  { transfer: TransferSchema, waiting: nullable(TransferWaitSchema) },
  { title: 'TransferStatus' },
);

export const TransfersSchema = obj({ transfers: { type: 'array', items: TransferSchema } });

export const HealthSchema = obj({
  ok: { type: 'boolean', description: 'false while the message transport is disconnected' },
  instance: str('random per process start: tells this process from another on the same port'),
  transport: {
    ...obj({
      connected: { type: 'boolean' },
      disconnects: { type: 'integer', description: 'times it lost its server since the node started' },
    }),
    type: ['object', 'null'],
    description: 'the message transport (NATS), or null when the node runs none',
  },
  name: str('domain name'),
  domainId: Hex32('domain id'),
  height: U64('committed height'),
  provenHeight: U64('proven height'),
  peers: { type: 'integer', description: 'remote domains this node follows' },
  mempool: { type: 'integer', description: 'transactions waiting' },
});
