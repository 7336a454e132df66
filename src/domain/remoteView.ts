// One remote domain as an observer knows it: the single view that sync acceptance reads and the
// transition records (head signed header, key set in force, window of recent headers and roots,
// freeze with its evidence, the mode it was verified in, when it last advanced). Held in the
// domain state and persisted with it; views are values — every function here returns a new one.
import { equalBytes, hexKey } from '../crypto/index.js';
import { headerHash, type SignedHeader } from './header.js';
import type { KeySet } from './keyset.js';

/**
 * How much of an update a receiver checks: `signatures` (light: signatures and continuity),
 * `transition` (also that the writes take the accepted root to the new one), `full` (also
 * stateless re-execution of the block's transactions).
 */
export type VerificationMode = 'signatures' | 'transition' | 'full' | 'evm';

/** The modes a Weft domain's root updates are verified in (`evm` is not one: it follows a vault). */
export const VERIFICATION_MODES: readonly VerificationMode[] = ['signatures', 'transition', 'full'];

/**
 * Every mode a view can be recorded in: the three above, and `evm` — an EVM vault followed over
 * JSON-RPC (weft/evm `VaultFollower`, docs/evm.md "The evm mode"), whose "headers" the node
 * derives from the vault's `Locked` events after N confirmations (`vaultHeader`).
 */
export const VIEW_MODES: readonly VerificationMode[] = [...VERIFICATION_MODES, 'evm'];

/** Whether `view` follows an EVM vault (`evm` mode): its roots are vault commitment roots. */
export function isVaultView(view: RemoteView): boolean {
  return view.mode === 'evm';
}

/**
 * Two conflicting signed headers of `domainId` at one height (weft/sync builds and checks them:
 * `makeEquivocationEvidence`, `verifyEquivocation`).
 */
export type EquivocationEvidence = { domainId: Uint8Array; a: SignedHeader; b: SignedHeader };

/** Most UTF-8 bytes of the reason an invalid-block evidence keeps. */
export const INVALID_BLOCK_REASON_BYTES_MAX = 1024;

/**
 * A block signed by the domain's key set whose writes its own transactions do not imply (docs/sync.md,
 * "Invalid blocks"): the signed header, the hash of the root update that carried it (the update itself
 * is what proves it; anyone holding it re-runs full validation), and why it failed.
 */
export type InvalidBlockEvidence = {
  domainId: Uint8Array;
  signed: SignedHeader;
  /** sha256 of the encoded root update (`encodeRootUpdate`) */
  updateHash: Uint8Array;
  reason: string;
};

/** One accepted header as a view remembers it. */
export type RecentHeader = {
  height: bigint;
  headerHash: Uint8Array;
  stateRoot: Uint8Array;
  timestamp: bigint;
  signed: SignedHeader;
  /**
   * the key set that signed it (needed to check a conflicting header at this height); null when
   * the header was recorded by a caller that verified it elsewhere
   */
  signedBy: KeySet | null;
};

/**
 * A header of a third domain that the view's domain accepted, as a full-mode observer learnt it
 * from a backed `0x03` record of one of its blocks (`at`: that block's height).
 */
export type KnownHeader = { height: bigint; stateRoot: Uint8Array; timestamp: bigint; at: bigint };

/** What one block taught about a third domain's headers its domain accepted. */
export type LearnedHeader = {
  domainId: Uint8Array;
  height: bigint;
  stateRoot: Uint8Array;
  timestamp: bigint;
};

/** Most third domains a view remembers the accepted headers of. */
export const VIEW_KNOWS_DOMAINS_MAX = 4096;

/** Why a view is frozen: from which height, and the equivocation evidence when that is the proof. */
export type RemoteFreeze = {
  fromHeight: bigint;
  /** two signed headers at `fromHeight`; null for a freeze proven otherwise (a double spend) */
  evidence: EquivocationEvidence | null;
  /** the invalid block that proves it, when that is the proof */
  invalidBlock?: InvalidBlockEvidence;
};

