// Remote views: what one observer has accepted about another domain — its latest verified
// header, the key set that signs the next one, a bounded history of headers and roots, and
// equivocation evidence if the domain ever forked. Acceptance is a pure function from a view and
// a root update to a new view; every refusal is a WeftError with its own code and leaves the
// view as it was (docs/sync.md, "Acceptance rules").
import { check, equalBytes, hexKey, toHex, WeftError } from '../crypto/index.js';
import {
  decodeKeySet,
  encodeKeySet,
  headerHash,
  KEYSET_TREE_KEY,
  type KeySet,
  keySetsEqual,
  type SignedHeader,
  verifyHeaderSignatures,
} from '../domain/index.js';
import { builtinRegistry, type LogicLookup } from '../resource/index.js';
import { verifyProof, verifyTransition } from '../smt/index.js';
import type { RemoteHeaderFacts, SignatureResults } from '../tx/index.js';
import {
  EquivocationError,
  type EquivocationEvidence,
  forkHeight,
  makeEquivocationEvidence,
  verifyEquivocation,
} from './equivocation.js';
import { validateBlockStateless } from './full.js';
import { RECENT_HEADERS_DEFAULT, RECENT_HEADERS_MAX, UPDATE_CHAIN_MAX } from './limits.js';
import type { KeySetProof, RootUpdate } from './update.js';

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

/** What acceptance may consult beyond the view. Every callback must be deterministic. */
export type SyncContext = {
  /** logics for full re-execution (default: the built-in registry) */
  logics?: LogicLookup;
  /**
   * Roots the observer trusts besides the sending domain's own recent roots: full mode accepts
   * a transaction anchored on one (a root of another domain the observer follows).
   */
  isKnownRoot?(root: Uint8Array): boolean;
  /** signature answers for the update's transactions, checked ahead on a pool (full mode) */
  signatureResults?: readonly (SignatureResults | undefined)[];
  /**
   * A header of another domain the observer accepted — its own, when it is a domain — for
   * refunds a block includes (full mode). `SyncState` answers from its other views.
   */
  remoteHeaderAt?(domainId: Uint8Array, height: bigint): RemoteHeaderFacts | undefined;
};

export type AcceptResult = {
  view: RemoteView;
  /** the headers accepted, in height order */
  accepted: SignedHeader[];
};

let defaultLogics: LogicLookup | undefined;
function builtinLogics(): LogicLookup {
  defaultLogics ??= builtinRegistry();
  return defaultLogics;
}

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

function recentEntry(signed: SignedHeader, hh: Uint8Array, signedBy: KeySet): RecentHeader {
  return {
    height: signed.header.height,
    headerHash: hh,
    stateRoot: signed.header.stateRoot,
    timestamp: signed.header.timestamp,
    signed,
    signedBy,
  };
}

