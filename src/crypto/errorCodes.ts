// Every error code Weft throws, with the HTTP status the API answers it with and what it means:
// the one table the `WeftErrorCode` type, the API's statuses and docs/api.md ("Errors") come from.
import { WeftError } from './errors.js';

/**
 * One code's entry. `status` is what the API answers; a transaction-rule code (status 422) that is
 * thrown while the API checks a request rather than carried by a refused submission answers
 * `requestStatus` (400) instead, e.g. `BAD_PROOF` for a malformed proof in a request body.
 */
export type ErrorCodeInfo = { status: number; requestStatus?: number; meaning: string };

/** A transaction rule: 422 when it refuses a submitted transaction, 400 when thrown at a request. */
const RULE = { status: 422, requestStatus: 400 } as const;

/**
 * Stable error codes: never rename or reuse one; add a new one here (and to docs/api.md) first.
 * Groups follow the status: the request (400, 401, 403, 408, 413, 414, 415, 429, 431), unknown things (404), conflicts with the
 * current state (409), transaction rules (422), a node that cannot serve now (503), bugs (500).
 * Codes of the CLI, transports and stores that no route answers carry 400, the status any code
 * thrown at a request had before it was listed here.
 */
export const ERROR_CODES = {
  // --- the request itself, checked before the domain sees anything
  BAD_REQUEST: {
    status: 400,
    meaning:
      'the request is malformed in a way no finer code names (e.g. both `tx` and `json`, an unknown event type)',
  },
  BAD_JSON: {
    status: 400,
    meaning:
      'the body is not JSON, is empty, or carries `__proto__`; or a JSON form (of a transaction, a value) is malformed',
  },
  BAD_HEX: { status: 400, meaning: 'not `0x`-prefixed lowercase hex, or an odd number of digits' },
  BAD_LENGTH: {
    status: 400,
    meaning: 'bytes or a hex string of the wrong length (ids and roots are 32 bytes), or too long',
  },
  BAD_NUMBER: { status: 400, meaning: 'not a decimal u64 (sign, leading zero, letters, above 2^64 − 1)' },
  BAD_TYPE: { status: 400, meaning: 'a field of the wrong JSON type, or not one of its allowed values' },
  BAD_RANGE: {
    status: 400,
    meaning:
      'a range or limit outside its bounds (`from` above `to`, more than `ROOTS_RANGE_MAX` heights, `limit` outside 1..1000)',
  },
  MISSING_FIELD: { status: 400, meaning: 'a required field is absent' },
  UNKNOWN_FIELD: { status: 400, meaning: 'a field or query parameter that is not known' },
  TOO_MANY_ITEMS: { status: 400, meaning: 'an array over its limit' },
  BAD_INPUT: { status: 400, meaning: 'an argument or field outside what the function or route accepts' },
  CODEC: { status: 400, meaning: 'bytes that do not decode to the canonical encoding (docs/encoding.md)' },
  TX_MALFORMED: { status: 400, meaning: 'a transaction that is not well formed' },
  TX_TOO_LARGE: { status: 400, meaning: 'a transaction over `TX_BYTES_MAX` encoded bytes' },
  TX_TOO_MANY_ACTIONS: { status: 400, meaning: 'a transaction over its limit of actions' },
  TX_TOO_MANY_RESOURCES: { status: 400, meaning: 'an action over its limit of resources' },
  TX_TOO_MANY_SIGNATURES: { status: 400, meaning: 'a transaction over its limit of signatures' },
  TX_APP_DATA_TOO_LARGE: { status: 400, meaning: 'application data over its byte limit' },
  VALUE_TOO_LARGE: { status: 400, meaning: 'a resource value over its byte limit' },
  LABEL_TOO_LARGE: { status: 400, meaning: 'a resource label over its byte limit' },
  TX_SCOPE_TOO_LARGE: { status: 400, meaning: 'a scoped body over `TX_SCOPE_BYTES_MAX` bytes' },
  DECL_MALFORMED: {
    status: 400,
    meaning: 'a declaration entry whose object, program, access or sequence index is malformed',
  },
  DECL_TOO_MANY_OBJECTS: { status: 400, meaning: 'a declaration over `DECL_OBJECTS_MAX` objects' },
  DECL_DUPLICATE_OBJECT: { status: 400, meaning: 'a declaration naming one object twice' },
  DECL_NOT_CANONICAL: { status: 400, meaning: 'declaration entries not sorted by object id' },
  GAS_OUT_OF_RANGE: { status: 400, meaning: 'a gas commitment or limit that is not a u64' },
  CALLS_TOO_MANY: { status: 400, meaning: 'a scoped body over `CALLS_MAX` program calls' },
  CALL_INPUT_TOO_LARGE: { status: 400, meaning: 'a program call input over `CALL_INPUT_BYTES_MAX` bytes' },
  OBJECT_VALUE_TOO_LARGE: { status: 400, meaning: 'an object value over `OBJECT_VALUE_BYTES_MAX` bytes' },
  LIMIT_EXCEEDED: { ...RULE, meaning: 'a named limit (items, bytes, depth, in flight) would be passed' },
  UNAUTHORIZED: {
    status: 401,
    meaning:
      'a state-changing request without `Authorization: Bearer <token>` carrying the API token (or to a node that has none, for re-initialisation)',
  },
  REQUEST_TIMEOUT: { status: 408, meaning: 'the request was not received within `REQUEST_TIMEOUT_MS`' },
  URI_TOO_LONG: { status: 414, meaning: 'a path parameter over `PATH_PARAM_CHARS_MAX` characters' },
  HEADERS_TOO_LARGE: { status: 431, meaning: "request headers over node's header size limit (16 KiB)" },
  JSON_TOO_DEEP: { status: 400, meaning: 'a JSON body nested deeper than `JSON_DEPTH_MAX`' },
  RATE_LIMITED: {
    status: 429,
    meaning:
      'one client over `SUBMIT_RATE_PER_S` state-changing requests a second, or over its share of event streams: retry after `Retry-After` seconds',
  },
  INSECURE_LISTEN: {
    status: 400,
    meaning: 'the API was asked to listen beyond loopback without an API token configured',
  },
  UNTRUSTED_KEYSET: {
    status: 403,
    meaning:
      '(re-initialisation) the trusted header is not signed by, or its key set is not, a key set this node already trusts for that domain',
  },
  BODY_TOO_LARGE: { status: 413, meaning: 'a request body over `API_BODY_BYTES_MAX`' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'a request body that is not `application/json`' },

  // --- unknown things
  NOT_FOUND: { status: 404, meaning: 'no such route' },
  NOT_ENABLED: { status: 404, meaning: 'the node runs no such part (transfer driver, global root, ...)' },
  UNKNOWN_HEIGHT: { status: 404, meaning: 'no block or header at that height' },
  BAD_HEIGHT: { status: 404, meaning: 'a height outside what is held (above the tip, before a fork)' },
  VERSION_PRUNED: { status: 404, meaning: 'the tree version at that height was pruned' },
  UNKNOWN_VERSION: { status: 404, meaning: 'no tree version at that height' },
  UNKNOWN_TX: { status: 404, meaning: 'no such transaction' },
  UNKNOWN_VALUE: { status: 404, meaning: 'no block of this domain created that value' },
  UNKNOWN_DOMAIN: { status: 404, meaning: 'no such domain is followed or known' },
  UNKNOWN_TRANSFER: { status: 404, meaning: 'the driver holds no such transfer' },

  // --- conflicts with the current state that a later state may lift
  NULLIFIER_SPENT: { status: 409, meaning: 'a consumed resource was already spent' },
  NULLIFIER_PENDING: { status: 409, meaning: 'a pending transaction already consumes that resource' },
  COMMITMENT_EXISTS: { status: 409, meaning: 'a created resource already exists' },
  DUPLICATE_TX: { status: 409, meaning: 'the transaction is already pending or included' },
  UNKNOWN_ANCHOR: { status: 409, meaning: 'the anchor root is not (yet) accepted here: retry after sync' },
  UNKNOWN_RESOURCE: { status: 409, meaning: '(planning) the resource is not committed on the source' },
  NOT_FROZEN: { status: 409, meaning: '(re-initialisation) the remote view is not frozen' },
  DEADLINE_PASSED: {
    status: 409,
    meaning:
      "a consumed resource's deadline has passed on this domain's clock (a late claim: the source may refund it)",
  },

  // --- transaction rules (docs/transactions.md), and transfer plans
  BAD_PLAN: { status: 422, meaning: 'a transfer plan whose move, claim and resource do not hold together' },
  BAD_PROOF: { ...RULE, meaning: 'a Merkle proof that does not verify against its root' },
  BAD_SIGNATURE: { ...RULE, meaning: 'a signature that does not verify' },
  BAD_VALUE: { ...RULE, meaning: 'a resource value that does not decode' },
  VALUE_MISMATCH: { ...RULE, meaning: "a value that does not hash to the resource's valueRef" },
  LABEL_MISMATCH: { ...RULE, meaning: "a label that does not hash to the resource's labelRef" },
  NK_MISMATCH: { ...RULE, meaning: "a nullifier key that does not match the resource's commitment to it" },
  WRONG_DOMAIN: { ...RULE, meaning: 'consumes a resource homed on another domain' },
  WRONG_EXECUTOR: {
    ...RULE,
    meaning: 'a transaction signed for another domain, or of format 1 consuming a resource with a deadline',
  },
  REFUND_FLAG_MISMATCH: {
    ...RULE,
    meaning: "a consumed resource's refund flag (signed) and refund witness disagree",
  },
  TRANSFER_REFUSED: {
    ...RULE,
    meaning: 'this domain recorded a refusal of a claim of that resource: the source refunds it',
  },
  NULLIFIER_REPEATED: { ...RULE, meaning: 'one transaction consumes a resource twice' },
  DUPLICATE_COMMITMENT: { ...RULE, meaning: 'one transaction creates a resource twice' },
  UNBALANCED: { ...RULE, meaning: 'a kind whose consumed and created quantities differ' },
  UNKNOWN_LOGIC: { ...RULE, meaning: 'a resource logic this domain does not know' },
  LOGIC_REJECTED: { ...RULE, meaning: 'a resource logic refused the transaction' },
  REFUND_NO_DEADLINE: { ...RULE, meaning: 'a refund of a resource without a deadline' },
  REFUND_UNKNOWN_HEADER: {
    ...RULE,
    meaning: 'a refund naming a header of the home this domain does not hold',
  },
  REFUND_TOO_EARLY: { ...RULE, meaning: "a refund whose header is not past the resource's deadline" },
  REFUND_BAD_PROOF: { ...RULE, meaning: 'a refund whose proof does not show the nullifier unspent at home' },
  REFUND_NOT_REMOTE: { ...RULE, meaning: 'a refund witness on a resource homed here' },
  EXPIRED: { ...RULE, meaning: 'a pending transaction or transfer ran past its time and was dropped' },
  VIEW_FROZEN: { ...RULE, meaning: 'the remote view is frozen (the domain equivocated): it accepts nothing' },
  TX_SCOPE_UNSUPPORTED: { ...RULE, meaning: 'a scoped transaction on a domain that does not execute scopes' },
  DECL_WRITE_NOT_READ: {
    ...RULE,
    meaning: 'a write-only declaration entry without a sequence index (w ⊄ r)',
  },
  GAS_BELOW_BASE: { ...RULE, meaning: "a localGas below the schedule's base cost of a transaction" },
  SCOPE_UNFUNDED: {
    ...RULE,
    meaning: "(scoped outcome) scopeGas does not cover the local gas of the transaction's scope: off the DAG",
  },
  OUT_OF_GAS: {
    ...RULE,
    meaning: '(scoped outcome) the transaction ran out of localGas and was charged all of it',
  },
  SCOPE_UNDECLARED: {
    ...RULE,
    meaning: '(scoped outcome) a program touched an object the transaction did not declare',
  },
  SCOPE_NOT_WRITABLE: { ...RULE, meaning: '(scoped outcome) a program wrote an object declared read-only' },
  SCOPE_NOT_OWNER: { ...RULE, meaning: '(scoped outcome) a program wrote an object another program owns' },
  SCOPE_UNKNOWN_PROGRAM: {
    ...RULE,
    meaning: '(scoped outcome) a call to a program the domain does not know',
  },
  SCOPE_WRONG_INDEX: {
    ...RULE,
    meaning: "(scoped outcome) a declared sequence index that does not hold for the object's latest vertex",
  },
  SCOPE_WRONG_PROGRAM: {
    ...RULE,
    meaning: "(scoped outcome) a declared owner that is not the object's owner",
  },
  PROGRAM_REJECTED: { ...RULE, meaning: '(scoped outcome) a program refused the transaction' },
  PROGRAM_FAULT: { ...RULE, meaning: '(scoped outcome) a program threw or broke a rule of its context' },

  // --- the domain's other inputs (headers, key sets, remote views)
  BAD_TIMESTAMP: { status: 400, meaning: 'a header timestamp before the one it must follow' },
  BAD_SIGNATURES: { status: 400, meaning: 'a header not signed by a threshold of its key set' },
  BAD_KEYSET: { status: 400, meaning: 'a key set that is malformed or deleted' },
  BAD_KEYSET_PROOF: { status: 400, meaning: 'a key-set proof that disagrees with the key set written' },
  KEYSET_PENDING: { status: 400, meaning: 'a key-set change is already pending for the next block' },
  STALE_HEADER: { status: 400, meaning: '(domain) a remote header not above the accepted height' },

  // --- remote blocks and sync
  STALE_HEIGHT: { status: 400, meaning: '(sync) a remote update not above the accepted height' },
  REPLAYED_UPDATE: { status: 400, meaning: 'a remote update already accepted' },
  NOT_CONTINUOUS: { status: 400, meaning: 'a remote update that does not link to the accepted head' },
  BAD_TRANSITION: { status: 400, meaning: 'writes and transition proof that do not reach the state root' },
  FULL_VALIDATION_FAILED: { status: 400, meaning: 'a remote block that does not re-execute to its writes' },
  HEADER_MISMATCH: { status: 400, meaning: 'a remote header differs from the one accepted at its height' },
  DOUBLE_SPEND: { status: 400, meaning: 'a remote block spends a nullifier already held here: view frozen' },
  EQUIVOCATION: { status: 400, meaning: 'a domain signed two headers at one height: view frozen' },
  BAD_EVIDENCE: { status: 400, meaning: 'equivocation evidence that proves nothing' },
  UNKNOWN_ROOT: { status: 400, meaning: 'the global tree does not hold that root for the domain' },
  DUPLICATE_DOMAIN: { status: 400, meaning: 'a domain joined twice' },
  LOGIC_EXISTS: { status: 400, meaning: 'a resource logic registered twice' },
  PROGRAM_EXISTS: { status: 400, meaning: 'a program registered twice' },
  ATTESTATION_WRONG_DOMAIN: { status: 400, meaning: "(provers) an attestation of another domain's block" },
  ATTESTATION_TOO_FAR: {
    status: 400,
    meaning: '(provers) an attestation too far above the proven tip to keep',
  },
  PROVER_UNKNOWN: {
    status: 400,
    meaning: "(provers) an attestation by a key outside the domain's prover set",
  },
  PROVER_EXCLUDED: { status: 400, meaning: '(provers) an attestation by a prover excluded on evidence' },
  FOLLOWER_MISSING_TX: {
    status: 400,
    meaning: "(follower) a block without a transaction of the program's scopes",
  },
  FOLLOWER_MISSING_WITNESS: {
    status: 400,
    meaning: '(follower) a block without the proof of a proven value a scope reads',
  },
  SCOPE_WITNESS_MISSING: {
    status: 400,
    meaning: '(sync) a scoped block whose update does not carry the value of every declared object',
  },
  SCOPE_HISTORY_UNKNOWN: {
    status: 400,
    meaning: '(sync) a scoped block whose scopes reach unproven history this verifier did not follow',
  },
  ANCHOR_UNPROVEN: {
    status: 400,
    meaning: "(sync) a claim anchored on a height its domain's provers have not proven yet",
  },

  // --- the node cannot serve now: retry later or elsewhere
  MEMPOOL_FULL: { status: 503, meaning: 'the mempool is full: retry after the next block' },
  TOO_MANY_STREAMS: { status: 503, meaning: '`SSE_CLIENTS_MAX` event streams are open' },
  DOMAIN_FAILED: { status: 503, meaning: 'the domain stopped after a storage failure: restart it' },
  STORE_CLOSED: { status: 503, meaning: 'the store is closed (shutting down)' },
  STORE_FAILED: { status: 503, meaning: 'a storage operation failed' },
  STORE_CORRUPT: { status: 503, meaning: 'stored bytes fail their integrity check' },
  STORE_FORMAT: { status: 503, meaning: 'stored bytes of an unknown or wrong format' },
  TRANSPORT_CLOSED: { status: 503, meaning: 'the transport is closed (shutting down)' },

  // --- stores, transports and processes (no route answers these; see above for 400)
  STORE_MISSING: { status: 400, meaning: 'no node store in that directory' },
  TRANSCRIPT_CORRUPT: { status: 400, meaning: 'a transcript entry does not decode' },
  POOL_CLOSED: { status: 400, meaning: 'the signature verifier pool is closed' },
  BAD_MESSAGE: { status: 400, meaning: 'a transport message without a kind, id or body in bounds' },
  MESSAGE_TOO_LARGE: { status: 400, meaning: "a message over the NATS server's max_payload" },
  NATS_UNAVAILABLE: { status: 400, meaning: 'no NATS server (or no JetStream) at that address' },
  NATS_STREAM_FAILED: { status: 400, meaning: 'the JetStream stream cannot be created or updated' },
  NATS_SERVER_MISSING: { status: 400, meaning: 'nats-server is not installed' },
  NATS_SERVER_FAILED: { status: 400, meaning: 'nats-server did not start or exited' },

  // --- the API client (a failure without an answer has httpStatus 0)
  UNREACHABLE: { status: 400, meaning: '(client) the node could not be reached' },
  TIMEOUT: { status: 400, meaning: '(client, CLI) gave up waiting' },
  BAD_RESPONSE: { status: 400, meaning: '(client) the answer is not what the API defines' },
  UNKNOWN_REMOTE_CODE: {
    status: 502,
    meaning: '(client) the node answered a code this version does not know; the code is in remoteCode',
  },

  // --- the `weft` CLI
  BAD_CONFIG: { status: 400, meaning: '(CLI) a configuration or network file that is not valid' },
  ALREADY_UP: { status: 400, meaning: '(CLI) a network or node is already running there' },
  NOT_UP: { status: 400, meaning: '(CLI) no network was started there' },
  NODE_FAILED: { status: 400, meaning: '(CLI) a node process exited during start' },
  LISTEN_FAILED: { status: 400, meaning: '(CLI) the API cannot listen on that address' },
  NO_WALLET: { status: 400, meaning: '(CLI) no dev wallet in the network directory' },
  NO_COIN: { status: 400, meaning: '(CLI) the dev wallet holds no unspent coin there' },
  MINT_REFUSED: { status: 400, meaning: '(CLI) a domain refused a mint' },
  EVM_REVERTED: {
    status: 502,
    meaning: '(EVM) a contract call reverted; the message names its custom error',
  },
  UNAVAILABLE: {
    status: 503,
    meaning: '(EVM) the JSON-RPC endpoint cannot be reached or answered out of turn',
  },
  MOVE_REFUSED: { status: 409, meaning: '(CLI) weft evm transfer: the source domain refused the move' },
  CLAIM_REFUSED: {
    status: 409,
    meaning: '(CLI) weft transfer --from evm: the destination domain refused the claim of a vault lock',
  },
  WALLET_LOCKED: { status: 409, meaning: '(CLI) another process has held the dev wallet lock too long' },
  STOP_FAILED: { status: 500, meaning: '(CLI) a process of the network could not be stopped' },

  // --- bugs
  INTERNAL: {
    status: 500,
    meaning:
      "an error that is not a WeftError: a bug (its details go to the node's log and `ApiOptions.onError`, never to the client)",
  },
  INVARIANT: { status: 500, meaning: 'a broken internal invariant: a bug in Weft; the node stops' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A stable error code: a key of `ERROR_CODES`, so a misspelt or unlisted code does not compile. */
export type WeftErrorCode = keyof typeof ERROR_CODES;

/** Whether `s` is a code of this version (for codes read from the wire or from disk). */
export function isWeftErrorCode(s: unknown): s is WeftErrorCode {
  return typeof s === 'string' && Object.hasOwn(ERROR_CODES, s);
}

/** `s` as a code, for codes decoded from stored bytes: CODEC when this version does not know it. */
export function toWeftErrorCode(s: string): WeftErrorCode {
  if (isWeftErrorCode(s)) return s;
  throw new WeftError('CODEC', `unknown error code ${JSON.stringify(s.slice(0, 64))}`);
}