/**
 * What an observer has accepted about one remote domain. One type for the light client and the
 * domain: `decideAcceptance` reads it, the domain's remote inputs produce it, checkpoints keep it.
 */
export type RemoteView = {
  readonly domainId: Uint8Array;
  readonly name?: string;
  /** the mode the latest header was verified in; null when recorded by a caller that verified it */
  readonly mode: VerificationMode | null;
  /** the key set recorded under the head's state root: it must sign the next header (null: unknown) */
  readonly keySet: KeySet | null;
  /** the latest accepted header */
  readonly head: SignedHeader;
  readonly headHash: Uint8Array;
  /** the latest accepted headers by height, ascending, at most `recentMax`: the anchor window */
  readonly recent: ReadonlyMap<bigint, RecentHeader>;
  readonly recentMax: number;
  /** the window's state roots (hex) -> the lowest retained height that has it: usable anchors */
  readonly roots: ReadonlyMap<string, bigint>;
  /** the one freeze flag: nothing more is accepted, roots and headers from `fromHeight` on count for nothing */
  readonly frozen: RemoteFreeze | null;
  /** when (ms, the observer's clock, passed in) the view last took a newer header */
  readonly advancedAtMs: bigint;
  /**
   * What this domain itself accepted of third domains (hex DomainId -> height -> header), as
   * learnt in full mode from its backed records, at most `recentMax` per domain: the anchors and
   * refund headers its transactions may use (docs/sync.md, "What a block claims about others").
   */
  readonly knows: ReadonlyMap<string, ReadonlyMap<bigint, KnownHeader>>;
};

/** A view's memory of one accepted header. */
export function recentEntry(signed: SignedHeader, hh: Uint8Array, signedBy: KeySet | null): RecentHeader {
  return {
    height: signed.header.height,
    headerHash: hh,
    stateRoot: signed.header.stateRoot,
    timestamp: signed.header.timestamp,
    signed,
    signedBy,
  };
}

/** The anchors index of a window: each root at the lowest height that has it. */
export function rootsOf(recent: ReadonlyMap<bigint, RecentHeader>): Map<string, bigint> {
  const roots = new Map<string, bigint>();
  for (const r of recent.values()) {
    const k = hexKey(r.stateRoot);
    if (!roots.has(k)) roots.set(k, r.height);
  }
  return roots;
}

/** A view whose only header is `signed` (a trusted header, or the first one a caller recorded). */
export function newRemoteView(p: {
  signed: SignedHeader;
  keySet: KeySet | null;
  signedBy: KeySet | null;
  mode: VerificationMode | null;
  recentMax: number;
  atMs: bigint;
  name?: string | undefined;
}): RemoteView {
  const hh = headerHash(p.signed.header);
  const recent = new Map([[p.signed.header.height, recentEntry(p.signed, hh, p.signedBy)]]);
  const view: RemoteView = {
    domainId: p.signed.header.domain.slice(),
    mode: p.mode,
    keySet: p.keySet,
    head: p.signed,
    headHash: hh,
    recent,
    recentMax: p.recentMax,
    roots: rootsOf(recent),
    frozen: null,
    advancedAtMs: p.atMs,
    knows: new Map(),
  };
  return p.name === undefined ? view : { ...view, name: p.name };
}

/**
 * The windows (`recent` and `roots` maps) one chain of advances made and may change in place:
 * whoever creates it promises that the views between the chain's first and last advance reach
 * nobody else (`acceptRootUpdates` drops them), so only its input view — whose windows it never
 * owns, and copies once — and its last view are ever read. Views stay values to everyone else.
 */
export class WindowChain {
  private readonly owned = new WeakSet<object>();

  /** Whether `view`'s windows were made by this chain (then they may change in place). */
  owns(view: RemoteView): boolean {
    return this.owned.has(view.recent) && this.owned.has(view.roots);
  }

