// weft/client: a typed client of the node API over the global fetch (no dependencies). Methods
// return decoded values (Uint8Array, bigint, typed objects); failures throw WeftApiError, a
// WeftError carrying the server's code. Proofs come back decoded, for the caller to verify.
import { fromHex, type KeyPair, toHex, WeftError, type WeftErrorCode } from '../crypto/index.js';
import type {
  Block,
  Header,
  KeySet,
  SignedHeader,
  StateProof,
  SubmitResult,
  TxStatus,
} from '../domain/index.js';
import { encodeKeySet, encodeSignedHeader } from '../domain/index.js';
import { commitment, type Random, type ResourceParts } from '../resource/index.js';
import {
  decodeProverEvidence,
  encodeSignedAttestation,
  type ProverEvidence,
  type SignedAttestation,
} from '../scope/index.js';
import { type Proof, verifyProof } from '../smt/index.js';
import { planTransfer, type Transfer, type TransferPlan, type TransferWait } from '../transfer/index.js';
import { commitmentKey, encodeTransaction, type Transaction, transactionToJson } from '../tx/index.js';
import { READS_BATCH_MAX } from './limits.js';
import type { EventType } from './schemas.js';
import {
  type BlockJson,
  blockFromJson,
  headerFromJson,
  type Json,
  type KeySetJson,
  keySetFromJson,
  planToJson,
  proofFromHex,
  type ReinitResult,
  type ReinitResultJson,
  reinitFromJson,
  remoteCodeOf,
  type SignedHeaderJson,
  type StateProofJson,
  signedHeaderFromJson,
  stateProofFromJson,
  statusFromJson,
  type TransferJson,
  type TransferWaitJson,
  type TxStatusJson,
  transferFromJson,
  waitFromJson,
} from './wire.js';

export type { ReinitResult } from './wire.js';

/** How long a request may take by default before it is abandoned (TIMEOUT). */
export const CLIENT_TIMEOUT_MS_DEFAULT = 10_000;
/** Longest line of an event stream the client reads; a longer one ends the stream (BAD_RESPONSE). */
export const EVENT_LINE_CHARS_MAX = 4 * 1024 * 1024;

/**
 * A failed call: the server's code and message, and the HTTP status (0 when none came back).
 * A code this client does not know (a newer server) arrives as UNKNOWN_REMOTE_CODE, with the
 * server's own code in `remoteCode` and at the start of the message.
 */
export class WeftApiError extends WeftError {
  readonly httpStatus: number;
  /** The code exactly as the server sent it (equal to `code` unless that is UNKNOWN_REMOTE_CODE). */
  readonly remoteCode: string;
  constructor(
    code: WeftErrorCode,
    message: string,
    httpStatus: number,
    opts: { cause?: unknown; remoteCode?: string } = {},
  ) {
    super(code, message, opts.cause === undefined ? {} : { cause: opts.cause });
    this.httpStatus = httpStatus;
    this.remoteCode = opts.remoteCode ?? code;
  }
}

export type ClientOptions = {
  /** the fetch to use (default: the global one) */
  fetch?: typeof fetch;
  /** per request (default CLIENT_TIMEOUT_MS_DEFAULT); event streams have none */
  timeoutMs?: number;
  /** extra headers on every request (e.g. authorization added by a proxy) */
  headers?: Record<string, string>;
  /** the node's API token, sent as `Authorization: Bearer <token>` (state-changing routes need it) */
  token?: string;
};

