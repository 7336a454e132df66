// Remote views: what one observer has accepted about another domain — its latest verified
// header, the key set that signs the next one, a bounded history of headers and roots, and
// equivocation evidence if the domain ever forked. Views are values; how an update is accepted
// into one is decided in acceptance.ts (docs/sync.md, "Acceptance rules").
import { check, equalBytes, toHex, WeftError, type WeftErrorCode } from '../crypto/index.js';
import {
  encodeKeySet,
  headerHash,
  type KeySet,
  type SignedHeader,
  verifyHeaderSignatures,
} from '../domain/index.js';
import { type EquivocationEvidence, forkHeight, verifyEquivocation } from './equivocation.js';
import { RECENT_HEADERS_DEFAULT, RECENT_HEADERS_MAX } from './limits.js';

/**
 * How much of an update a receiver checks: `signatures` (light: signatures and continuity),
 * `transition` (also that the writes take the accepted root to the new one), `full` (also
 * stateless re-execution of the block's transactions).
 */
export type VerificationMode = 'signatures' | 'transition' | 'full';

export const VERIFICATION_MODES: readonly VerificationMode[] = ['signatures', 'transition', 'full'];

/** One accepted header as a view remembers it. */
export type RecentHeader = {
  height: bigint;
  headerHash: Uint8Array;
  stateRoot: Uint8Array;
  timestamp: bigint;
  signed: SignedHeader;
  /** the key set that signed it (needed to check a conflicting header at this height) */
  signedBy: KeySet;
};

/**
 * What an observer has accepted about one remote domain. Views are values: acceptance returns a
 * new view and never changes the one it was given.
 */
export type RemoteView = {
  readonly domainId: Uint8Array;
  readonly name?: string;
  /** the key set recorded under the head's state root: it must sign the next header */
  readonly keySet: KeySet;
  /** the latest accepted header */
  readonly head: SignedHeader;
  readonly headHash: Uint8Array;
  /** the latest accepted headers by height, ascending, at most `recentMax` */
  readonly recent: ReadonlyMap<bigint, RecentHeader>;
  readonly recentMax: number;
  /** evidence the domain equivocated; a frozen view accepts nothing more */
  readonly frozen: EquivocationEvidence | null;
};

export type TrustOptions = {
  name?: string;
  /** how many latest headers to remember (default 256) */
  recentMax?: number;
  /** the key set that signed the trusted header, when it is not `keySet` (a checkpoint right after a key-set change) */
  signedBy?: KeySet;
};

/**
 * A view that trusts `signed` (a genesis header, or a checkpoint obtained out of band) and
 * `keySet`, the set recorded under its state root (the one that signs the next header). The
 * header must carry a threshold of signatures of `opts.signedBy ?? keySet`.
 *
 * @example
 * const view = trustRemote(alpha.header(0n)!, alpha.keySet, { name: 'alpha' });
 */
export function trustRemote(signed: SignedHeader, keySet: KeySet, opts: TrustOptions = {}): RemoteView {
  assertSignedHeaderShape(signed);
  try {
    encodeKeySet(keySet);
  } catch (e) {
    throw new WeftError('BAD_KEYSET', `the trusted key set is malformed: ${(e as Error).message}`);
  }
  const recentMax = opts.recentMax ?? RECENT_HEADERS_DEFAULT;
  check(
    Number.isInteger(recentMax) && recentMax >= 1 && recentMax <= RECENT_HEADERS_MAX,
    'BAD_INPUT',
    `recentMax must be an integer 1..${RECENT_HEADERS_MAX}`,
  );
  const signedBy = opts.signedBy ?? keySet;
  if (!verifyHeaderSignatures(signed, signedBy)) {
    throw new WeftError('BAD_SIGNATURES', 'the trusted header is not signed by a threshold of its key set');
  }
  const hh = headerHash(signed.header);
  const view: RemoteView = {
    domainId: signed.header.domain.slice(),
    keySet,
    head: signed,
    headHash: hh,
    recent: new Map([[signed.header.height, recentEntry(signed, hh, signedBy)]]),
    recentMax,
    frozen: null,
  };
  return opts.name === undefined ? view : { ...view, name: opts.name };
}

/** A view's memory of one accepted header (for `acceptance.ts`). */
export function recentEntry(signed: SignedHeader, hh: Uint8Array, signedBy: KeySet): RecentHeader {
  return {
    height: signed.header.height,
    headerHash: hh,
    stateRoot: signed.header.stateRoot,
    timestamp: signed.header.timestamp,
    signed,
    signedBy,
  };
}