function assertSignedHeaderShape(signed: SignedHeader): void {
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

function assertUpdateShape(update: RootUpdate): void {
  check(update && typeof update === 'object', 'BAD_INPUT', 'a root update must be an object');
  assertSignedHeaderShape(update.signed);
  check(Array.isArray(update.writes), 'BAD_INPUT', 'update.writes must be an array');
  check(
    update.transition && Array.isArray(update.transition.steps),
    'BAD_INPUT',
    'update.transition must be a transition proof',
  );
  check(update.txs === undefined || Array.isArray(update.txs), 'BAD_INPUT', 'update.txs must be an array');
}

function refuse(code: string, message: string, details?: string): never {
  throw new WeftError(code, message, details === undefined ? {} : { details });
}

/**
 * Accepts one root update into `view` under `mode`, returning the new view and the header
 * accepted; or throws a WeftError whose code names the rule broken (checked in this order):
 * VIEW_FROZEN, BAD_INPUT (malformed), UNKNOWN_DOMAIN, REPLAYED_UPDATE, EQUIVOCATION (thrown as
 * an `EquivocationError` carrying the evidence and the frozen view), STALE_HEIGHT,
 * NOT_CONTINUOUS, BAD_SIGNATURES, BAD_KEYSET_PROOF, BAD_TRANSITION, BAD_KEYSET,
 * FULL_VALIDATION_FAILED. `view` is never changed.
 *
 * @example
 * const { view: next, accepted } = acceptRootUpdate(view, update, 'transition');
 */
export function acceptRootUpdate(
  view: RemoteView,
  update: RootUpdate,
  mode: VerificationMode,
  ctx: SyncContext = {},
): AcceptResult {
  assertMode(mode);
  const next = acceptOne(view, update, mode, ctx);
  return { view: next, accepted: [update.signed] };
}

function assertMode(mode: VerificationMode): void {
  check(
    VERIFICATION_MODES.includes(mode),
    'BAD_INPUT',
    `mode must be one of ${VERIFICATION_MODES.join(', ')}`,
  );
}

/**
 * Accepts an ascending chain of updates, each continuing the previous (how a gap is filled):
 * all or nothing. On any refusal the error of the first bad update is thrown (its message names
 * its index) and `view` is unchanged; an equivocation inside the chain freezes `view` itself.
 */
export function acceptRootUpdates(
  view: RemoteView,
  updates: RootUpdate[],
  mode: VerificationMode,
  ctx: SyncContext = {},
): AcceptResult {
  assertMode(mode);
  check(
    Array.isArray(updates) && updates.length >= 1 && updates.length <= UPDATE_CHAIN_MAX,
    'BAD_INPUT',
    `a chain holds 1..${UPDATE_CHAIN_MAX} updates`,
  );
  let current = view;
  for (const [i, u] of updates.entries()) {
    try {
      current = acceptOne(current, u, mode, ctx);
    } catch (e) {
      if (e instanceof EquivocationError) {
        throw new EquivocationError(
          e.evidence,
          { ...view, frozen: e.evidence },
          `update ${i} of the chain: ${e.shortMessage}`,
        );
      }
      if (e instanceof WeftError) {
        throw new WeftError(e.code, `update ${i} of the chain: ${e.shortMessage}`, {
          ...(e.details === undefined ? {} : { details: e.details }),
          cause: e,
        });
      }
      throw e;
    }
  }
  return { view: current, accepted: updates.map((u) => u.signed) };
}

function acceptOne(
  view: RemoteView,
  update: RootUpdate,
  mode: VerificationMode,
  ctx: SyncContext,
): RemoteView {
  if (view.frozen !== null) {
    refuse(
      'VIEW_FROZEN',
      `the view of ${view.name ?? toHex(view.domainId)} is frozen: the domain equivocated at height ${forkHeight(view.frozen)}`,
      'A frozen view accepts nothing; recovery from a fork happens out of band.',
    );
  }
  assertUpdateShape(update);
  const { signed } = update;
  const header = signed.header;
  if (!equalBytes(header.domain, view.domainId)) {
    refuse('UNKNOWN_DOMAIN', `the update is for domain ${toHex(header.domain)}, not this view's`);
  }
  const head = view.head.header;
  const hh = headerHash(header);

  // Heights already passed: a replay, a fork (equivocation), or simply old.
  if (header.height <= head.height) {
    const known = view.recent.get(header.height);
    if (known && equalBytes(known.headerHash, hh)) {
      refuse('REPLAYED_UPDATE', `header ${toHex(hh)} at height ${header.height} was already accepted`);
    }
    if (known && verifyHeaderSignatures(signed, known.signedBy)) {
      const evidence = makeEquivocationEvidence(known.signed, signed);
      throw new EquivocationError(
        evidence,
        { ...view, frozen: evidence },
        `domain ${view.name ?? toHex(view.domainId)} signed two headers at height ${header.height}`,
      );
    }
    refuse('STALE_HEIGHT', `height ${header.height} is not above the accepted height ${head.height}`);
  }
  if (header.height !== head.height + 1n) {
    refuse(
      'NOT_CONTINUOUS',
      `height ${header.height} leaves a gap after the accepted ${head.height}`,
      'Send the missing headers first, or all of them as one chain (acceptRootUpdates).',
    );
  }
  if (!equalBytes(header.prevHash, view.headHash)) {
    refuse('NOT_CONTINUOUS', `header ${header.height} does not continue the accepted header ${head.height}`);
  }
  if (header.timestamp < head.timestamp) {
    refuse('NOT_CONTINUOUS', `header ${header.height} has a timestamp before its predecessor's`);
  }
  if (!verifyHeaderSignatures(signed, view.keySet)) {
    refuse(
      'BAD_SIGNATURES',
      `header ${header.height} does not carry ${view.keySet.threshold} valid signatures of the domain's key set`,
      'If the domain changed its key set, the update that recorded the change must carry its key-set proof (or call learnKeySet).',
    );
  }

  let nextKeySet = view.keySet;
  if (update.keySetProof !== undefined) {
    nextKeySet = checkKeySetProof(header.stateRoot, update.keySetProof);
  }
  if (mode !== 'signatures') {
    if (!verifyTransition(head.stateRoot, header.stateRoot, update.writes, update.transition)) {
      refuse(
        'BAD_TRANSITION',
        `the writes and transition proof of header ${header.height} do not take the accepted root to its state root`,
      );
    }
    const written = keySetWritten(update);
    if (written !== undefined) {
      if (update.keySetProof !== undefined && !keySetsEqual(written, nextKeySet)) {
        refuse('BAD_KEYSET_PROOF', 'the key-set proof disagrees with the key set the block writes');
      }
      nextKeySet = written;
    }
  }
  if (mode === 'full') {
    const roots = new Set<string>();
    for (const r of view.recent.values()) roots.add(hexKey(r.stateRoot));
    validateBlockStateless({
      header,
      prevRoot: head.stateRoot,
      writes: update.writes,
      transition: update.transition,
      txs: update.txs,
      isAnchorAccepted: (root) =>
        (root instanceof Uint8Array && roots.has(hexKey(root))) || (ctx.isKnownRoot?.(root) ?? false),
      isSenderRoot: (root) => root instanceof Uint8Array && roots.has(hexKey(root)),
      ...(ctx.remoteHeaderAt ? { remoteHeaderAt: ctx.remoteHeaderAt } : {}),
      logics: ctx.logics ?? builtinLogics(),
      ...(ctx.signatureResults ? { signatureResults: ctx.signatureResults } : {}),
    });
  }

  const recent = new Map(view.recent);
  recent.set(header.height, recentEntry(signed, hh, view.keySet));
  while (recent.size > view.recentMax) recent.delete(recent.keys().next().value as bigint);
  return { ...view, keySet: nextKeySet, head: signed, headHash: hh, recent };
}

/** The key set a verified block writes (last write wins); undefined when it writes none. */
function keySetWritten(update: RootUpdate): KeySet | undefined {
  let value: Uint8Array | null | undefined;
  for (const w of update.writes) if (equalBytes(w.key, KEYSET_TREE_KEY)) value = w.value;
  if (value === undefined) return undefined;
  if (value === null) refuse('BAD_KEYSET', 'the block deletes its key set');
  try {
    return decodeKeySet(value);
  } catch (e) {
    return refuse('BAD_KEYSET', `the block writes a key set that does not decode: ${(e as Error).message}`);
  }
}

/** The key set a proof shows under `stateRoot`, or BAD_KEYSET_PROOF. */
function checkKeySetProof(stateRoot: Uint8Array, p: KeySetProof): KeySet {
  let encoded: Uint8Array;
  try {
    encoded = encodeKeySet(p.keySet);
  } catch {
    return refuse('BAD_KEYSET_PROOF', 'the key-set proof carries a malformed key set');
  }
  if (!verifyProof(stateRoot, KEYSET_TREE_KEY, encoded, p.proof)) {
    refuse('BAD_KEYSET_PROOF', "the key-set proof does not verify under the header's state root");
  }
  return p.keySet;
}

/**
 * Follows a key-set change the view missed: `proof` shows the key set recorded under the
 * accepted head's state root, which signs the next header. Refused with BAD_KEYSET_PROOF when
 * it does not verify, VIEW_FROZEN for a frozen view.
 */
export function learnKeySet(view: RemoteView, proof: KeySetProof): RemoteView {
  if (view.frozen !== null) refuse('VIEW_FROZEN', 'a frozen view accepts nothing');
  const keySet = checkKeySetProof(view.head.header.stateRoot, proof);
  return { ...view, keySet };
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