export type NodeInfo = {
  name: string;
  domainId: Uint8Array;
  keySet: KeySet;
  committedHeight: bigint;
  provenHeight: bigint;
  mempool: number;
  /** which anchors known only through other domains the node accepts (docs/sync.md) */
  anchorPolicy: { maxIntermediaries: number; maxStalenessMs: number };
};
export type RootInfo = {
  height: bigint;
  stateRoot: Uint8Array;
  headerHash: Uint8Array;
  timestamp: bigint;
  committedHeight: bigint;
  provenHeight: bigint;
};
export type RootEntry = { height: bigint; stateRoot: Uint8Array; headerHash: Uint8Array; timestamp: bigint };
/** What a node did with an attestation (`attest`). */
export type AttestationResult = {
  counted: boolean;
  mismatch: boolean;
  advancedTo: bigint | null;
  evidence: ProverEvidence | null;
  provenHeight: bigint;
};
export type RemoteInfo = {
  domainId: Uint8Array;
  name: string | null;
  /** the latest header the node's sync layer verified (null when the node runs no network) */
  head: SignedHeader | null;
  /** the header the domain recorded in its own tree (what anchors use) */
  recorded: Header | null;
  frozen: boolean;
  frozenFromHeight: bigint | null;
  /** what proves the freeze: `kind`, and hashes of the evidence the node keeps (docs/sync.md) */
  frozenBy: {
    kind: 'equivocation' | 'invalidBlock' | 'doubleSpend';
    evidenceHash: string | null;
    headerHash: string | null;
    updateHash: string | null;
    reason: string | null;
  } | null;
  /** no newer header accepted within the node's trusting period */
  expired: boolean;
  /** the equivocation evidence the node keeps: two signed headers of one height (hashes checked) */
  evidence: { first: SignedHeader; second: SignedHeader }[];
};
export type GlobalRootInfo = {
  root: Uint8Array;
  /** each domain's root in the global tree, with its proof under `root` */
  domains: { domainId: Uint8Array; stateRoot: Uint8Array; proof: Proof }[];
};
export type TransferStatus = { transfer: Transfer; waiting: TransferWait | null };
export type Health = {
  ok: boolean;
  name: string;
  domainId: Uint8Array;
  height: bigint;
  provenHeight: bigint;
  peers: number;
  mempool: number;
  /** random per process start: a different one on the same port is another process */
  instance: string;
  /** the node's message transport (NATS), or null when it runs none */
  transport: { connected: boolean; disconnects: number } | null;
};

function transportOf(j: unknown): Health['transport'] {
  if (j === null || typeof j !== 'object') return null;
  const t = j as Record<string, unknown>;
  return { connected: t.connected === true, disconnects: Number(t.disconnects) };
}

/** One event of the stream, decoded; `id` is the server's sequence number. */
export type ApiEvent =
  | {
      type: 'blockSealed';
      id: string;
      height: bigint;
      headerHash: Uint8Array;
      stateRoot: Uint8Array;
      timestamp: bigint;
      txCount: number;
    }
  | { type: 'remoteAccepted'; id: string; domainId: Uint8Array; height: bigint; headerHash: Uint8Array }
  | { type: 'refused'; id: string; from: Uint8Array; code: WeftErrorCode; message: string }
  | { type: 'transferPhase'; id: string; transfer: Transfer };

type ErrorJson = { error?: { code?: unknown; message?: unknown }; txId?: string; status?: TxStatusJson };

const height = (h: bigint | 'latest') => (h === 'latest' ? 'latest' : h.toString());
const q = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, v);
  const text = s.toString();
  return text === '' ? '' : `?${text}`;
};
/** Codes that mean "no such thing": lookups answer undefined for them, like the Domain does. */
const UNKNOWN = new Set<WeftErrorCode>([
  'UNKNOWN_TX',
  'UNKNOWN_HEIGHT',
  'UNKNOWN_VALUE',
  'UNKNOWN_DOMAIN',
  'UNKNOWN_TRANSFER',
]);

/**
 * @example
 * const client = new WeftClient('http://127.0.0.1:7400');
 * const { txId, status } = await client.submit(tx);
 * const p = await client.proveCommitment(cm);
 * verifyProof(p.root, p.key, p.value, p.proof); // true
 */
export class WeftClient {
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  constructor(baseUrl: string, opts: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? CLIENT_TIMEOUT_MS_DEFAULT;
    this.headers = {
      ...(opts.headers ?? {}),
      ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
    };
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const timeout = (e as Error).name === 'TimeoutError';
      throw new WeftApiError(
        timeout ? 'TIMEOUT' : 'UNREACHABLE',
        timeout
          ? `${method} ${path} took longer than ${this.timeoutMs} ms`
          : `${method} ${path} failed: ${(e as Error).message}`,
        0,
        { cause: e },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WeftApiError(
        'BAD_RESPONSE',
        `${method} ${path} answered ${res.status} with no JSON`,
        res.status,
      );
    }
    return { status: res.status, json };
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const { status, json } = await this.send(method, path, body);
    if (status >= 200 && status < 300) return json as T;
    throw errorOf(status, json);
  }

