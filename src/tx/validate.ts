// Stateless validation of one transaction against what the domain knows (its id, accepted
// anchors, spent nullifiers, accepted remote headers, the block's time, logics). Pure and synchronous: no I/O, clock or randomness, so
// the domain's pure apply() can call it. Rules and their order: docs/transactions.md.
import {
  equalBytes,
  type PublicKey,
  sha256Into,
  toHex,
  WeftError,
  type WeftErrorCode,
} from '../crypto/index.js';
import { isPlanted } from '../crypto/plantedBugs.js';
import {
  commitment,
  decodeValue,
  kind,
  LOGIC_REASON_CHARS_MAX,
  type LogicInput,
  type LogicLookup,
  type LogicVerdict,
  nullifier,
  type Resource,
  type ResourceLogic,
  type ResourceValue,
  type ResourceView,
  type TransactionView,
} from '../resource/index.js';
import { type HasherName, verifyProof } from '../smt/index.js';
import { encodedProofsBytes, txIdAndBodyBytes } from './encoding.js';
import type { TxHashMemo } from './hashMemo.js';
import { TX_BYTES_MAX } from './limits.js';
import { checkTransactionShape } from './shape.js';
import { assertResultsFor, type SignatureResults, signatureAnswer } from './signatures.js';
import { commitmentKey, encodeHeight, encodeRefusal, nullifierKey, refusalKey } from './treeKeys.js';
import type { Consumed, Created, RefundWitness, RefusalReason, Transaction } from './types.js';
import { vaultExpiredMarker, verifyVaultProof } from './vaultPath.js';

/** What a refund needs of a remote header this domain accepted: its state root and timestamp (ms). */
export type RemoteHeaderFacts = { stateRoot: Uint8Array; timestamp: bigint };

/** What validation needs to know about the domain. Every callback must be deterministic. */
export type ValidationContext = {
  /** this domain's DomainId: consumed resources must be homed here (or be refunded) */
  domainId: Uint8Array;
  /** true for this domain's own roots and the remote roots it has accepted */
  isAnchorAccepted(root: Uint8Array): boolean;
  isNullifierSpent(nf: Uint8Array): boolean;
  logics: LogicLookup;
  /** the hash preset of the tree an anchor is a root of; 'weft' when absent */
  anchorHasher?(root: Uint8Array): HasherName;
  /**
   * The timestamp (ms) of the block the transaction is checked for, or a lower bound of it (at
   * admission the head's: a later block's is never earlier). A consumed resource homed here whose
   * deadline is before it is DEADLINE_PASSED. Absent: deadlines are not checked here, and the
   * caller must check `ValidTransaction.deadline` against the block it includes the transaction in.
   */
  blockTimestampMs?: bigint;
  /** true for this domain's own roots only: a refund's commitment proof must be anchored on one */
  isOwnAnchor?(root: Uint8Array): boolean;
  /**
   * The header of `domainId` at `height` this domain accepted and still vouches for (retained,
   * and not at or after a fork it saw), for refund witnesses. Absent: every refund is
   * REFUND_UNKNOWN_HEADER.
   */
  remoteHeaderAt?(domainId: Uint8Array, height: bigint): RemoteHeaderFacts | undefined;
  /**
   * Whether this domain recorded (or has queued) a refusal of a claim of the resource with this
   * nullifier (`0x06 || nf`): it may then never be consumed here (TRANSFER_REFUSED). Absent: none.
   */
  isRefused?(nf: Uint8Array): boolean;
  /**
   * True when the caller executes scoped bodies (weft/scope). Absent or false, a transaction with
   * a scope is TX_SCOPE_UNSUPPORTED: including it without running its calls would be a lie.
   */
  executesScopes?: boolean;
  /**
   * Whether `path` (an encoded anchor path) proves `anchor` through other domains' records,
   * starting from a root this domain accepted, within its policy. Absent: no anchor is accepted
   * through a path.
   */
  isAnchorProvenByPath?(anchor: Uint8Array, path: Uint8Array): boolean;
  /**
   * Whether `root` is an EVM vault's commitment root this domain accepted (a remote view in
   * `evm` mode): a commitment proof anchored on one is a vault path (`verifyVaultProof`: `height`
   * the leaf index), not a tree proof. Absent: no anchor is a vault root.
   */
  isVaultAnchor?(root: Uint8Array): boolean;
  /**
   * Whether `domainId` is an EVM vault this domain follows (`evm` mode): a refund of a resource
   * homed on it proves the vault's expiry marker (`vaultExpiredMarker(nf)`) as the last leaf of
   * the tree at the header the refund names, not a nullifier's absence. Absent: none is.
   */
  isVaultDomain?(domainId: Uint8Array): boolean;
};