  claim(recent: Map<bigint, RecentHeader>, roots: Map<string, bigint>): void {
    this.owned.add(recent);
    this.owned.add(roots);
  }
}

/**
 * The view with `signed` as its new head (no rule is checked here: acceptance and the domain's
 * input preconditions did). `keySet` is the set in force after it, `signedBy` the one that signed
 * it; the oldest headers past `recentMax` leave the window with their roots. The window is copied,
 * except inside a `chain` whose earlier advance made it (`WindowChain`).
 */
export function advanceView(
  view: RemoteView,
  signed: SignedHeader,
  p: {
    signedBy: KeySet | null;
    keySet: KeySet | null;
    mode: VerificationMode | null;
    atMs: bigint;
    learned?: readonly LearnedHeader[];
  },
  chain?: WindowChain,
): RemoteView {
  const hh = headerHash(signed.header);
  const entry = recentEntry(signed, hh, p.signedBy);
  const inPlace = chain?.owns(view) === true;
  const recent = inPlace ? (view.recent as Map<bigint, RecentHeader>) : new Map(view.recent);
  const roots = inPlace ? (view.roots as Map<string, bigint>) : new Map(view.roots);
  if (!inPlace) chain?.claim(recent, roots);
  const replaced = recent.get(entry.height);
  recent.set(entry.height, entry);
  if (replaced !== undefined) unindexRoot(roots, recent, replaced, recent.size);
  const k = hexKey(entry.stateRoot);
  const lowest = roots.get(k);
  if (lowest === undefined || entry.height < lowest) roots.set(k, entry.height);
  while (recent.size > view.recentMax) {
    const oldest = recent.values().next().value as RecentHeader;
    recent.delete(oldest.height);
    unindexRoot(roots, recent, oldest, recent.size + 1);
  }
  return {
    ...view,
    mode: p.mode,
    keySet: p.keySet,
    head: signed,
    headHash: hh,
    recent,
    roots,
    advancedAtMs: p.atMs > view.advancedAtMs ? p.atMs : view.advancedAtMs,
    knows: p.learned && p.learned.length > 0 ? learn(view, p.learned, entry.height) : view.knows,
  };
}

/**
 * Updates `roots`, the index of a window of `windowSize` headers, for `gone` having left it
 * (`recent` is the window without it, ascending): a root repeated at several heights keeps
 * counting from the lowest height still retained, so the index moves to the next height that has
 * it, or drops the root when none does. O(1) when every root of the window was distinct (the
 * index is as large as the window) or the next header repeats the root (empty blocks); otherwise
 * one scan of the window, comparing bytes without hashing.
 */
function unindexRoot(
  roots: Map<string, bigint>,
  recent: ReadonlyMap<bigint, RecentHeader>,
  gone: RecentHeader,
  windowSize: number,
): void {
  const k = hexKey(gone.stateRoot);
  if (roots.get(k) !== gone.height) return; // a lower retained height still has it
  const distinct = roots.size === windowSize;
  roots.delete(k);
  if (distinct) return;
  for (const r of recent.values()) {
    if (equalBytes(r.stateRoot, gone.stateRoot)) {
      roots.set(k, r.height);
      return;
    }
  }
}