  /** `call`, but a 404 with an UNKNOWN_* code answers undefined. */
  private async lookup<T>(path: string): Promise<T | undefined> {
    try {
      return await this.call<T>('GET', path);
    } catch (e) {
      if (e instanceof WeftApiError && e.httpStatus === 404 && UNKNOWN.has(e.code)) return undefined;
      throw e;
    }
  }

  /** The domain the node runs: name, id, key set, tips. */
  async info(): Promise<NodeInfo> {
    const j = await this.call<Json<Omit<NodeInfo, 'keySet'>> & { keySet: KeySetJson }>('GET', '/v1/info');
    return {
      name: j.name,
      domainId: fromHex(j.domainId, 32, 'domainId'),
      keySet: keySetFromJson(j.keySet),
      committedHeight: BigInt(j.committedHeight),
      provenHeight: BigInt(j.provenHeight),
      mempool: j.mempool,
      anchorPolicy: { ...j.anchorPolicy },
    };
  }

  /**
   * Submits a transaction, as its canonical encoding (default) or its JSON form. Like
   * `Domain.submit`, a refusal is a status, not a throw: `{ status: 'rejected', code, reason }`.
   */
  async submit(tx: Transaction, opts: { form?: 'encoded' | 'json' } = {}): Promise<SubmitResult> {
    const body =
      opts.form === 'json' ? { json: transactionToJson(tx) } : { tx: toHex(encodeTransaction(tx)) };
    const { status, json } = await this.send('POST', '/v1/txs', body);
    const j = json as ErrorJson & { txId?: string; status?: TxStatusJson };
    if ((status >= 200 && status < 300) || (j.txId !== undefined && j.status !== undefined)) {
      if (j.txId === undefined || j.status === undefined) throw errorOf(status, json);
      return { txId: fromHex(j.txId, 32, 'txId'), status: statusFromJson(j.status) };
    }
    throw errorOf(status, json);
  }

  /** A transaction's status; undefined when the domain never saw it. */
  async status(txId: Uint8Array): Promise<TxStatus | undefined> {
    const j = await this.lookup<{ status: TxStatusJson }>(`/v1/txs/${toHex(txId)}`);
    return j === undefined ? undefined : statusFromJson(j.status);
  }

  /**
   * The statuses of many transactions in one read (at most READS_BATCH_MAX), in order;
   * undefined for one the domain does not know.
   */
  async statuses(txIds: Uint8Array[]): Promise<(TxStatus | undefined)[]> {
    const j = await this.call<{ statuses: { status: TxStatusJson | null }[] }>(
      'GET',
      `/v1/txs${q({ ids: txIds.map(toHex).join(',') })}`,
    );
    return j.statuses.map((s) => (s.status === null ? undefined : statusFromJson(s.status)));
  }

  /** The signed header at `height` (or the latest); undefined above the tip. */
  async header(at: bigint | 'latest' = 'latest'): Promise<SignedHeader | undefined> {
    const j = await this.lookup<SignedHeaderJson>(`/v1/headers/${height(at)}`);
    return j === undefined ? undefined : signedHeaderFromJson(j);
  }

  /** The block at `height`, decoded from its canonical encoding; undefined above the tip. */
  async block(at: bigint): Promise<Block | undefined> {
    const j = await this.lookup<BlockJson>(`/v1/blocks/${at}`);
    return j === undefined ? undefined : blockFromJson(j);
  }

  /** The state root at the committed tip, and both tips. */
  async root(): Promise<RootInfo> {
    const j = await this.call<Json<RootInfo>>('GET', '/v1/root');
    return {
      height: BigInt(j.height),
      stateRoot: fromHex(j.stateRoot, 32, 'stateRoot'),
      headerHash: fromHex(j.headerHash, 32, 'headerHash'),
      timestamp: BigInt(j.timestamp),
      committedHeight: BigInt(j.committedHeight),
      provenHeight: BigInt(j.provenHeight),
    };
  }

  /** The committed height (what a peer's reads need; see `weft/node` PeerReads). */
  async committedHeight(): Promise<bigint> {
    return (await this.root()).committedHeight;
  }

