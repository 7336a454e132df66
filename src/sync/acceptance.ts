// Whether a remote block is accepted, in one place. `decideAcceptance` takes what an observer
// holds about the sender (its light-client view and, for a domain, what that domain recorded)
// and one root update or an ascending chain of them, and returns a verdict: accept (what to
// record), skip, ask for a gap, refuse, or freeze. Every rule is here, top to bottom, in the
// order it is checked; the function is pure (docs/sync.md, "Acceptance rules").
import { check, equalBytes, hexKey, sha256, toHex, WeftError, type WeftErrorCode } from '../crypto/index.js';
import {
  advanceView,
  anchorPathEnd,
  decodeKeySet,
  encodeKeySet,
  freezeRemoteView,
  type Header,
  headerHash,
  INVALID_BLOCK_REASON_BYTES_MAX,
  type InvalidBlockEvidence,
  KEYSET_TREE_KEY,
  type KeySet,
  keySetsEqual,
  knownHeader,
  knowsRoot,
  type LearnedHeader,
  learn,
  nullifierConflicts,
  type SignedHeader,
  type VerifiedSignatures,
  verifyHeaderSignatures,
  WindowChain,
} from '../domain/index.js';
import { builtinRegistry, type LogicLookup } from '../resource/index.js';
import { verifyProof, verifyTransition } from '../smt/index.js';
import type { RemoteHeaderFacts, SignatureResults } from '../tx/index.js';
import {
  EquivocationError,
  type EquivocationEvidence,
  forkHeight,
  makeEquivocationEvidence,
} from './equivocation.js';
import { InvalidBlockError, validateBlockStateless } from './full.js';
import { UPDATE_CHAIN_MAX } from './limits.js';
import { type RemoteHeaderRecord, remoteHeaderRecords } from './records.js';
import type { ScopeHistory } from './scopes.js';
import { encodeRootUpdate, type KeySetProof, type RootUpdate } from './update.js';
import {
  assertSignedHeaderShape,
  type RemoteView,
  refuse,
  signedByCurrentSet,
  VERIFICATION_MODES,
  type VerificationMode,
} from './view.js';

/** What acceptance may consult beyond the view. Every callback must be deterministic. */
export type SyncContext = {
  /** logics for full re-execution (default: the built-in registry) */
  logics?: LogicLookup;
  /**
   * Roots the observer trusts besides the sending domain's own recent roots: full mode accepts
   * a transaction anchored on one (a root of another domain the observer follows).
   */
  isKnownRoot?(root: Uint8Array): boolean;
  /**
   * Header signature checks made ahead on the worker pool (`preverifyHeaderChain`): consulted
   * by the BAD_SIGNATURES rule, which checks every signature it does not hold itself.
   */
  verifiedSignatures?: VerifiedSignatures;
  /** signature answers for the update's transactions, checked ahead on a pool (full mode) */
  signatureResults?: readonly (SignatureResults | undefined)[];
  /**
   * A header of another domain the observer accepted — its own, when it is a domain — for
   * refunds a block includes (full mode). `SyncState` answers from its other views.
   */
  remoteHeaderAt?(domainId: Uint8Array, height: bigint): RemoteHeaderFacts | undefined;
  /** the observer's clock (ms) now: an accepted header advances the view's last-advanced time to it */
  atMs?: bigint;
  /**
   * Whether the observer can vouch for a header of another domain that a block's remote-header
   * record names (full mode): true when it is the observer's own header or carries a threshold of
   * the key set the observer holds for that domain at that height, false when it does not,
   * undefined when the observer does not follow that domain (the record is then the sender's
   * unchecked claim: accepted, but believed by nobody).
   */
  vouchFor?(signed: SignedHeader): boolean | undefined;
  /**
   * The observer's programs and the object DAGs it keeps of the domains it follows: full mode
   * re-executes scoped blocks with them (docs/sync.md, "Scoped blocks"). Absent: a block with a
   * scoped transaction is refused.
   */
  scopes?: ScopeHistory;
  /**
   * Whether `root` is the commitment root of an EVM vault the observer follows in `evm` mode: a
   * transaction of the sender anchored on it proves its commitment with a vault path (full mode).
   */
  isVaultRoot?(root: Uint8Array): boolean;
  /** Whether `domainId` is an EVM vault the observer follows in `evm` mode (refunds of what it homes, full mode). */
  isVaultDomain?(domainId: Uint8Array): boolean;
};