/** `view.knows` with `learned` added (taught by the block at `at`), each domain's window bounded. */
export function learn(
  view: RemoteView,
  learned: readonly LearnedHeader[],
  at: bigint,
): Map<string, Map<bigint, KnownHeader>> {
  const knows = new Map<string, Map<bigint, KnownHeader>>();
  for (const [k, m] of view.knows) knows.set(k, m as Map<bigint, KnownHeader>);
  const copied = new Set<string>();
  for (const l of learned) {
    const k = hexKey(l.domainId);
    if (!knows.has(k) && knows.size >= VIEW_KNOWS_DOMAINS_MAX) continue;
    if (!copied.has(k)) {
      knows.set(k, new Map(knows.get(k) ?? []));
      copied.add(k);
    }
    const m = knows.get(k)!;
    if (m.has(l.height)) continue;
    m.set(l.height, { height: l.height, stateRoot: l.stateRoot, timestamp: l.timestamp, at });
    if (m.size > view.recentMax) {
      // Keep the highest heights: sort once only when the window overflows.
      const sorted = [...m.values()].sort((a, b) => (a.height < b.height ? -1 : a.height > b.height ? 1 : 0));
      m.clear();
      for (const e of sorted.slice(sorted.length - view.recentMax)) m.set(e.height, e);
    }
  }
  return knows;
}

/** `view.knows` without what blocks from `fork` on taught (a re-initialisation drops that branch). */
export function knowsBefore(view: RemoteView, fork: bigint): Map<string, Map<bigint, KnownHeader>> {
  const out = new Map<string, Map<bigint, KnownHeader>>();
  for (const [k, m] of view.knows) {
    const kept = new Map([...m].filter(([, e]) => e.at < fork));
    if (kept.size > 0) out.set(k, kept);
  }
  return out;
}

/** Whether `root` is a root of a third domain's header this view's domain accepted (learnt before `before`, if given). */
export function knowsRoot(view: RemoteView, root: Uint8Array, before?: bigint): boolean {
  for (const m of view.knows.values()) {
    for (const e of m.values()) {
      if (before !== undefined && e.at >= before) continue;
      if (equalBytes(e.stateRoot, root)) return true;
    }
  }
  return false;
}

/** The header of `domainId` at `height` this view's domain accepted, as learnt. */
export function knownHeader(view: RemoteView, domainId: Uint8Array, height: bigint): KnownHeader | undefined {
  return view.knows.get(hexKey(domainId))?.get(height);
}

/** The view frozen from `freeze.fromHeight` (an earlier freeze stays: the lowest fork wins). */
export function freezeRemoteView(view: RemoteView, freeze: RemoteFreeze): RemoteView {
  if (view.frozen !== null && view.frozen.fromHeight <= freeze.fromHeight) return view;
  return { ...view, frozen: freeze };
}

/**
 * Whether `root` is one of the view's anchors it still vouches for: in the window and, once the
 * view is frozen, first seen before the fork height.
 */
export function isRootUsable(view: RemoteView, root: Uint8Array): boolean {
  if (!(root instanceof Uint8Array) || root.length !== 32) return false;
  const h = view.roots.get(hexKey(root));
  if (h === undefined) return false;
  return view.frozen === null || h < view.frozen.fromHeight;
}

/**
 * The accepted header at `height` the view still vouches for: in the window, and before the fork
 * if the view is frozen. What a refund checked against this domain's headers may name.
 */
export function usableHeader(view: RemoteView, height: bigint): RecentHeader | undefined {
  if (view.frozen !== null && height >= view.frozen.fromHeight) return undefined;
  return view.recent.get(height);
}

/** Whether `signed` is the header the view holds at its height. */
export function holdsHeader(view: RemoteView, signed: SignedHeader): boolean {
  const r = view.recent.get(signed.header.height);
  return r !== undefined && equalBytes(r.headerHash, headerHash(signed.header));
}

/** Default trusting period: a view that took no newer header for this long is expired. */
export const TRUSTING_PERIOD_MS_DEFAULT = 14n * 24n * 3_600_000n;

/**
 * Whether the view has not advanced for longer than `trustingPeriodMs` at `nowMs`: claims
 * anchored on it wait until a newer header arrives (docs/sync.md, "Expiry"). Time is passed in.
 */
export function isViewExpired(view: RemoteView, nowMs: bigint, trustingPeriodMs: bigint): boolean {
  return nowMs - view.advancedAtMs > trustingPeriodMs;
}