  /** Roots over a range of heights (the server bounds and defaults it). */
  async roots(range: { from?: bigint; to?: bigint } = {}): Promise<RootEntry[]> {
    const j = await this.call<{ roots: Json<RootEntry>[] }>(
      'GET',
      `/v1/roots${q({ from: range.from?.toString(), to: range.to?.toString() })}`,
    );
    return j.roots.map((r) => ({
      height: BigInt(r.height),
      stateRoot: fromHex(r.stateRoot, 32, 'stateRoot'),
      headerHash: fromHex(r.headerHash, 32, 'headerHash'),
      timestamp: BigInt(r.timestamp),
    }));
  }

  /** Proof that commitment `cm` is (or is not) in the tree at `height` (default: the tip). */
  async proveCommitment(cm: Uint8Array, at?: bigint): Promise<StateProof> {
    const j = await this.call<StateProofJson>(
      'GET',
      `/v1/proofs/commitments/${toHex(cm)}${q({ height: at?.toString() })}`,
    );
    return stateProofFromJson(j);
  }

  /** Proofs for many commitments in one read (at most READS_BATCH_MAX), in order, at one height. */
  async proveCommitments(cms: Uint8Array[], at?: bigint): Promise<StateProof[]> {
    const j = await this.call<{ proofs: StateProofJson[] }>(
      'GET',
      `/v1/proofs/commitments${q({ cms: cms.map(toHex).join(','), height: at?.toString() })}`,
    );
    return j.proofs.map(stateProofFromJson);
  }

  /** Proof that nullifier `nf` is spent (present) or not (absent) at `height`. */
  async proveNullifier(nf: Uint8Array, at?: bigint): Promise<StateProof> {
    const j = await this.call<StateProofJson>(
      'GET',
      `/v1/proofs/nullifiers/${toHex(nf)}${q({ height: at?.toString() })}`,
    );
    return stateProofFromJson(j);
  }

  /** Proofs for many nullifiers in one read (at most READS_BATCH_MAX), in order, at one height. */
  async proveNullifiers(nfs: Uint8Array[], at?: bigint): Promise<StateProof[]> {
    const j = await this.call<{ proofs: StateProofJson[] }>(
      'GET',
      `/v1/proofs/nullifiers${q({ nfs: nfs.map(toHex).join(','), height: at?.toString() })}`,
    );
    return j.proofs.map(stateProofFromJson);
  }

  /** Refusal proofs for many nullifiers in one read (at most READS_BATCH_MAX), in order, at one height. */
  async proveRefusals(nfs: Uint8Array[], at?: bigint): Promise<StateProof[]> {
    const j = await this.call<{ proofs: StateProofJson[] }>(
      'GET',
      `/v1/proofs/refusals${q({ nfs: nfs.map(toHex).join(','), height: at?.toString() })}`,
    );
    return j.proofs.map(stateProofFromJson);
  }

  /** Proof that this domain recorded (present) or not (absent) a refusal of a claim of `nf`'s resource. */
  async proveRefusal(nf: Uint8Array, at?: bigint): Promise<StateProof> {
    const j = await this.call<StateProofJson>(
      'GET',
      `/v1/proofs/refusals/${toHex(nf)}${q({ height: at?.toString() })}`,
    );
    return stateProofFromJson(j);
  }

  /** Proof of an object's state (`0x04 || object`) at `height` (default: the tip). */
  async proveObject(object: Uint8Array, at?: bigint): Promise<StateProof> {
    const j = await this.call<StateProofJson>(
      'GET',
      `/v1/proofs/objects/${toHex(object)}${q({ height: at?.toString() })}`,
    );
    return stateProofFromJson(j);
  }

  /** Proof of the key-set record (`0x05 || "keyset"`) at `height` (default: the tip). */
  async proveKeySet(at?: bigint): Promise<StateProof> {
    const j = await this.call<StateProofJson>('GET', `/v1/proofs/keyset${q({ height: at?.toString() })}`);
    return stateProofFromJson(j);
  }

  /** Whether a transaction may anchor on `root` at this domain now. */
  async acceptsAnchor(root: Uint8Array): Promise<boolean> {
    return (await this.call<{ accepted: boolean }>('GET', `/v1/anchors/${toHex(root)}`)).accepted;
  }