/** What `acceptRootUpdate(s)` returns: the new view and the headers accepted. */
export type AcceptResult = {
  view: RemoteView;
  /** the headers accepted, in height order */
  accepted: SignedHeader[];
};

/**
 * What the observing domain itself recorded of the sender (`Domain.remoteHeader` and
 * `Domain.frozenFrom`): the latest header it accepted and the height its record is frozen from.
 * Undefined for a plain light client, or a domain that never recorded the sender.
 */
export type RecordedFacts = {
  height: bigint;
  headerHash: Uint8Array;
  timestamp: bigint;
  /** the record is frozen from this height (an equivocation or a double spend), else null */
  frozenFrom: bigint | null;
};

/** Everything `decideAcceptance` looks at; it reads nothing else. */
export type AcceptanceInput = {
  /** the observer's light-client view of the sender; undefined when it follows no such domain */
  view: RemoteView | undefined;
  /** one update, or an ascending chain each continuing the previous (a gap being filled) */
  updates: readonly RootUpdate[];
  mode: VerificationMode;
  ctx?: SyncContext;
  /** what the observing domain recorded of the sender (a domain observer only) */
  recorded?: RecordedFacts;
  /**
   * Whether the observing domain holds a nullifier key (`0x02 || nf`) in its tree or pending: a
   * domain observer's input to the double-spend rule. Absent: the rule is not applied.
   */
  holdsNullifier?: (key: Uint8Array) => boolean;
};

/** The reason a skipped update is not worth reporting: the observer already has it. */
export type SkipCode = 'REPLAYED_UPDATE' | 'STALE_HEIGHT';

/**
 * The decision. Every variant that carries `view` asks the observer to install it as its new
 * light-client view; `record` lists the verified updates to record in the observer's domain, in
 * height order, before the verdict's own effect (a chain can carry a few good blocks and then a
 * bad one).
 */
export type AcceptanceVerdict =
  /** record `record` (possibly none: all already recorded) and confirm `confirm` to the sender */
  | { kind: 'accept'; view: RemoteView; record: RootUpdate[]; confirm: SignedHeader }
  /** nothing to do: a replay or an old header (quiet) */
  | { kind: 'skip'; code: SkipCode; message: string }
  /** the update is ahead of the view: ask the sender for heights `fromHeight..toHeight` */
  | { kind: 'askGap'; fromHeight: bigint; toHeight: bigint }
  /** a broken rule: report `code`; nothing changes beyond `view` and `record` if given */
  | { kind: 'refuse'; code: WeftErrorCode; message: string; view?: RemoteView; record: RootUpdate[] }
  /**
   * The sender broke the rules provably: freeze the observer's record of it from `fromHeight`.
   * `evidence` is the equivocation (two signed headers at one height) when that is the proof;
   * `invalidBlock` a signed block whose writes its transactions do not imply (full mode,
   * FULL_VALIDATION_FAILED); a double spend's proof is the verified block itself and the
   * nullifier keys it re-spends.
   */
  | {
      kind: 'freeze';
      code: 'EQUIVOCATION' | 'DOUBLE_SPEND' | 'FULL_VALIDATION_FAILED';
      message: string;
      fromHeight: bigint;
      view: RemoteView;
      record: RootUpdate[];
      evidence?: EquivocationEvidence;
      invalidBlock?: InvalidBlockEvidence;
      conflicts?: Uint8Array[];
    };

const SKIP_CODES: ReadonlySet<string> = new Set<SkipCode>(['REPLAYED_UPDATE', 'STALE_HEIGHT']);