export type ValidateOptions = {
  /** answers from preverifySignatures (or verifyTransactionSignatures) for this transaction */
  signatureResults?: SignatureResults;
  /**
   * Hashes this admission already computed from the same objects (a domain's tree reads): used
   * instead of computing them again. Every value in it is derived from `tx` itself.
   */
  hashes?: TxHashMemo;
};

/** What a valid transaction does: the nullifiers to mark spent and the commitments to add. */
export type ValidTransaction = {
  id: Uint8Array;
  /** consumed resources' nullifiers, in transaction order */
  nullifiers: Uint8Array[];
  /** created resources' commitments, in transaction order */
  commitments: Uint8Array[];
  signers: PublicKey[];
  /**
   * The earliest deadline (ms) of the consumed resources homed here, or null: a block whose
   * timestamp is past it must not include the transaction.
   */
  deadline: bigint | null;
};

/**
 * The codes whose refusal the body decides, with the domain's state and time: every copy with the
 * same id is refused the same way, whatever its witness (proofs, refund witnesses, signatures).
 * Only these may be recorded as the id's fate; a refusal that may come from a stripped or forged
 * witness says nothing about the transaction its owner signed.
 */
const DECIDED_BY_BODY = new Set<WeftErrorCode>([
  'VALUE_MISMATCH',
  'LABEL_MISMATCH',
  'BAD_VALUE',
  'VALUE_TOO_LARGE',
  'LABEL_TOO_LARGE',
  'TX_TOO_MANY_ACTIONS',
  'TX_TOO_MANY_RESOURCES',
  'TX_APP_DATA_TOO_LARGE',
  'WRONG_EXECUTOR',
  'REFUND_NOT_REMOTE',
  'WRONG_DOMAIN',
  'DEADLINE_PASSED',
  'NK_MISMATCH',
  'NULLIFIER_REPEATED',
  'NULLIFIER_SPENT',
  'TRANSFER_REFUSED',
  'DUPLICATE_COMMITMENT',
  'UNBALANCED',
  'UNKNOWN_LOGIC',
]);

/** Whether a validation refusal with `code` holds for every copy of the transaction (see above). */
export function isDecidedByBody(code: WeftErrorCode): boolean {
  return DECIDED_BY_BODY.has(code);
}

function fail(code: WeftErrorCode, message: string): never {
  throw new WeftError(code, message);
}

/** Byte equality that stops at the first difference: for public data (digests, keys) only. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A set of digests as a list: a transaction holds at most TX_RESOURCES_MAX of them, so a scan
 * costs less than hashing each into a string key for a Set (the usual one or two: one compare).
 */
class DigestList {
  readonly items: Uint8Array[] = [];
  has(d: Uint8Array): boolean {
    for (const x of this.items) if (sameBytes(x, d)) return true;
    return false;
  }
  add(d: Uint8Array): void {
    this.items.push(d);
  }
}

/** Per-kind quantity delta (consumed minus created), kinds in first-seen order. */
class Balance {
  private readonly kinds: Uint8Array[] = [];
  private readonly deltas: bigint[] = [];
  private lastRefs: Resource | undefined;
  private lastKind: Uint8Array | undefined;

  /** Adds `sign * quantity` to the resource's kind; returns the kind (computed once per run of equal refs). */
  add(r: Resource, sign: 1n | -1n): Uint8Array {
    let k: Uint8Array;
    if (
      this.lastRefs &&
      sameBytes(this.lastRefs.logicRef, r.logicRef) &&
      sameBytes(this.lastRefs.labelRef, r.labelRef)
    ) {
      k = this.lastKind!;
    } else {
      k = kind(r);
      this.lastRefs = r;
      this.lastKind = k;
    }
    let i = 0;
    while (i < this.kinds.length && !sameBytes(this.kinds[i]!, k)) i++;
    if (i === this.kinds.length) {
      this.kinds.push(k);
      this.deltas.push(0n);
    }
    this.deltas[i]! += sign * r.quantity;
    return k;
  }