  /** Every remote view of the node. */
  async remotes(): Promise<RemoteInfo[]> {
    const j = await this.call<{ remotes: RemoteJson[] }>('GET', '/v1/remotes');
    return j.remotes.map(remoteFromJson);
  }

  /** One remote view; undefined when the node does not follow the domain. */
  async remote(domainId: Uint8Array): Promise<RemoteInfo | undefined> {
    const j = await this.lookup<RemoteJson>(`/v1/remotes/${toHex(domainId)}`);
    return j === undefined ? undefined : remoteFromJson(j);
  }

  /** The latest header of `domainId` the domain recorded (as `Domain.remoteHeader`). */
  async remoteHeader(domainId: Uint8Array): Promise<Header | undefined> {
    return (await this.remote(domainId))?.recorded ?? undefined;
  }

  /** The node's global root, with each known domain's root and proof. */
  async globalRoot(): Promise<GlobalRootInfo> {
    const j = await this.call<Json<GlobalRootInfo>>('GET', '/v1/global-root');
    return {
      root: fromHex(j.root, 32, 'root'),
      domains: j.domains.map((d) => ({
        domainId: fromHex(d.domainId, 32, 'domainId'),
        stateRoot: fromHex(d.stateRoot, 32, 'stateRoot'),
        proof: proofFromHex(d.proof),
      })),
    };
  }

  /**
   * Operator recovery: this node replaces its frozen view of `trusted`'s domain with that header
   * (docs/operations.md). Resolves with the dropped roots and the transfers on each side.
   */
  async reinitializeRemote(
    trusted: SignedHeader,
    keySet: KeySet,
    p: { by: string; evidence?: Uint8Array },
  ): Promise<ReinitResult> {
    const j = await this.call<ReinitResultJson>(
      'POST',
      `/v1/remotes/${toHex(trusted.header.domain)}/reinit`,
      {
        header: toHex(encodeSignedHeader(trusted)),
        keySet: toHex(encodeKeySet(keySet)),
        by: p.by,
        ...(p.evidence ? { evidence: toHex(p.evidence) } : {}),
      },
    );
    return reinitFromJson(j);
  }

  /**
   * Hands a prover's signed attestation to the node (docs/provers.md). Resolves with whether it
   * counted, the proven tip it moved to, and evidence when it convicted the prover.
   */
  async attest(signed: SignedAttestation): Promise<AttestationResult> {
    const j = await this.call<Record<string, unknown>>('POST', '/v1/attestations', {
      attestation: toHex(encodeSignedAttestation(signed)),
    });
    return {
      counted: j.counted === true,
      mismatch: j.mismatch === true,
      advancedTo: typeof j.advancedTo === 'string' ? BigInt(j.advancedTo) : null,
      evidence: typeof j.evidence === 'string' ? decodeProverEvidence(fromHex(j.evidence)) : null,
      provenHeight: BigInt(String(j.provenHeight)),
    };
  }

  /** Starts a transfer from this node's domain to `to` with a plan signed by the owner. */
  async startTransfer(plan: TransferPlan, to: Uint8Array): Promise<TransferStatus> {
    return transferStatusOf(
      await this.call<TransferStatusJson>('POST', '/v1/transfers', { to: toHex(to), plan: planToJson(plan) }),
    );
  }

  /**
   * Starts many transfers from this node's domain in one request (at most TRANSFERS_BATCH_MAX):
   * one bad item refuses them all with nothing started. Resolves with the transfers in order.
   *
   * @example
   * const started = await client.startTransfers(plans.map((plan) => ({ plan, to: beta })));
   */
  async startTransfers(items: { plan: TransferPlan; to: Uint8Array }[]): Promise<Transfer[]> {
    const j = await this.call<{ transfers: TransferJson[] }>('POST', '/v1/transfers/batch', {
      transfers: items.map((t) => ({ to: toHex(t.to), plan: planToJson(t.plan) })),
    });
    return j.transfers.map(transferFromJson);
  }

  /** A transfer and what it waits for; undefined when the driver does not hold it. */
  async transfer(id: string): Promise<TransferStatus | undefined> {
    const j = await this.lookup<TransferStatusJson>(`/v1/transfers/${id}`);
    return j === undefined ? undefined : transferStatusOf(j);
  }