export function assertSignedHeaderShape(signed: SignedHeader): void {
  const h = signed?.header;
  check(h && typeof h === 'object', 'BAD_INPUT', 'a signed header needs a header');
  for (const f of ['domain', 'prevHash', 'stateRoot', 'txRoot'] as const) {
    check(h[f] instanceof Uint8Array && h[f].length === 32, 'BAD_INPUT', `header.${f} must be 32 bytes`);
  }
  check(
    typeof h.height === 'bigint' && typeof h.timestamp === 'bigint',
    'BAD_INPUT',
    'header height and timestamp must be bigints',
  );
  check(Array.isArray(signed.signatures), 'BAD_INPUT', 'a signed header needs a signature list');
}

/** Throws the WeftError that names a broken rule (with the operator's next step in `details`). */
export function refuse(code: WeftErrorCode, message: string, details?: string): never {
  throw new WeftError(code, message, details === undefined ? {} : { details });
}

/**
 * Freezes `view` with equivocation evidence learnt elsewhere, after checking it under the key
 * set that signed that height (or the current one). A view already frozen is returned as it is.
 * Refused with BAD_EVIDENCE when the evidence does not prove equivocation by this domain.
 */
export function freezeView(view: RemoteView, evidence: EquivocationEvidence): RemoteView {
  if (view.frozen !== null) return view;
  const sets = [view.recent.get(evidence?.a?.header?.height)?.signedBy, view.keySet];
  const ok =
    evidence &&
    evidence.domainId instanceof Uint8Array &&
    equalBytes(evidence.domainId, view.domainId) &&
    sets.some((ks) => ks !== undefined && verifyEquivocation(evidence, ks));
  if (!ok)
    refuse('BAD_EVIDENCE', 'the evidence does not prove that this domain signed two headers at one height');
  return { ...view, frozen: evidence };
}

/**
 * Whether `root` is a state root of this domain the view accepted and still vouches for: one of
 * its recent roots, and — once the view is frozen — only roots committed before the fork height.
 */
export function isAnchorUsable(view: RemoteView, root: Uint8Array): boolean {
  if (!(root instanceof Uint8Array) || root.length !== 32) return false;
  const limit = view.frozen === null ? null : forkHeight(view.frozen);
  for (const r of view.recent.values()) {
    if (limit !== null && r.height >= limit) continue;
    if (equalBytes(r.stateRoot, root)) return true;
  }
  return false;
}

/** The accepted header at `height`, if the view still remembers it. */
export function recentHeader(view: RemoteView, height: bigint): RecentHeader | undefined {
  return view.recent.get(height);
}

/**
 * The accepted header at `height` the view still vouches for: remembered, and before the fork if
 * the view is frozen. What a refund checked against this domain's headers may name.
 */
export function usableHeader(view: RemoteView, height: bigint): RecentHeader | undefined {
  if (view.frozen !== null && height >= forkHeight(view.frozen)) return undefined;
  return view.recent.get(height);
}

/**
 * A frozen view re-initialised from `signed`, a header of the domain an operator trusts (checked
 * out of band) with `keySet`, the set recorded under its root: the new view's head. Headers
 * remembered from before the fork stay (nothing disputed them: equivocation checks and anchors
 * keep working for them); those at or after it go. Refused with NOT_FROZEN (the view is not
 * frozen), UNKNOWN_DOMAIN (another domain's header), BAD_HEIGHT (the header is before the fork:
 * it must settle it), BAD_TIMESTAMP (before a kept header's), BAD_SIGNATURES; `view` is unchanged.
 */
export function reinitializeView(
  view: RemoteView,
  signed: SignedHeader,
  keySet: KeySet,
  opts: TrustOptions = {},
): RemoteView {
  if (view.frozen === null)
    refuse('NOT_FROZEN', 'the view is not frozen; only a frozen view is re-initialised');
  assertSignedHeaderShape(signed);
  if (!equalBytes(signed.header.domain, view.domainId)) {
    refuse('UNKNOWN_DOMAIN', `the header is of domain ${toHex(signed.header.domain)}, not this view's`);
  }
  const fork = forkHeight(view.frozen);
  if (signed.header.height < fork) {
    refuse(
      'BAD_HEIGHT',
      `the trusted header (height ${signed.header.height}) must be at or after the fork height ${fork}`,
    );
  }
  const name = opts.name ?? view.name;
  const fresh = trustRemote(signed, keySet, {
    recentMax: opts.recentMax ?? view.recentMax,
    ...(opts.signedBy ? { signedBy: opts.signedBy } : {}),
    ...(name === undefined ? {} : { name }),
  });
  const recent = new Map<bigint, RecentHeader>();
  for (const [h, r] of view.recent) {
    if (h >= fork) continue;
    if (r.timestamp > signed.header.timestamp) {
      refuse(
        'BAD_TIMESTAMP',
        `the trusted header's timestamp is before that of the kept header at height ${h}`,
      );
    }
    recent.set(h, r);
  }
  for (const [h, r] of fresh.recent) recent.set(h, r);
  while (recent.size > fresh.recentMax) recent.delete(recent.keys().next().value as bigint);
  return { ...fresh, recent };
}