/**
 * Decides whether the updates are accepted. The rules, in order:
 *
 * 1. The observer must follow the sender (`UNKNOWN_DOMAIN`).
 * 2. The light-client rules of `acceptRootUpdate(s)` against `view`: frozen view, shape, replay
 *    and equivocation, stale height, continuity, signatures, key-set proof, transition, full
 *    re-execution. A replay or a stale header is skipped; an equivocation freezes; a header
 *    beyond `view`'s head + 1 asks for the gap, while one right above it that does not link to
 *    it is another branch (after a re-initialisation, the one the operator did not trust) and is
 *    refused `NOT_CONTINUOUS` — asking would only bring the same answer back.
 * 3. Per verified header, against what the observing domain recorded (`recorded`): a height it
 *    already recorded is skipped, and must be the very header it recorded (`HEADER_MISMATCH`
 *    otherwise: a node following from genesis again after a restart).
 * 4. A verified block (`transition`/`full`) writing a nullifier the observing domain holds
 *    consumed one resource twice — a claim after its refund — and freezes the sender from that
 *    block on (`DOUBLE_SPEND`).
 * 5. A frozen record accepts nothing (`VIEW_FROZEN`), and a remote's timestamps never go back
 *    (`BAD_TIMESTAMP`: refunds rely on it).
 *
 * Pure: no I/O and no clock; `view` and `recorded` are not changed.
 *
 * @example
 * const verdict = decideAcceptance({ view: sync.view(sender), updates: [update], mode: 'transition' });
 * if (verdict.kind === 'accept') for (const u of verdict.record) await domain.acceptRemoteHeader(u.signed.header);
 */
export function decideAcceptance(input: AcceptanceInput): AcceptanceVerdict {
  const { view, updates, mode, recorded } = input;
  // 1. A domain the observer follows.
  if (view === undefined) {
    const domainId = updates[0]?.signed?.header?.domain;
    return {
      kind: 'refuse',
      code: 'UNKNOWN_DOMAIN',
      message: `no view of domain ${domainId instanceof Uint8Array ? toHex(domainId) : '?'} is registered`,
      record: [],
    };
  }
  // 2. The light-client rules.
  let next: RemoteView;
  try {
    next =
      updates.length === 1
        ? acceptRootUpdate(view, updates[0]!, mode, input.ctx).view
        : acceptRootUpdates(view, [...updates], mode, input.ctx).view;
  } catch (e) {
    return lightClientRefusal(view, updates, e);
  }
  // 3–5. What the observing domain recorded.
  const record: RootUpdate[] = [];
  let last: RecordedFacts | undefined = recorded;
  for (const update of updates) {
    const header = update.signed.header;
    const hh = headerHash(header);
    if (recorded && header.height <= recorded.height) {
      if (header.height === recorded.height && !equalBytes(hh, recorded.headerHash)) {
        return {
          kind: 'refuse',
          code: 'HEADER_MISMATCH',
          message: `height ${recorded.height} differs from the header this domain accepted before`,
          view: next,
          record,
        };
      }
      continue;
    }
    if (mode !== 'signatures' && input.holdsNullifier) {
      const conflicts = nullifierConflicts(update.writes, input.holdsNullifier);
      if (conflicts.length > 0) {
        return {
          kind: 'freeze',
          code: 'DOUBLE_SPEND',
          message: `block ${header.height} spends ${conflicts.length} nullifier(s) this domain already holds (a claim after a refund); view frozen`,
          fromHeight: header.height,
          view: next,
          record,
          conflicts,
        };
      }
    }
    if (last?.frozenFrom != null) {
      return {
        kind: 'refuse',
        code: 'VIEW_FROZEN',
        message: `the remote domain equivocated at height ${last.frozenFrom}; nothing new is accepted from it`,
        view: next,
        record,
      };
    }
    if (last && header.timestamp < last.timestamp) {
      return {
        kind: 'refuse',
        code: 'BAD_TIMESTAMP',
        message: `remote header ${header.height} has timestamp ${header.timestamp}, before the accepted ${last.timestamp}`,
        view: next,
        record,
      };
    }
    record.push(update);
    last = { height: header.height, headerHash: hh, timestamp: header.timestamp, frozenFrom: null };
  }
  return { kind: 'accept', view: next, record, confirm: updates[updates.length - 1]!.signed };
}