  /** The first kind whose delta is not zero, if any. */
  unbalanced(): { kind: Uint8Array; delta: bigint } | undefined {
    const i = this.deltas.findIndex((d) => d !== 0n);
    return i < 0 ? undefined : { kind: this.kinds[i]!, delta: this.deltas[i]! };
  }
}

// The preimage digests of openEntry, compared in place (validation is synchronous and never
// re-enters itself): two per resource on the admission path, none kept.
const ENTRY_DIGEST = new Uint8Array(32);

/** Whether SHA256(preimage) is `ref` (a 32-byte digest, checked by shape). */
function hashesTo(preimage: Uint8Array, ref: Uint8Array): boolean {
  sha256Into(preimage, ENTRY_DIGEST, 0);
  for (let i = 0; i < 32; i++) if (ENTRY_DIGEST[i] !== ref[i]) return false;
  return ref.length === 32;
}

/** Checks the preimages of one entry and decodes its value. */
function openEntry(entry: Created, path: string): ResourceValue {
  if (!hashesTo(entry.value, entry.resource.valueRef)) {
    fail('VALUE_MISMATCH', `${path}.value does not hash to the resource's valueRef`);
  }
  if (!hashesTo(entry.label, entry.resource.labelRef)) {
    fail('LABEL_MISMATCH', `${path}.label does not hash to the resource's labelRef`);
  }
  try {
    return decodeValue(entry.value);
  } catch (e) {
    return fail('BAD_VALUE', `${path}.value is not a resource value: ${(e as Error).message}`);
  }
}

type Checked = {
  view: ResourceView;
  role: 'consumed' | 'created';
  actionIndex: number;
  index: number;
  path: string;
  logic?: ResourceLogic;
};

/**
 * Validates `tx`; returns its effects or throws a WeftError whose code names the first rule
 * broken (order in docs/transactions.md). Never changes anything.
 *
 * @example
 * const { nullifiers, commitments } = validateTransaction(tx, {
 *   domainId, isAnchorAccepted, isNullifierSpent, logics: builtinRegistry() });
 */
