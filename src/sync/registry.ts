// The registry of remote views one observer keeps: which domains it follows, and the one place
// that swaps a view for its successor after acceptance (or for its frozen self after an
// equivocation), telling listeners. Views themselves stay immutable values.
import { EventEmitter } from 'node:events';
import { check, toHex, WeftError } from '../crypto/index.js';
import type { Domain, KeySet, SignedHeader } from '../domain/index.js';
import { EquivocationError, type EquivocationEvidence } from './equivocation.js';
import { SYNC_VIEWS_MAX } from './limits.js';
import type { RootUpdate } from './update.js';
import {
  acceptRootUpdate,
  acceptRootUpdates,
  freezeView,
  isAnchorUsable,
  type RemoteView,
  type SyncContext,
  type TrustOptions,
  trustRemote,
  type VerificationMode,
} from './view.js';

export type SyncEvents = {
  /** headers of `domainId` accepted, in height order */
  accepted: [{ domainId: Uint8Array; headers: SignedHeader[]; view: RemoteView }];
  /** the domain equivocated; its view is now frozen */
  equivocation: [{ domainId: Uint8Array; evidence: EquivocationEvidence; view: RemoteView }];
};

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/**
 * One observer's remote views, keyed by DomainId. An update for a domain not registered with
 * `trust` is refused with UNKNOWN_DOMAIN.
 *
 * @example
 * const sync = new SyncState();
 * sync.trust(alpha.header(0n)!, alpha.keySet, { name: 'alpha' });
 * sync.on('equivocation', ({ evidence }) => gossip(evidence));
 * const accepted = sync.accept(update, 'transition');
 */
export class SyncState extends EventEmitter<SyncEvents> {
  private readonly views = new Map<string, RemoteView>();

  /** Starts following a domain from a trusted header and key set. DUPLICATE_DOMAIN if already followed. */
  trust(signed: SignedHeader, keySet: KeySet, opts: TrustOptions = {}): RemoteView {
    const view = trustRemote(signed, keySet, opts);
    const key = hex(view.domainId);
    if (this.views.has(key)) {
      throw new WeftError('DUPLICATE_DOMAIN', `domain ${toHex(view.domainId)} is already followed`);
    }
    check(
      this.views.size < SYNC_VIEWS_MAX,
      'LIMIT_EXCEEDED',
      `a registry follows at most ${SYNC_VIEWS_MAX} domains`,
    );
    this.views.set(key, view);
    return view;
  }

  /** The current view of `domainId`, if followed. */
  view(domainId: Uint8Array): RemoteView | undefined {
    return domainId instanceof Uint8Array ? this.views.get(hex(domainId)) : undefined;
  }

  /** Every followed view, in DomainId order. */
  list(): RemoteView[] {
    return [...this.views.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  private lookup(domainId: Uint8Array): RemoteView {
    const view = this.view(domainId);
    if (view === undefined) {
      throw new WeftError(
        'UNKNOWN_DOMAIN',
        `no view of domain ${domainId instanceof Uint8Array ? toHex(domainId) : '?'} is registered`,
        { details: 'Trust the domain first (SyncState.trust with its genesis or a checkpoint).' },
      );
    }
    return view;
  }

  /**
   * Accepts one update for the domain its header names; returns the headers accepted. Refusals
   * leave the registry unchanged, except EQUIVOCATION, which installs the frozen view (and
   * emits `equivocation`) before rethrowing.
   */
  accept(update: RootUpdate, mode: VerificationMode, ctx: SyncContext = {}): SignedHeader[] {
    const domainId = update?.signed?.header?.domain;
    const view = this.lookup(domainId);
    return this.commit(view, () => acceptRootUpdate(view, update, mode, this.withDefaults(view, ctx)));
  }

  /** Accepts a chain of updates for one domain (gap filling), all or nothing. */
  acceptChain(updates: RootUpdate[], mode: VerificationMode, ctx: SyncContext = {}): SignedHeader[] {
    check(Array.isArray(updates) && updates.length > 0, 'BAD_INPUT', 'a chain needs at least one update');
    const view = this.lookup(updates[0]?.signed?.header?.domain as Uint8Array);
    return this.commit(view, () => acceptRootUpdates(view, updates, mode, this.withDefaults(view, ctx)));
  }

  /** Freezes a followed domain's view with evidence learnt elsewhere (BAD_EVIDENCE if it does not verify). */
  report(evidence: EquivocationEvidence): RemoteView {
    const view = this.lookup(evidence?.domainId);
    if (view.frozen !== null) return view;
    const frozen = freezeView(view, evidence);
    this.views.set(hex(view.domainId), frozen);
    this.emit('equivocation', { domainId: view.domainId, evidence, view: frozen });
    return frozen;
  }

  private commit(
    view: RemoteView,
    run: () => { view: RemoteView; accepted: SignedHeader[] },
  ): SignedHeader[] {
    try {
      const { view: next, accepted } = run();
      this.views.set(hex(view.domainId), next);
      this.emit('accepted', { domainId: view.domainId, headers: accepted, view: next });
      return accepted;
    } catch (e) {
      if (e instanceof EquivocationError) {
        const frozen = e.frozenView as RemoteView;
        this.views.set(hex(view.domainId), frozen);
        this.emit('equivocation', { domainId: view.domainId, evidence: e.evidence, view: frozen });
      }
      throw e;
    }
  }

  /** Full mode's default for other domains' anchors: any root another followed view vouches for. */
  private withDefaults(view: RemoteView, ctx: SyncContext): SyncContext {
    if (ctx.isKnownRoot !== undefined) return ctx;
    const self = hex(view.domainId);
    return {
      ...ctx,
      isKnownRoot: (root) => {
        for (const [k, v] of this.views) if (k !== self && isAnchorUsable(v, root)) return true;
        return false;
      },
    };
  }

  /** Whether any followed view vouches for `root` (recent, and before the fork if frozen). */
  isAnchorUsable(root: Uint8Array): boolean {
    for (const v of this.views.values()) if (isAnchorUsable(v, root)) return true;
    return false;
  }

  /** DomainId -> latest accepted state root for every view, for a GlobalRoot. */
  roots(): { domainId: Uint8Array; root: Uint8Array }[] {
    return this.list().map((v) => ({ domainId: v.domainId, root: v.head.header.stateRoot }));
  }
}

/**
 * Records accepted remote headers in a domain, in order: each becomes an anchor there and the
 * latest lands in its tree as `0x03 || DomainId -> headerHash || height` in the next block.
 */
export async function recordAccepted(domain: Domain, accepted: SignedHeader[]): Promise<void> {
  for (const sh of accepted) await domain.acceptRemoteHeader(sh.header);
}
