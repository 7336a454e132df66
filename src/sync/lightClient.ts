// A light client that is not a domain (a wallet, a monitor, a test observer): it holds its own
// remote views — the same `RemoteView` values a domain keeps in its state — and swaps each for
// its successor after acceptance, telling listeners. A domain node never uses one: its views live
// in the domain state (`SyncState` reads them, the router applies verdicts as domain inputs).
import { EventEmitter } from 'node:events';
import { check, hexKey, toHex, WeftError } from '../crypto/index.js';
import {
  type Domain,
  freezeRemoteView,
  type InvalidBlockEvidence,
  type KeySet,
  type SignedHeader,
} from '../domain/index.js';
import {
  type AcceptanceVerdict,
  acceptRootUpdate,
  acceptRootUpdates,
  InvalidUpdateError,
  type SyncContext,
} from './acceptance.js';
import { EquivocationError, type EquivocationEvidence } from './equivocation.js';
import { SYNC_EVIDENCE_KEPT_MAX, SYNC_VIEWS_MAX } from './limits.js';
import type { RootUpdate } from './update.js';
import {
  freezeView,
  isAnchorUsable,
  type RemoteView,
  reinitializeView,
  type TrustOptions,
  trustRemote,
  usableHeader,
  type VerificationMode,
} from './view.js';

export type SyncEvents = {
  /** headers of `domainId` accepted, in height order */
  accepted: [{ domainId: Uint8Array; headers: SignedHeader[]; view: RemoteView }];
  /** the domain equivocated; its view is now frozen */
  equivocation: [{ domainId: Uint8Array; evidence: EquivocationEvidence; view: RemoteView }];
  /** (full mode) the domain signed a block its transactions do not imply; its view is now frozen */
  invalidBlock: [{ domainId: Uint8Array; evidence: InvalidBlockEvidence; view: RemoteView }];
  /** a frozen view was re-initialised from a trusted header; `evidence` is what it answered */
  reinitialized: [{ domainId: Uint8Array; evidence: EquivocationEvidence; view: RemoteView }];
};

/**
 * The remote views of an observer that is not a domain, keyed by DomainId. An update for a
 * domain not registered with `trust` is refused with UNKNOWN_DOMAIN.
 *
 * @example
 * const light = new LightClient();
 * light.trust(alpha.header(0n)!, alpha.keySet, { name: 'alpha' });
 * light.on('equivocation', ({ evidence }) => gossip(evidence));
 * const accepted = light.accept(update, 'transition');
 */
export class LightClient extends EventEmitter<SyncEvents> {
  private readonly views = new Map<string, RemoteView>();
  /** Equivocations answered by a re-initialisation, per domain, oldest first. */
  private readonly answered = new Map<string, EquivocationEvidence[]>();