export function validateTransaction(
  tx: Transaction,
  ctx: ValidationContext,
  opts: ValidateOptions = {},
): ValidTransaction {
  // 1. Shape and limits.
  checkTransactionShape(tx, { requireProofs: true });
  const hashes = opts.hashes;
  const { id, bodyBytes } = hashes ? hashes.idAndBodyBytes(tx) : txIdAndBodyBytes(tx);
  const signaturesBytes = 4 + tx.signatures.reduce((n, s) => n + 1 + s.publicKey.bytes.length + 64, 0);
  const encodedBytes = bodyBytes + encodedProofsBytes(tx) + signaturesBytes;
  if (encodedBytes > TX_BYTES_MAX) {
    fail('TX_TOO_LARGE', `the transaction encodes to ${encodedBytes} bytes; the limit is ${TX_BYTES_MAX}`);
  }
  if (tx.scope !== undefined && ctx.executesScopes !== true) {
    fail('TX_SCOPE_UNSUPPORTED', 'this domain does not execute scoped transactions (format 3)');
  }
  if (opts.signatureResults !== undefined)
    assertResultsFor(tx, id, opts.signatureResults, hashes?.witness(tx));
  // The id binds its executor (format 2): a transaction signed for one domain means nothing on another.
  if (tx.executor !== undefined && !equalBytes(tx.executor, ctx.domainId)) {
    fail('WRONG_EXECUTOR', `the transaction names ${toHex(tx.executor)} as its executor, not this domain`);
  }

  // 2. Consumed resources: preimages, home (or refund), deadline, nullifier, uniqueness, existence
  //    under an accepted anchor.
  const checked: Checked[] = [];
  const actionViews: { consumed: ResourceView[]; created: ResourceView[] }[] = [];
  const nullifiers: Uint8Array[] = [];
  const seenNullifiers = new DigestList();
  const balance = new Balance();
  let deadline: bigint | null = null;
  // Indexed loops: `entries()` makes an iterator and a pair per element on this hot path.
  for (let a = 0; a < tx.actions.length; a++) {
    const action = tx.actions[a]!;
    const consumed: ResourceView[] = [];
    for (let i = 0; i < action.consumed.length; i++) {
      const c = action.consumed[i]!;
      const path = `tx.actions[${a}].consumed[${i}]`;
      const value = openEntry(c, path);
      checkRefundFlag(tx, c, value, path);
      let refundHeader: RemoteHeaderFacts | undefined;
      if (equalBytes(value.home, ctx.domainId)) {
        if (c.refund !== undefined) {
          fail(
            'REFUND_NOT_REMOTE',
            `${path} is homed here; a refund witness is for resources homed elsewhere`,
          );
        }
        if (value.deadline !== undefined) {
          checkDeadline(value.deadline, ctx.blockTimestampMs, path);
          if (deadline === null || value.deadline < deadline) deadline = value.deadline;
        }
      } else if (c.refund === undefined) {
        fail('WRONG_DOMAIN', `${path} is homed on another domain; only its home domain may consume it`);
      } else if (c.refund.refusal !== undefined) {
        refundHeader = refusalHeader(value, c.refund.height, ctx, path);
      } else {
        refundHeader = refundTiming(value, c.refund.height, ctx, path);
      }
      const cm = hashes ? hashes.commitment(c.resource) : commitment(c.resource);
      let nf: Uint8Array;
      try {
        nf = hashes ? hashes.nullifier(c.resource, c.nk) : nullifier(c.resource, c.nk, cm);
      } catch (e) {
        if (e instanceof WeftError && e.code === 'NK_MISMATCH')
          fail('NK_MISMATCH', `${path}.nk: ${e.shortMessage}`);
        throw e;
      }
      if (refundHeader !== undefined) checkRefundProof(refundHeader, nf, c.refund!, ctx, path, value.home);
      if (seenNullifiers.has(nf)) fail('NULLIFIER_REPEATED', `${path} is consumed twice in this transaction`);
      seenNullifiers.add(nf);
      if (!isPlanted('nullifierCheck') && ctx.isNullifierSpent(nf))
        fail('NULLIFIER_SPENT', `${path} was already consumed (its nullifier is spent)`);
      if (refundHeader === undefined && ctx.isRefused?.(nf) === true)
        fail('TRANSFER_REFUSED', `${path}: this domain refused a claim of it; the source refunds it`);
      const p = c.commitmentProof;
      if (p !== null) {
        if (p.path !== undefined && refundHeader === undefined) {
          // Knowledge through others (docs/sync.md, "Anchors through a path"): the path alone
          // decides, even when the anchor is also known directly, so a copy means one thing.
          if (ctx.isAnchorProvenByPath?.(p.anchor, p.path) !== true)
            fail(
              'UNKNOWN_ANCHOR',
              `${path}.commitmentProof.path does not prove its anchor from a root this domain accepted, within its policy`,
            );
        } else if (!ctx.isAnchorAccepted(p.anchor)) {
          fail('UNKNOWN_ANCHOR', `${path}.commitmentProof.anchor is not a root this domain has accepted`);
        }
        // A refund returns what a move of this domain locked: its commitment must be in this
        // domain's own tree, or a resource moved by a third domain could be refunded here too.
        if (refundHeader !== undefined && ctx.isOwnAnchor?.(p.anchor) !== true) {
          fail(
            'UNKNOWN_ANCHOR',
            `${path}.commitmentProof.anchor of a refund must be one of this domain's own roots`,
          );
        }
        if (refundHeader === undefined && ctx.isVaultAnchor?.(p.anchor) === true) {
          // A lock on an EVM vault (docs/evm.md): its leaf path under the vault root.
          if (!verifyVaultProof(p.anchor, cm, p.height, p.proof)) {
            fail(
              'BAD_PROOF',
              `${path}.commitmentProof is not the vault path of the commitment under its anchor`,
            );
          }
        } else {
          const hasher = ctx.anchorHasher?.(p.anchor) ?? 'weft';
          const proven =
            hashes?.commitmentProofVerdict(p, cm, hasher) ??
            verifyProof(p.anchor, commitmentKey(cm), encodeHeight(p.height), p.proof, { hasher });
          if (!proven) {
            fail('BAD_PROOF', `${path}.commitmentProof does not prove the commitment under its anchor`);
          }
        }
      }
      const k = balance.add(c.resource, 1n);
      const view: ResourceView = {
        resource: c.resource,
        value,
        label: c.label,
        commitment: cm,
        nullifier: nf,
        kind: k,
      };
      consumed.push(view);
      checked.push({ view, role: 'consumed', actionIndex: a, index: i, path });
      nullifiers.push(nf);
    }
    actionViews.push({ consumed, created: [] });
  }

  // 3. Created resources: preimages, distinct commitments.
  const commitments: Uint8Array[] = [];
  const seenCommitments = new DigestList();
  for (let a = 0; a < tx.actions.length; a++) {
    const action = tx.actions[a]!;
    for (let i = 0; i < action.created.length; i++) {
      const c = action.created[i]!;
      const path = `tx.actions[${a}].created[${i}]`;
      const value = openEntry(c, path);
      const cm = hashes ? hashes.commitment(c.resource) : commitment(c.resource);
      if (seenCommitments.has(cm))
        fail('DUPLICATE_COMMITMENT', `${path} repeats a resource created in this transaction`);
      seenCommitments.add(cm);
      const k = balance.add(c.resource, -1n);
      const view: ResourceView = {
        resource: c.resource,
        value,
        label: c.label,
        commitment: cm,
        nullifier: null,
        kind: k,
      };
      actionViews[a]!.created.push(view);
      checked.push({ view, role: 'created', actionIndex: a, index: i, path });
      commitments.push(cm);
    }
  }

  // 4. Balance: per kind, created equals consumed (ephemeral resources included: they are how
  //    logics mint and burn).
  const off = balance.unbalanced();
  if (off !== undefined) {
    const { delta } = off;
    fail(
      'UNBALANCED',
      `kind ${toHex(off.kind)} is unbalanced: ${delta > 0n ? `${delta} more consumed than created` : `${-delta} more created than consumed`}`,
    );
  }

  // 5. Every logic is known.
  for (const c of checked) {
    const logic = ctx.logics.get(c.view.resource.logicRef);
    if (logic === undefined) fail('UNKNOWN_LOGIC', `${c.path} names a logic this domain does not know`);
    c.logic = logic;
  }

  // 6. Signatures: each verifies over the id (or was verified ahead, by the caller).
  const signers: PublicKey[] = [];
  for (let i = 0; i < tx.signatures.length; i++) {
    if (!signatureAnswer(tx, id, i, opts.signatureResults)) {
      fail('BAD_SIGNATURE', `tx.signatures[${i}] does not verify over the transaction id`);
    }
    signers.push(tx.signatures[i]!.publicKey);
  }
  const isSignedBy = (pk: PublicKey): boolean => {
    if (typeof pk !== 'object' || pk === null || !(pk.bytes instanceof Uint8Array)) return false;
    for (const s of signers) if (s.type === pk.type && sameBytes(s.bytes, pk.bytes)) return true;
    return false;
  };

  // 7. Every logic accepts.
  const view: TransactionView = { id, actions: actionViews, appData: tx.appData, signers };
  for (const c of checked) {
    const verdict = runLogic(c.logic!, {
      self: c.view,
      role: c.role,
      actionIndex: c.actionIndex,
      index: c.index,
      tx: view,
      isSignedBy,
    });
    if (!verdict.ok) {
      fail(
        'LOGIC_REJECTED',
        `${c.path}: logic ${c.logic!.name} v${c.logic!.version} rejected it: ${verdict.reason}`,
      );
    }
  }

  return { id, nullifiers, commitments, signers, deadline };
}