/**
 * The key set in force after the header at `height`, as a verdict's view holds it: the set that
 * signed the next remembered header, or the view's own for its head. What a domain records with
 * each header of `record` (`acceptRemoteHeader`'s `keySet`), so its view follows key-set changes
 * exactly as acceptance did.
 */
export function keySetAfter(view: RemoteView, height: bigint): KeySet | undefined {
  if (height === view.head.header.height) return view.keySet ?? undefined;
  return view.recent.get(height + 1n)?.signedBy ?? undefined;
}

/** The verdict for a refusal of the light-client rules (step 2 of `decideAcceptance`). */
function lightClientRefusal(view: RemoteView, updates: readonly RootUpdate[], e: unknown): AcceptanceVerdict {
  if (e instanceof EquivocationError) {
    const frozen = e.frozenView as RemoteView;
    return {
      kind: 'freeze',
      code: 'EQUIVOCATION',
      message: e.message,
      fromHeight: forkHeight(e.evidence),
      view: frozen,
      record: [],
      evidence: e.evidence,
    };
  }
  if (e instanceof InvalidUpdateError) {
    const invalidBlock = e.evidence;
    const fromHeight = invalidBlock.signed.header.height;
    return {
      kind: 'freeze',
      code: 'FULL_VALIDATION_FAILED',
      message: `${e.shortMessage}; view frozen`,
      fromHeight,
      view: freezeRemoteView(view, { fromHeight, evidence: null, invalidBlock }),
      record: [],
      invalidBlock,
    };
  }
  if (!(e instanceof WeftError)) throw e;
  if (SKIP_CODES.has(e.code)) return { kind: 'skip', code: e.code as SkipCode, message: e.message };
  const have = view.head.header.height;
  const first = updates[0]?.signed?.header?.height;
  if (e.code === 'NOT_CONTINUOUS' && typeof first === 'bigint' && first > have + 1n) {
    const want = updates[updates.length - 1]!.signed.header.height;
    return { kind: 'askGap', fromHeight: have + 1n, toHeight: want };
  }
  return { kind: 'refuse', code: e.code, message: e.message, record: [] };
}

// ---- the light-client rules (step 2), also the API of a plain light client ----------------

/**
 * A validly signed update that provably fails full validation: FULL_VALIDATION_FAILED carrying the
 * evidence, which `decideAcceptance` turns into a freeze.
 */
export class InvalidUpdateError extends WeftError {
  readonly evidence: InvalidBlockEvidence;
  constructor(evidence: InvalidBlockEvidence, message: string) {
    super('FULL_VALIDATION_FAILED', message, {
      details: 'The block writes what its transactions do not imply: the view of its domain is frozen.',
    });
    this.evidence = evidence;
  }
}

/** The evidence that `update` is invalid: its signed header and its hash (docs/sync.md, "Invalid blocks"). */
export function invalidBlockEvidence(update: RootUpdate, reason: string): InvalidBlockEvidence {
  return {
    domainId: update.signed.header.domain,
    signed: update.signed,
    updateHash: sha256(encodeRootUpdate(update)),
    // A code point is at most 4 UTF-8 bytes: this many always fit the bound.
    reason: Array.from(reason)
      .slice(0, INVALID_BLOCK_REASON_BYTES_MAX / 4)
      .join(''),
  };
}