  /** Starts following a domain from a trusted header and key set. DUPLICATE_DOMAIN if already followed. */
  trust(signed: SignedHeader, keySet: KeySet, opts: TrustOptions = {}): RemoteView {
    const view = trustRemote(signed, keySet, opts);
    const key = hexKey(view.domainId);
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
    return domainId instanceof Uint8Array ? this.views.get(hexKey(domainId)) : undefined;
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
        { details: 'Trust the domain first (LightClient.trust with its genesis or a checkpoint).' },
      );
    }
    return view;
  }

  /**
   * Accepts one update for the domain its header names; returns the headers accepted. Refusals
   * leave the registry unchanged, except EQUIVOCATION, which installs the frozen view (and
   * emits `equivocation`) before rethrowing, and (full mode) a block whose writes its transactions
   * do not imply (`InvalidUpdateError`, FULL_VALIDATION_FAILED), which does the same and emits
   * `invalidBlock`.
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

  /**
   * Installs the light-client view a verdict of `decideAcceptance` carries (`updates` are the
   * ones it decided on) and tells listeners: `equivocation` for an equivocation freeze,
   * `accepted` otherwise. A verdict without a view changes nothing.
   */
  adopt(verdict: AcceptanceVerdict, updates: readonly RootUpdate[]): void {
    if (!('view' in verdict) || verdict.view === undefined) return;
    const view = this.lookup(verdict.view.domainId);
    this.views.set(hexKey(view.domainId), verdict.view);
    if (verdict.kind === 'freeze' && verdict.evidence !== undefined) {
      this.emit('equivocation', { domainId: view.domainId, evidence: verdict.evidence, view: verdict.view });
    } else if (verdict.kind === 'freeze' && verdict.invalidBlock !== undefined) {
      this.emit('invalidBlock', {
        domainId: view.domainId,
        evidence: verdict.invalidBlock,
        view: verdict.view,
      });
    } else {
      this.emit('accepted', {
        domainId: view.domainId,
        headers: updates.map((u) => u.signed),
        view: verdict.view,
      });
    }
  }

  /** Freezes a followed domain's view with evidence learnt elsewhere (BAD_EVIDENCE if it does not verify). */
  report(evidence: EquivocationEvidence): RemoteView {
    const view = this.lookup(evidence?.domainId);
    if (view.frozen !== null) return view;
    const frozen = freezeView(view, evidence);
    this.views.set(hexKey(view.domainId), frozen);
    this.emit('equivocation', { domainId: view.domainId, evidence, view: frozen });
    return frozen;
  }

  /**
   * Replaces the frozen view of the domain `signed` names with one re-initialised from that
   * trusted header and `keySet` (`reinitializeView`: pre-fork headers kept, later ones dropped).
   * The evidence it answers stays recorded (`equivocations`) and is emitted with `reinitialized`.
   * NOT_FROZEN for a view that is not frozen, UNKNOWN_DOMAIN for a domain not followed.
   *
   * @example
   * sync.reinitialize(trusted, keySetAtTrusted); // after an operator settled the fork out of band
   */
  reinitialize(signed: SignedHeader, keySet: KeySet, opts: TrustOptions = {}): RemoteView {
    const view = this.lookup(signed?.header?.domain);
    const next = reinitializeView(view, signed, keySet, opts);
    // A light client freezes only on equivocation, so its freeze always carries the evidence.
    const evidence = view.frozen!.evidence!;
    const key = hexKey(view.domainId);
    const kept = this.answered.get(key) ?? [];
    kept.push(evidence);
    while (kept.length > SYNC_EVIDENCE_KEPT_MAX) kept.shift();
    this.answered.set(key, kept);
    this.views.set(key, next);
    this.emit('reinitialized', { domainId: view.domainId, evidence, view: next });
    return next;
  }

  /**
   * Every equivocation of `domainId` this registry holds evidence of: those answered by a
   * re-initialisation (oldest first, at most SYNC_EVIDENCE_KEPT_MAX), then the current one if
   * the view is frozen.
   */
  equivocations(domainId: Uint8Array): EquivocationEvidence[] {
    const view = this.view(domainId);
    if (view === undefined) return [];
    const out = [...(this.answered.get(hexKey(view.domainId)) ?? [])];
    if (view.frozen?.evidence) out.push(view.frozen.evidence);
    return out;
  }

  private commit(
    view: RemoteView,
    run: () => { view: RemoteView; accepted: SignedHeader[] },
  ): SignedHeader[] {
    try {
      const { view: next, accepted } = run();
      this.views.set(hexKey(view.domainId), next);
      this.emit('accepted', { domainId: view.domainId, headers: accepted, view: next });
      return accepted;
    } catch (e) {
      if (e instanceof EquivocationError) {
        const frozen = e.frozenView as RemoteView;
        this.views.set(hexKey(view.domainId), frozen);
        this.emit('equivocation', { domainId: view.domainId, evidence: e.evidence, view: frozen });
      }
      if (e instanceof InvalidUpdateError) {
        const fromHeight = e.evidence.signed.header.height;
        const frozen = freezeRemoteView(view, { fromHeight, evidence: null, invalidBlock: e.evidence });
        this.views.set(hexKey(view.domainId), frozen);
        this.emit('invalidBlock', { domainId: view.domainId, evidence: e.evidence, view: frozen });
      }
      throw e;
    }
  }

  /**
   * Full mode's defaults, each only where the caller gave none: other domains' anchors are any
   * root another followed view vouches for, and refund headers any header another followed view
   * remembers (before its fork, if frozen). An observer that is itself a domain must pass its
   * own headers in `ctx.remoteHeaderAt`: a refund of a resource homed on it names one of them,
   * and a registry does not know them.
   */
  private withDefaults(view: RemoteView, ctx: SyncContext): SyncContext {
    const self = hexKey(view.domainId);
    const out: SyncContext = { ...ctx };
    if (ctx.isKnownRoot === undefined) {
      out.isKnownRoot = (root) => {
        for (const [k, v] of this.views) if (k !== self && isAnchorUsable(v, root)) return true;
        return false;
      };
    }
    if (ctx.remoteHeaderAt === undefined) {
      out.remoteHeaderAt = (domainId, height) => {
        if (!(domainId instanceof Uint8Array) || hexKey(domainId) === self) return undefined;
        const v = this.views.get(hexKey(domainId));
        return v === undefined ? undefined : usableHeader(v, height);
      };
    }
    return out;
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