/** DEADLINE_PASSED when the block the transaction is checked for is past a deadline. */
function checkDeadline(deadline: bigint, blockTimestampMs: bigint | undefined, path: string): void {
  if (blockTimestampMs !== undefined && blockTimestampMs > deadline) {
    fail(
      'DEADLINE_PASSED',
      `${path} had to be consumed by ${deadline} ms; the block is at ${blockTimestampMs} ms (the source may refund it)`,
    );
  }
}

/**
 * The refund flag (in the body) and the refund witness (outside it) agree, and a format 1
 * transaction — which binds neither its executor nor its refund flags — consumes nothing that a
 * refund could also consume: no refund witness, no resource with a deadline.
 */
function checkRefundFlag(tx: Transaction, c: Consumed, value: ResourceValue, path: string): void {
  if ((c.isRefund === true) !== (c.refund !== undefined)) {
    fail(
      'REFUND_FLAG_MISMATCH',
      c.refund === undefined
        ? `${path} is signed as a refund but carries no refund witness`
        : `${path} carries a refund witness but is not signed as a refund (format 2, isRefund)`,
    );
  }
  if (tx.executor === undefined && value.deadline !== undefined) {
    fail(
      'WRONG_EXECUTOR',
      `${path} has a deadline: a transaction consuming it must name its executor (format 2)`,
    );
  }
}

