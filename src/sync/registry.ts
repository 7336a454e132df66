// A read-only window on the remote views a domain holds in its state: what the API, metrics and
// the transfer driver ask about a node's peers (their heads, freezes, expiry). It holds nothing of
// its own; every answer is read from the domain at the moment it is asked.
import { hexKey } from '../crypto/index.js';
import {
  type EquivocationEvidence,
  isRootUsable,
  isViewExpired,
  type RemoteView,
  TRUSTING_PERIOD_MS_DEFAULT,
} from '../domain/index.js';

/** Where the views are: a `Domain` (its state) or anything that reads like one. */
export type ViewSource = {
  remoteView(domainId: Uint8Array): RemoteView | undefined;
  remoteViews(): RemoteView[];
};

export type SyncStateOptions = {
  /** how long a view may go without a newer header before it is expired (default 14 days) */
  trustingPeriodMs?: bigint;
  /** the observer's clock (ms) for expiry */
  clock?: () => bigint;
};

/**
 * The remote views of one domain, read-only. The views themselves are changed only by the
 * domain's inputs (`trustRemote`, `acceptRemoteHeader`, `freezeRemote`, `reinitRemote`).
 *
 * @example
 * const sync = new SyncState(alpha, { trustingPeriodMs: 3_600_000n });
 * sync.view(beta.id)?.head.header.height; // what alpha accepted of beta
 * sync.expired(beta.id); // true once beta's view has not advanced for an hour
 */
export class SyncState {
  readonly trustingPeriodMs: bigint;
  private readonly clock: () => bigint;

  constructor(
    private readonly source: ViewSource,
    opts: SyncStateOptions = {},
  ) {
    this.trustingPeriodMs = opts.trustingPeriodMs ?? TRUSTING_PERIOD_MS_DEFAULT;
    this.clock = opts.clock ?? (() => BigInt(Date.now()));
  }

  /** The current view of `domainId`, if followed. */
  view(domainId: Uint8Array): RemoteView | undefined {
    return domainId instanceof Uint8Array ? this.source.remoteView(domainId) : undefined;
  }

  /** Every followed view, in DomainId order. */
  list(): RemoteView[] {
    return this.source.remoteViews();
  }

  /**
   * Whether the view of `domainId` has not advanced within the trusting period: claims anchored
   * on it wait until a newer header arrives. False for a domain not followed.
   */
  expired(domainId: Uint8Array, nowMs: bigint = this.clock()): boolean {
    const view = this.view(domainId);
    return view !== undefined && isViewExpired(view, nowMs, this.trustingPeriodMs);
  }

  /** The equivocation evidence the view of `domainId` is frozen on, as a list (empty when none). */
  equivocations(domainId: Uint8Array): EquivocationEvidence[] {
    const evidence = this.view(domainId)?.frozen?.evidence;
    return evidence ? [evidence] : [];
  }

  /** Whether any followed view vouches for `root` (recent, and before the fork if frozen). */
  isAnchorUsable(root: Uint8Array): boolean {
    return this.list().some((v) => isRootUsable(v, root));
  }

  /** DomainId -> latest accepted state root for every view, for a GlobalRoot. */
  roots(): { domainId: Uint8Array; root: Uint8Array }[] {
    return this.list().map((v) => ({ domainId: v.domainId, root: v.head.header.stateRoot }));
  }

  /** The views keyed by unprefixed hex DomainId. */
  byKey(): Map<string, RemoteView> {
    return new Map(this.list().map((v) => [hexKey(v.domainId), v]));
  }
}
