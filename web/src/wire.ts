// The JSON the dashboard reads from a node (docs/api.md), as types. The transfer and header shapes
// are the API's own (src/api/wire.ts, imported as types only: nothing of the server is bundled).
import type {
  HeaderJson,
  SignedHeaderJson,
  StateProofJson,
  TransferJson,
  TransferWaitJson,
} from '../../src/api/wire.js';
import type { TransferPhase } from '../../src/transfer/machine.js';

export type { HeaderJson, SignedHeaderJson, StateProofJson, TransferJson, TransferPhase, TransferWaitJson };

/** Every phase of the transfer machine (src/transfer/machine.ts), in the order a transfer meets them. */
export const PHASES: readonly TransferPhase[] = [
  'requested',
  'sourceCommitted',
  'rootSynced',
  'claimed',
  'confirmed',
  'refundable',
  'refunded',
  'failed',
  'expired',
];

export type InfoJson = {
  name: string;
  domainId: string;
  committedHeight: string;
  provenHeight: string;
  mempool: number;
  /** how this node verifies its peers' root updates (absent when the node does not say) */
  mode?: string;
};

/** GET /v1/network: the domains of the node's network file, with their API addresses. */
export type NetworkJson = { domains: { name: string; domainId: string; api: string }[] };

export type RootJson = {
  height: string;
  stateRoot: string;
  headerHash: string;
  timestamp: string;
  committedHeight: string;
  provenHeight: string;
};

export type RemoteJson = {
  domainId: string;
  name: string | null;
  head: SignedHeaderJson | null;
  recorded: HeaderJson | null;
  frozen: boolean;
  frozenFromHeight: string | null;
  /** no newer header accepted within the observer's trusting period (absent from older nodes) */
  expired?: boolean;
  /** the equivocation evidence the observer keeps: two signed headers of one height */
  evidence?: EvidenceJson[];
};

/** Equivocation evidence as GET /v1/remotes/:id serves it. */
export type EvidenceJson = { first: SignedHeaderJson; second: SignedHeaderJson };

export type BlockSealedJson = {
  height: string;
  headerHash: string;
  stateRoot: string;
  timestamp: string;
  txCount: number;
};
export type RemoteAcceptedJson = { domainId: string; height: string; headerHash: string };
export type RefusedJson = { from: string; code: string; message: string };

/** One decoded frame of a node's event stream. */
export type NodeEvent =
  | { type: 'blockSealed'; data: BlockSealedJson }
  | { type: 'remoteAccepted'; data: RemoteAcceptedJson }
  | { type: 'refused'; data: RefusedJson }
  | { type: 'transferPhase'; data: TransferJson };

export const EVENT_TYPES: readonly NodeEvent['type'][] = [
  'blockSealed',
  'remoteAccepted',
  'refused',
  'transferPhase',
];