/**
 * The remote header a refund by refusal names: one of the home's this domain accepted and still
 * vouches for (REFUND_UNKNOWN_HEADER). No deadline needed: the home said it will never take it.
 */
function refusalHeader(
  value: ResourceValue,
  height: bigint,
  ctx: ValidationContext,
  path: string,
): RemoteHeaderFacts {
  const header = ctx.remoteHeaderAt?.(value.home, height);
  if (header === undefined) {
    fail(
      'REFUND_UNKNOWN_HEADER',
      `${path}.refund.height ${height}: this domain holds no accepted header of the resource's home at that height`,
    );
  }
  return header;
}

/**
 * A refund's proof under the home's header: by deadline, `0x02 || nf` absent (the home had not let
 * it be consumed by then, and never will); by refusal, `0x06 || nf` holding the refusal record.
 */
function checkRefundProof(
  header: RemoteHeaderFacts,
  nf: Uint8Array,
  w: RefundWitness,
  ctx: ValidationContext,
  path: string,
  home: Uint8Array,
): void {
  if (ctx.isVaultDomain?.(home) === true) {
    // A vault (docs/evm.md): it expired the resource — nullifier recorded there, marker appended
    // as the leaf that made the header's count — once its block was stamped past the deadline.
    if (
      w.refusal !== undefined ||
      w.height < 1n ||
      !verifyVaultProof(header.stateRoot, vaultExpiredMarker(nf), w.height - 1n, w.proof)
    ) {
      fail(
        'REFUND_BAD_PROOF',
        `${path}.refund.proof is not the vault path of the resource's expiry marker as the last leaf at height ${w.height}`,
      );
    }
    return;
  }
  const hasher = ctx.anchorHasher?.(header.stateRoot) ?? 'weft';
  if (w.refusal !== undefined) {
    if (!verifyProof(header.stateRoot, refusalKey(nf), encodeRefusal(w.refusal), w.proof, { hasher })) {
      fail(
        'REFUND_BAD_PROOF',
        `${path}.refund.proof does not show the home's refusal record under its header at height ${w.height}`,
      );
    }
    return;
  }
  if (
    !isPlanted('refundAbsenceProof') &&
    !verifyProof(header.stateRoot, nullifierKey(nf), null, w.proof, { hasher })
  ) {
    fail(
      'REFUND_BAD_PROOF',
      `${path}.refund.proof does not show the nullifier absent under the home's header at height ${w.height}`,
    );
  }
}

/**
 * The remote header a refund names, once the refund is allowed in time: the value has a deadline
 * (REFUND_NO_DEADLINE), this domain accepted its home's header at that height and still vouches
 * for it (REFUND_UNKNOWN_HEADER), and that header is past the deadline (REFUND_TOO_EARLY).
 */
function refundTiming(
  value: ResourceValue,
  height: bigint,
  ctx: ValidationContext,
  path: string,
): RemoteHeaderFacts {
  if (value.deadline === undefined) {
    fail('REFUND_NO_DEADLINE', `${path} has no deadline; only a resource with one can be refunded`);
  }
  const header = ctx.remoteHeaderAt?.(value.home, height);
  if (header === undefined) {
    fail(
      'REFUND_UNKNOWN_HEADER',
      `${path}.refund.height ${height}: this domain holds no accepted header of the resource's home at that height`,
    );
  }
  if (header.timestamp <= value.deadline) {
    fail(
      'REFUND_TOO_EARLY',
      `${path}.refund.height ${height}: that header's timestamp ${header.timestamp} is not past the deadline ${value.deadline}`,
    );
  }
  return header;
}

