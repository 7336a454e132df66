// Remote views: what one observer has accepted about another domain — its latest verified
// header, the key set that signs the next one, a bounded history of headers and roots, and
// equivocation evidence if the domain ever forked. Views are values; how an update is accepted
// into one is decided in acceptance.ts (docs/sync.md, "Acceptance rules").
import { check, equalBytes, toHex, WeftError, type WeftErrorCode } from '../crypto/index.js';
import {
  advanceView,
  encodeKeySet,
  freezeRemoteView,
  isRootUsable,
  type KeySet,
  keySetsEqual,
  knowsBefore,
  newRemoteView,
  type RecentHeader,
  type RemoteView,
  rootsOf,
  type SignedHeader,
  usableHeader as usableHeaderOf,
  type VerificationMode,
  verifyHeaderSignatures,
} from '../domain/index.js';
import { type EquivocationEvidence, forkHeight, verifyEquivocation } from './equivocation.js';
import { RECENT_HEADERS_DEFAULT, RECENT_HEADERS_MAX } from './limits.js';

// One view type for the light client and the domain: defined beside the domain state that holds
// and persists it (weft/domain), re-exported here where acceptance reads it.
export type { RecentHeader, RemoteView, VerificationMode } from '../domain/index.js';
export { recentEntry, VERIFICATION_MODES } from '../domain/index.js';

export type TrustOptions = {
  name?: string;
  /** the mode the view will verify in, when known (a domain's view records it) */
  mode?: VerificationMode;
  /** the observer's clock (ms) when it trusted the header: the view's last-advanced time */
  atMs?: bigint;
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
  return newRemoteView({
    signed,
    keySet,
    signedBy,
    mode: opts.mode ?? null,
    recentMax,
    atMs: opts.atMs ?? 0n,
    name: opts.name,
  });
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
 * set in force: the set that signed that height must still be the view's (a header signed by a
 * retired key set is no evidence — retired keys may have leaked). A view already frozen is
 * returned as it is. Refused with BAD_EVIDENCE when the evidence does not prove equivocation by
 * this domain's current key set.
 */
export function freezeView(view: RemoteView, evidence: EquivocationEvidence): RemoteView {
  if (view.frozen !== null) return view;
  const ok =
    evidence &&
    evidence.domainId instanceof Uint8Array &&
    equalBytes(evidence.domainId, view.domainId) &&
    signedByCurrentSet(view, evidence?.a?.header?.height) &&
    verifyEquivocation(evidence, view.keySet!);
  if (!ok)
    refuse(
      'BAD_EVIDENCE',
      'the evidence does not prove that this domain, under its current key set, signed two headers at one height',
    );
  return freezeRemoteView(view, { fromHeight: forkHeight(evidence), evidence });
}

/**
 * Whether a header at `height` would be signed by the view's key set in force: the set that
 * signed the remembered header there is that set (or, for a height the view does not remember,
 * the view has a key set at all). What makes a conflicting header evidence.
 */
export function signedByCurrentSet(view: RemoteView, height: bigint): boolean {
  if (view.keySet === null || typeof height !== 'bigint') return false;
  const known = view.recent.get(height);
  if (known === undefined) return true;
  return known.signedBy !== null && keySetsEqual(known.signedBy, view.keySet);
}

/**
 * Whether `root` is a state root of this domain the view accepted and still vouches for: one of
 * its recent roots, and — once the view is frozen — only roots committed before the fork height.
 */
export function isAnchorUsable(view: RemoteView, root: Uint8Array): boolean {
  return isRootUsable(view, root);
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
  return usableHeaderOf(view, height);
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
  const fork = view.frozen.fromHeight;
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
  const base: RemoteView = {
    ...view,
    ...(name === undefined ? {} : { name }),
    recentMax: fresh.recentMax,
    recent,
    roots: rootsOf(recent),
    frozen: null,
    knows: knowsBefore(view, fork),
  };
  return advanceView(base, signed, {
    signedBy: opts.signedBy ?? keySet,
    keySet,
    mode: opts.mode ?? view.mode,
    atMs: opts.atMs ?? view.advancedAtMs,
  });
}