let defaultLogics: LogicLookup | undefined;
function builtinLogics(): LogicLookup {
  defaultLogics ??= builtinRegistry();
  return defaultLogics;
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
  // The views between the first and the last update never leave this loop: one window is copied
  // from `view` and then advanced in place (a refusal drops it with them; `view` is never touched).
  const chain = new WindowChain();
  for (const [i, u] of updates.entries()) {
    try {
      current = acceptOne(current, u, mode, ctx, chain);
    } catch (e) {
      if (e instanceof EquivocationError) {
        throw new EquivocationError(
          e.evidence,
          freezeRemoteView(view, { fromHeight: forkHeight(e.evidence), evidence: e.evidence }),
          `update ${i} of the chain: ${e.shortMessage}`,
        );
      }
      if (e instanceof InvalidUpdateError) {
        throw new InvalidUpdateError(e.evidence, `update ${i} of the chain: ${e.shortMessage}`);
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
  chain?: WindowChain,
): RemoteView {
  if (view.frozen !== null) {
    refuse(
      'VIEW_FROZEN',
      `the view of ${view.name ?? toHex(view.domainId)} is frozen from height ${view.frozen.fromHeight}${view.frozen.evidence ? ' (the domain equivocated)' : ''}`,
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
    const evidence = equivocationWith(view, signed);
    if (evidence !== null) {
      throw new EquivocationError(
        evidence,
        freezeRemoteView(view, { fromHeight: header.height, evidence }),
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
  if (view.keySet === null) {
    refuse('BAD_SIGNATURES', `the view holds no key set for ${toHex(view.domainId)}: trust the domain first`);
  }
  if (!verifyHeaderSignatures(signed, view.keySet, ctx.verifiedSignatures)) {
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
  let learned: LearnedHeader[] = [];
  if (mode === 'full') {
    learned = checkRecordsBacked(update, ctx);
    // What the sender itself had accepted, this block's records included: its transactions may
    // anchor on those roots and name those headers, and on nothing the observer merely knows.
    const knowing = learned.length > 0 ? { ...view, knows: learn(view, learned, header.height) } : view;
    const roots = view.roots;
    try {
      const done = validateBlockStateless({
        header,
        prevRoot: head.stateRoot,
        writes: update.writes,
        transition: update.transition,
        txs: update.txs,
        ...(update.refused ? { refused: update.refused } : {}),
        exclusions: update.exclusions ?? [],
        isAnchorAccepted: (root) =>
          (root instanceof Uint8Array && (roots.has(hexKey(root)) || knowsRoot(knowing, root))) ||
          (ctx.isKnownRoot?.(root) ?? false),
        isSenderRoot: (root) => root instanceof Uint8Array && roots.has(hexKey(root)),
        // A claim anchored through a path: the hops must lead from a root the sender had accepted
        // to the anchor; the sender's policy (intermediaries, age) is its own and not re-checked.
        isAnchorProvenByPath: (anchor, path) => {
          const end = anchorPathEnd(path);
          return end !== null && equalBytes(end.anchor, anchor) && knowsRoot(knowing, end.startRoot);
        },
        remoteHeaderAt: (domainId, h) =>
          (domainId instanceof Uint8Array ? knownHeader(knowing, domainId, h) : undefined) ??
          ctx.remoteHeaderAt?.(domainId, h),
        logics: ctx.logics ?? builtinLogics(),
        ...(ctx.isVaultRoot ? { isVaultAnchor: ctx.isVaultRoot } : {}),
        ...(ctx.isVaultDomain ? { isVaultDomain: ctx.isVaultDomain } : {}),
        ...(ctx.signatureResults ? { signatureResults: ctx.signatureResults } : {}),
        ...(ctx.scopes
          ? { scopes: { history: ctx.scopes, prevHash: view.headHash, witness: update.scopeWitness } }
          : {}),
      });
      done.commit(hh);
    } catch (e) {
      if (!(e instanceof InvalidBlockError)) throw e;
      throw new InvalidUpdateError(invalidBlockEvidence(update, e.shortMessage), e.shortMessage);
    }
  }

  return advanceView(
    view,
    signed,
    {
      signedBy: view.keySet,
      keySet: nextKeySet,
      mode,
      atMs: ctx.atMs ?? view.advancedAtMs,
      learned,
    },
    chain,
  );
}

/**
 * The equivocation `signed` proves against what `view` accepted: a different header of the
 * view's domain at a height the view still remembers, carrying a threshold of signatures of the
 * key set that signed the accepted one — and that set is the one in force (a retired set's keys
 * may have leaked since, so what it signs is no evidence). Null when it proves nothing. One rule
 * for a fork seen directly and for one learnt from another observer's backed `0x03` records.
 *
 * @example
 * for (const sh of update.remoteHeaders ?? []) {
 *   const e = equivocationWith(own.remoteView(sh.header.domain), sh);
 *   if (e) await own.freezeRemote(e.domainId, forkHeight(e), e);
 * }
 */
export function equivocationWith(view: RemoteView, signed: SignedHeader): EquivocationEvidence | null {
  const header = signed.header;
  if (!equalBytes(header.domain, view.domainId)) return null;
  const known = view.recent.get(header.height);
  if (!known?.signedBy || equalBytes(known.headerHash, headerHash(header))) return null;
  if (!signedByCurrentSet(view, header.height)) return null;
  if (!verifyHeaderSignatures(signed, known.signedBy)) return null;
  return makeEquivocationEvidence(known.signed, signed);
}

/**
 * Full mode: every remote-header record (`0x03 || X -> hash || height`) the block writes must be
 * backed by the signed header it names (in `update.remoteHeaders`), and that header must not be
 * one the observer can show X never signed (`ctx.vouchFor`). Any other header the update carries
 * must link, by `prevHash` and height, down from a record's header of its domain (the headers
 * the sender accepted just before the one it recorded). A lying domain cannot invent what it
 * knows about others. Returns what the block teaches about the sender's own acceptances: the
 * vouched records' headers and their linked predecessors.
 */
function checkRecordsBacked(update: RootUpdate, ctx: SyncContext): LearnedHeader[] {
  const height = update.signed.header.height;
  const headers = update.remoteHeaders ?? [];
  const used = new Set<number>();
  const learned: LearnedHeader[] = [];
  for (const rec of remoteHeaderRecords(update.writes)) {
    const i = headers.findIndex(
      (sh) => equalBytes(sh.header.domain, rec.domainId) && equalBytes(headerHash(sh.header), rec.headerHash),
    );
    if (i < 0 || headers[i]!.header.height !== rec.height) {
      refuse(
        'FULL_VALIDATION_FAILED',
        `block ${height} records header ${rec.height} of ${toHex(rec.domainId)} without the signed header it names`,
      );
    }
    used.add(i);
    const vouched = ctx.vouchFor?.(headers[i]!);
    if (vouched === false) {
      refuse(
        'FULL_VALIDATION_FAILED',
        `block ${height} records header ${rec.height} of ${toHex(rec.domainId)}, which that domain's key set did not sign`,
      );
    }
    // Its predecessors, linked by hash from the recorded (vouched) header down.
    const chain = [headers[i]!];
    for (let top = headers[i]!.header; ; ) {
      const j = headers.findIndex(
        (sh, k) =>
          !used.has(k) &&
          sh.header.height + 1n === top.height &&
          equalBytes(headerHash(sh.header), top.prevHash),
      );
      if (j < 0) break;
      used.add(j);
      chain.push(headers[j]!);
      top = headers[j]!.header;
    }
    if (vouched === true) {
      for (const sh of chain) {
        const h = sh.header;
        learned.push({
          domainId: h.domain,
          height: h.height,
          stateRoot: h.stateRoot,
          timestamp: h.timestamp,
        });
      }
    }
  }
  if (used.size !== headers.length) {
    refuse('FULL_VALIDATION_FAILED', `block ${height} carries a header that backs none of its records`);
  }
  return learned;
}

/**
 * What an update accepted in full mode teaches about its sender's own acceptances of third
 * domains (the vouched records and their linked predecessors): what a domain records with the
 * header (`acceptRemoteHeader`'s `learned`), so its view of the sender grows as acceptance's did.
 */
export function learnedFrom(
  update: RootUpdate,
  vouchFor: (signed: SignedHeader) => boolean | undefined,
): LearnedHeader[] {
  return checkRecordsBacked(update, { vouchFor });
}

/**
 * The remote-header records of an accepted full-mode update that the observer vouched for (their
 * backing header verified by `vouchFor`): the only ones a knowledge graph should believe.
 */
export function vouchedRecords(
  update: RootUpdate,
  vouchFor: (signed: SignedHeader) => boolean | undefined,
): RemoteHeaderRecord[] {
  const backing = update.remoteHeaders ?? [];
  return remoteHeaderRecords(update.writes).filter((rec) => {
    const b = backing.find(
      (sh) => equalBytes(sh.header.domain, rec.domainId) && sh.header.height === rec.height,
    );
    return b !== undefined && equalBytes(headerHash(b.header), rec.headerHash) && vouchFor(b) === true;
  });
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

// ---- the `evm` mode: a vault followed over JSON-RPC --------------------------------------------

/**
 * Whether a vault's headers (weft/evm `vaultHeaders`: one per lock, read from blocks at least N
 * confirmations deep and already cross-checked against the contract's roots by `VaultFollower`)
 * are recorded for the observer's view of the vault (docs/evm.md, "The evm mode"). The rules, in
 * order: the view, if any, follows a vault (`BAD_INPUT` for a Weft domain's view) and is not
 * frozen (`VIEW_FROZEN`); the headers are of one domain, ascending by one, each linking to the one
 * before by hash (`NOT_CONTINUOUS`); a height the view holds must be the very header it holds
 * (`HEADER_MISMATCH`: the endpoint now reports another chain — a reorganisation deeper than N or
 * a lie; nothing is recorded and the operator decides); a new header continues the view's head
 * and its timestamp is not before it (`BAD_TIMESTAMP`). `accept` lists the headers above the
 * view's head (possibly none). Pure.
 */
export function decideVaultAcceptance(
  view: RemoteView | undefined,
  headers: readonly Header[],
): { kind: 'accept'; record: Header[] } | { kind: 'refuse'; code: WeftErrorCode; message: string } {
  const no = (code: WeftErrorCode, message: string) => ({ kind: 'refuse' as const, code, message });
  if (view !== undefined && view.mode !== 'evm')
    return no('BAD_INPUT', 'that domain is a Weft domain, not a vault followed in evm mode');
  if (view?.frozen) return no('VIEW_FROZEN', 'the view of this vault is frozen');
  for (let i = 1; i < headers.length; i++) {
    const a = headers[i - 1]!;
    const b = headers[i]!;
    if (
      !equalBytes(a.domain, b.domain) ||
      b.height !== a.height + 1n ||
      !equalBytes(b.prevHash, headerHash(a))
    )
      return no('NOT_CONTINUOUS', `vault header ${b.height} does not continue header ${a.height}`);
  }
  const record: Header[] = [];
  let head = view?.head.header;
  let headHash = view?.headHash;
  for (const h of headers) {
    if (view !== undefined && !equalBytes(h.domain, view.domainId))
      return no('BAD_INPUT', 'a vault header of another domain');
    if (head !== undefined && h.height <= head.height) {
      const held = view?.recent.get(h.height);
      if (held !== undefined && !equalBytes(held.headerHash, headerHash(h)))
        return no(
          'HEADER_MISMATCH',
          `the vault's header ${h.height} differs from the one this domain accepted`,
        );
      continue;
    }
    if (head !== undefined && headHash !== undefined) {
      if (h.height !== head.height + 1n || !equalBytes(h.prevHash, headHash))
        return no('NOT_CONTINUOUS', `vault header ${h.height} does not continue the accepted ${head.height}`);
      if (h.timestamp < head.timestamp)
        return no('BAD_TIMESTAMP', `vault header ${h.height} is stamped before the accepted ${head.height}`);
    }
    record.push(h);
    head = h;
    headHash = headerHash(h);
  }
  return { kind: 'accept', record };
}