function runLogic(logic: ResourceLogic, input: LogicInput): LogicVerdict {
  let verdict: LogicVerdict;
  try {
    verdict = logic.check(input);
  } catch (e) {
    return { ok: false, reason: `the logic threw: ${clip(String((e as Error)?.message ?? e))}` };
  }
  if (verdict?.ok === true) return { ok: true };
  if (verdict?.ok === false && typeof verdict.reason === 'string')
    return { ok: false, reason: clip(verdict.reason) };
  return { ok: false, reason: 'the logic returned no verdict' };
}

function clip(reason: string): string {
  return reason.length > LOGIC_REASON_CHARS_MAX ? `${reason.slice(0, LOGIC_REASON_CHARS_MAX)}...` : reason;
}

/** A claim's refusal, as the destination records it under `0x06 || nullifier`. */
export type Refusal = { nullifier: Uint8Array; reason: RefusalReason };

/**
 * The refusal a domain records for a claim it cannot take for a reason waiting will not lift, or
 * null. Only a claim that proves a transfer exists and is correctly signed counts, so nobody can
 * fill the tree with refusals of transfers that do not exist: a format 2 transaction for this
 * domain consuming exactly one resource r', homed here, not as a refund, proven under a root this
 * domain accepted from another domain (the source's: the move created r' there), with its
 * nullifier key, every signature (at least one) verifying over the id, and r' neither consumed,
 * pending nor already refused. The reason must be a property of r' alone — its deadline is before
 * `blockTimestampMs` (DEADLINE_PASSED), or its logic is one this domain does not run
 * (UNKNOWN_LOGIC) — never of the claim's other parts, or anyone who saw the move could sign a bad
 * claim of r' and force its refund. Pure; never throws.
 */
export function refusalOf(
  tx: Transaction,
  ctx: ValidationContext,
  opts: ValidateOptions = {},
): Refusal | null {
  try {
    return findRefusal(tx, ctx, opts);
  } catch {
    return null;
  }
}

function findRefusal(tx: Transaction, ctx: ValidationContext, opts: ValidateOptions): Refusal | null {
  checkTransactionShape(tx, { requireProofs: true });
  if (tx.executor === undefined || !equalBytes(tx.executor, ctx.domainId)) return null;
  if (tx.actions.length !== 1 || tx.actions[0]!.consumed.length !== 1) return null;
  const c = tx.actions[0]!.consumed[0]!;
  const p = c.commitmentProof;
  if (c.resource.isEphemeral || c.isRefund === true || c.refund !== undefined || p === null) return null;
  const value = openEntry(c, 'claim');
  if (!equalBytes(value.home, ctx.domainId)) return null;
  // The cheap question first: most refused transactions are not refused for a reason of r' alone.
  const reason = refusalReason(value, c.resource, ctx);
  if (reason === null) return null;
  if (!ctx.isAnchorAccepted(p.anchor) || ctx.isOwnAnchor?.(p.anchor) !== false) return null;
  const cm = commitment(c.resource);
  const hasher = ctx.anchorHasher?.(p.anchor) ?? 'weft';
  if (!verifyProof(p.anchor, commitmentKey(cm), encodeHeight(p.height), p.proof, { hasher })) return null;
  const nf = nullifier(c.resource, c.nk, cm);
  if (ctx.isNullifierSpent(nf) || ctx.isRefused?.(nf) === true) return null;
  // Signatures last: the expensive check, only for a claim that would be refused for good.
  const { id } = txIdAndBodyBytes(tx);
  if (opts.signatureResults !== undefined) assertResultsFor(tx, id, opts.signatureResults);
  if (tx.signatures.length === 0) return null;
  for (let i = 0; i < tx.signatures.length; i++)
    if (!signatureAnswer(tx, id, i, opts.signatureResults)) return null;
  return { nullifier: nf, reason };
}

/** Why r' can never be consumed here, from r' alone, or null. */
function refusalReason(
  value: ResourceValue,
  resource: Resource,
  ctx: ValidationContext,
): RefusalReason | null {
  const t = ctx.blockTimestampMs;
  if (value.deadline !== undefined && t !== undefined && t > value.deadline) return 'DEADLINE_PASSED';
  if (ctx.logics.get(resource.logicRef) === undefined) return 'UNKNOWN_LOGIC';
  return null;
}