  /** Transfers the node's driver holds, newest first. */
  async transfers(filter: { phase?: Transfer['phase']; limit?: number } = {}): Promise<Transfer[]> {
    const j = await this.call<{ transfers: TransferJson[] }>(
      'GET',
      `/v1/transfers${q({ phase: filter.phase, limit: filter.limit?.toString() })}`,
    );
    return j.transfers.map(transferFromJson);
  }

  /** The value preimage whose SHA-256 is `valueRef`; undefined when no block here created it. */
  async value(valueRef: Uint8Array): Promise<Uint8Array | undefined> {
    const j = await this.lookup<{ value: string }>(`/v1/values/${toHex(valueRef)}`);
    return j === undefined ? undefined : fromHex(j.value, undefined, 'value');
  }

  async health(): Promise<Health> {
    const j = await this.call<Record<string, unknown>>('GET', '/health');
    return {
      ok: j.ok === true,
      name: String(j.name),
      domainId: fromHex(String(j.domainId), 32, 'domainId'),
      height: BigInt(String(j.height)),
      provenHeight: BigInt(String(j.provenHeight)),
      peers: Number(j.peers),
      mempool: Number(j.mempool),
      instance: String(j.instance),
      transport: transportOf(j.transport),
    };
  }

  /** The Prometheus exposition text. */
  async metrics(): Promise<string> {
    const res = await this.fetchFn(`${this.baseUrl}/metrics`, {
      headers: this.headers,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new WeftApiError('BAD_RESPONSE', `GET /metrics answered ${res.status}`, res.status);
    return text;
  }

  /** The OpenAPI 3.1 document. */
  async openapi(): Promise<Record<string, unknown>> {
    return this.call('GET', '/openapi.json');
  }

  /**
   * The node's events as they happen, decoded. Ends when `signal` aborts or the loop breaks
   * (the connection closes and the server unsubscribes); throws when the stream fails.
   *
   * @example
   * for await (const e of client.events({ types: ['blockSealed'] })) console.log(e.height);
   */
  async *events(opts: { types?: EventType[]; signal?: AbortSignal } = {}): AsyncGenerator<ApiEvent> {
    const path = `/v1/events${q({ types: opts.types?.join(',') })}`;
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, {
        headers: { accept: 'text/event-stream', ...this.headers },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw new WeftApiError('UNREACHABLE', `GET ${path} failed: ${(e as Error).message}`, 0, { cause: e });
    }
    if (!res.ok || !res.body) {
      let json: unknown = null;
      try {
        json = await res.json();
      } catch {
        // no JSON body: the status says enough
      }
      throw errorOf(res.status, json);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const frames = new SseFrames();
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (opts.signal?.aborted) return;
          throw new WeftApiError('UNREACHABLE', `the event stream broke: ${(e as Error).message}`, 0, {
            cause: e,
          });
        }
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          const event = frames.line(line);
          if (event) yield event;
        }
        if (buffer.length > EVENT_LINE_CHARS_MAX) {
          throw new WeftApiError(
            'BAD_RESPONSE',
            `an event stream line is longer than ${EVENT_LINE_CHARS_MAX} characters`,
            200,
          );
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

/** The signed head carries its header hash on the wire, for the client to check. */
type RemoteJson = Json<Omit<RemoteInfo, 'head' | 'evidence'>> & {
  head: SignedHeaderJson | null;
  evidence?: { first: SignedHeaderJson; second: SignedHeaderJson }[];
};
type TransferStatusJson = { transfer: TransferJson; waiting: TransferWaitJson | null };

function remoteFromJson(j: RemoteJson): RemoteInfo {
  return {
    domainId: fromHex(j.domainId, 32, 'domainId'),
    name: j.name,
    head: j.head === null ? null : signedHeaderFromJson(j.head),
    recorded: j.recorded === null ? null : headerFromJson(j.recorded),
    frozen: j.frozen,
    frozenFromHeight: j.frozenFromHeight === null ? null : BigInt(j.frozenFromHeight),
    frozenBy: j.frozenBy ?? null,
    expired: j.expired ?? false,
    evidence: (j.evidence ?? []).map((e) => ({
      first: signedHeaderFromJson(e.first),
      second: signedHeaderFromJson(e.second),
    })),
  };
}

function transferStatusOf(j: TransferStatusJson): TransferStatus {
  return {
    transfer: transferFromJson(j.transfer),
    waiting: j.waiting === null ? null : waitFromJson(j.waiting),
  };
}

/** Server-Sent Events framing: lines in, an event out at each blank line that ends a frame with data. */
class SseFrames {
  private frame: { id: string; event: string; data: string[] } = { id: '', event: 'message', data: [] };

  /** The event `line` completes, or null (a field, a comment, a frame without data). */
  line(line: string): ApiEvent | null {
    if (line === '') {
      const f = this.frame;
      const event = f.data.length > 0 ? eventOf(f.event, f.id, f.data.join('\n')) : null;
      this.frame = { id: f.id, event: 'message', data: [] };
      return event;
    }
    if (line.startsWith(':')) return null; // a comment: the heartbeat
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.frame.event = value;
    else if (field === 'data') this.frame.data.push(value);
    else if (field === 'id') this.frame.id = value;
    return null;
  }
}

function errorOf(status: number, json: unknown): WeftApiError {
  const e = (json as ErrorJson | null)?.error;
  const message = typeof e?.message === 'string' ? e.message : `the node answered HTTP ${status}`;
  // An answer without a code (a proxy's, say) is not the API's error shape.
  if (typeof e?.code !== 'string') return new WeftApiError('BAD_RESPONSE', message, status);
  const known = remoteCodeOf(e.code, message);
  return new WeftApiError(known.code, known.reason, status, { remoteCode: e.code });
}

/** A refusal's code and message off the stream; an unknown code is kept in the message. */
function refusalOf(code: string, message: string): { code: WeftErrorCode; message: string } {
  const known = remoteCodeOf(code, message);
  return { code: known.code, message: known.reason };
}

/** One stream frame as an event; null for a type this client does not know (newer servers). */
function eventOf(type: string, id: string, data: string): ApiEvent | null {
  // The fields of every event type the server sends (wire.ts and events.ts write them).
  const d = JSON.parse(data) as {
    height: string;
    headerHash: string;
    stateRoot: string;
    timestamp: string;
    txCount: number;
    domainId: string;
    from: string;
    code: string;
    message: string;
  };
  switch (type) {
    case 'blockSealed':
      return {
        type,
        id,
        height: BigInt(d.height),
        headerHash: fromHex(d.headerHash, 32, 'headerHash'),
        stateRoot: fromHex(d.stateRoot, 32, 'stateRoot'),
        timestamp: BigInt(d.timestamp),
        txCount: d.txCount,
      };
    case 'remoteAccepted':
      return {
        type,
        id,
        domainId: fromHex(d.domainId, 32, 'domainId'),
        height: BigInt(d.height),
        headerHash: fromHex(d.headerHash, 32, 'headerHash'),
      };
    case 'refused':
      return { type, id, from: fromHex(d.from, 32, 'from'), ...refusalOf(d.code, d.message) };
    case 'transferPhase':
      return { type, id, transfer: transferFromJson(d as unknown as TransferJson) };
    default:
      return null;
  }
}

export type PlanTransferViaParameters = {
  /** destination domain id */
  to: Uint8Array;
  /** the resource to move, committed on the client's node, with its nullifier key */
  resource: ResourceParts & { nk: Uint8Array };
  /** its owner: signs the move and the claim here, in the client */
  owner: KeyPair;
  random?: Random;
  /** a deadline (ms, destination time) after which the claim is refused and the driver refunds */
  deadline?: bigint;
};

/**
 * Plans and signs a transfer from the client's node to `to` without the node seeing a key: the
 * commitment proof comes from the node (checked here for consistency), and `planTransfer` signs.
 * Start it with `client.startTransfer(plan, to)`.
 *
 * @example
 * const plan = await planTransferVia(client, { to: beta, resource: coin, owner: alice });
 * const { transfer } = await client.startTransfer(plan, beta);
 */
export async function planTransferVia(
  client: WeftClient,
  p: PlanTransferViaParameters,
): Promise<TransferPlan> {
  const info = await client.info();
  const cm = commitment(p.resource.resource);
  const proof = await client.proveCommitment(cm);
  if (
    toHex(proof.key) !== toHex(commitmentKey(cm)) ||
    !verifyProof(proof.root, proof.key, proof.value, proof.proof)
  ) {
    throw new WeftError('BAD_PROOF', "the node's commitment proof does not verify under the root it sent");
  }
  return planTransfer({
    from: { id: info.domainId, proveCommitment: () => proof },
    to: { id: p.to },
    resource: p.resource,
    owner: p.owner,
    ...(p.random ? { random: p.random } : {}),
    ...(p.deadline === undefined ? {} : { deadline: p.deadline }),
  });
}

/**
 * Proofs of `cms` from the node in one read; from a node that does not serve the batched route
 * (a build before it: `NOT_FOUND`, no route — remembered in `older` for the other reads), one
 * read per commitment, one after another, so the caller's concurrency still bounds the requests.
 */
async function commitmentProofs(
  client: WeftClient,
  cms: Uint8Array[],
  older: { known: boolean },
): Promise<StateProof[]> {
  if (!older.known) {
    try {
      return await client.proveCommitments(cms);
    } catch (e) {
      if (!(e instanceof WeftApiError && e.httpStatus === 404 && e.code === 'NOT_FOUND')) throw e;
      older.known = true;
    }
  }
  const out: StateProof[] = [];
  for (const cm of cms) out.push(await client.proveCommitment(cm));
  return out;
}

/** Commitment proof reads (each of up to READS_BATCH_MAX proofs) `planTransfersVia` has in flight at once, by default. */
export const PLAN_PROOFS_CONCURRENCY_DEFAULT = 32;

/**
 * Plans many transfers from the client's node, as `planTransferVia` does one: the node's id is
 * read once, the commitment proofs are fetched READS_BATCH_MAX to a read, reads side by side (at
 * most `concurrency` at a time), each proof checked for consistency, and each plan signed here. Start them with
 * `client.startTransfers` (at most TRANSFERS_BATCH_MAX a request).
 *
 * @example
 * const plans = await planTransfersVia(client, coins.map((c) => ({ to: beta, resource: c, owner: alice })));
 * await client.startTransfers(plans.map((plan) => ({ plan, to: beta })));
 */
export async function planTransfersVia(
  client: WeftClient,
  params: PlanTransferViaParameters[],
  opts: { concurrency?: number } = {},
): Promise<TransferPlan[]> {
  const info = await client.info();
  const proofs: StateProof[] = new Array(params.length);
  const cms = params.map((p) => commitment(p.resource.resource));
  // READS_BATCH_MAX commitments a read (`GET /v1/proofs/commitments?cms=`), reads side by side.
  const groups = Math.ceil(params.length / READS_BATCH_MAX);
  const older = { known: false };
  let next = 0;
  const worker = async () => {
    for (let g = next++; g < groups; g = next++) {
      const at = g * READS_BATCH_MAX;
      const asked = cms.slice(at, at + READS_BATCH_MAX);
      const got = await commitmentProofs(client, asked, older);
      if (got.length !== asked.length)
        throw new WeftError(
          'BAD_PROOF',
          `the node answered ${got.length} commitment proofs for ${asked.length}`,
        );
      for (const [k, proof] of got.entries()) {
        if (
          toHex(proof.key) !== toHex(commitmentKey(asked[k]!)) ||
          !verifyProof(proof.root, proof.key, proof.value, proof.proof)
        ) {
          throw new WeftError(
            'BAD_PROOF',
            "the node's commitment proof does not verify under the root it sent",
          );
        }
        proofs[at + k] = proof;
      }
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency ?? PLAN_PROOFS_CONCURRENCY_DEFAULT, groups));
  await Promise.all(Array.from({ length: workers }, worker));
  const plans: TransferPlan[] = [];
  for (const [i, p] of params.entries()) {
    plans.push(
      await planTransfer({
        from: { id: info.domainId, proveCommitment: () => proofs[i]! },
        to: { id: p.to },
        resource: p.resource,
        owner: p.owner,
        ...(p.random ? { random: p.random } : {}),
        ...(p.deadline === undefined ? {} : { deadline: p.deadline }),
      }),
    );
  }
  return plans;
}
