// What the API serves: the smallest view of a running node it needs. The node host implements it;
// tests hand in a Domain with a SyncRouter and a TransferDriver, which fit as they are.
import type { Domain, KeySet, SignedHeader } from '../domain/index.js';
import type { ReinitReport, SyncRouterEvents } from '../node/index.js';
import type { Proof } from '../smt/index.js';
import type { SyncState, VerificationMode } from '../sync/index.js';
import type { Transfer, TransferHandle, TransferPlan, TransferWait } from '../transfer/index.js';

/** The network a node takes part in (a `SyncRouter`). */
export interface ApiNetwork {
  /** the remote views a member keeps */
  syncOf(domainId: Uint8Array): SyncState | undefined;
  /** message counters of the whole network object (all its members) */
  counters(): Readonly<Record<string, number>>;
  on(event: 'refused', listener: (...args: SyncRouterEvents['refused']) => void): unknown;
  on(event: 'accepted', listener: (...args: SyncRouterEvents['accepted']) => void): unknown;
  off(event: 'refused', listener: (...args: SyncRouterEvents['refused']) => void): unknown;
  off(event: 'accepted', listener: (...args: SyncRouterEvents['accepted']) => void): unknown;
}

/** The transfer driver of a node (a `TransferDriver`). */
export interface ApiDriver {
  get(id: string): Transfer | undefined;
  list(): Transfer[];
  explain(id: string): TransferWait | undefined | Promise<TransferWait | undefined>;
  /** starts a transfer planned and signed elsewhere (the node never sees a key) */
  adopt(plan: TransferPlan, from: Uint8Array, to: Uint8Array): Promise<TransferHandle>;
  /** starts many such transfers at once; one bad item refuses them all, nothing started */
  adoptMany(items: { plan: TransferPlan; from: Uint8Array; to: Uint8Array }[]): Promise<TransferHandle[]>;
  on(event: 'phase', listener: (t: Transfer) => void): unknown;
  off(event: 'phase', listener: (t: Transfer) => void): unknown;
}

/** The observer's global tree (a `GlobalRoot`). */
export interface ApiGlobalRoot {
  root(): Uint8Array;
  get(domainId: Uint8Array): Uint8Array | null;
  proveDomain(domainId: Uint8Array): Proof;
}

/** The message transport of a node (a `NatsTransport`): whether it is connected, for health and logs. */
export interface ApiTransport {
  stats(): { connected: boolean; disconnects: number; reconnects: number };
  /** calls `listener` on every disconnect and reconnect; returns the unsubscribe */
  onStatus?(listener: (s: { type: 'disconnect' | 'reconnect'; server?: string }) => void): () => void;
}

/**
 * A running node as the API sees it. Only `domain` is required; routes of a part the node does
 * not run answer 404 NOT_ENABLED.
 */
export interface ApiNode {
  domain: Domain;
  router?: ApiNetwork;
  driver?: ApiDriver;
  globalRoot?(): ApiGlobalRoot;
  /** the message transport (NATS): its outages show in /health, /metrics and the log */
  transport?: ApiTransport;
  /** operator recovery from a freeze (a `NodeHost`): replaces a frozen remote view */
  reinitializeRemote?(
    trusted: SignedHeader,
    keySet: KeySet,
    p: { by: string; evidence?: Uint8Array },
  ): Promise<ReinitReport>;
  /** how the node verifies its peers' root updates (`GET /v1/info` says it) */
  mode?: VerificationMode;
  /** the domains of the node's network with their API addresses (`GET /v1/network`) */
  members?(): NetworkMember[];
}

/** A domain of the network as the dashboard finds its node: name, id and API address. */
export type NetworkMember = { name: string; domainId: Uint8Array; api: string };
