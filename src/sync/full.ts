// Full verification of a remote block: stateless re-execution of its transactions against the
// transition witness. Every read a transaction needs is answered from the witness (is this
// nullifier spent? does this commitment exist?), from the header (its time, for deadlines) or from
// roots and headers the caller trusts (anchors, refund headers), and
// the block's writes must be exactly what its transactions imply (docs/sync.md, "Full mode").
import { equalBytes, hexKey, toHex, WeftError } from '../crypto/index.js';
import { decodeKeySet, type Header, KEYSET_TREE_KEY, txRoot } from '../domain/index.js';
import type { LogicLookup } from '../resource/index.js';
import { type ScopeTx, scopeTxOf } from '../scope/index.js';
import type { TransitionProof, Write } from '../smt/index.js';
import {
  commitmentKey,
  decodeRefusal,
  encodeHeight,
  nullifierKey,
  REFUSAL_KEY_PREFIX,
  type Refusal,
  type RefusalRecord,
  type RemoteHeaderFacts,
  refusalKey,
  refusalOf,
  type SignatureResults,
  type Transaction,
  txId,
  validateTransaction,
} from '../tx/index.js';
import { type Exclusion, isClaim, openExclusions } from './exclusions.js';
import { ROOT_UPDATE_TXS_MAX } from './limits.js';
import { isRemoteHeaderWrite, REMOTE_HEADER_KEY_PREFIX } from './records.js';
import type { ScopeHistory, ScopeWitness } from './scopes.js';
import { openTransition } from './witness.js';

/**
 * A refusal record (`0x06 || nf -> reason || height`, docs/transfers.md "Refusals") the block
 * writes: well formed, stamped with the block's height, never overwriting one (the witness shows
 * the key absent before), and never for a resource the same block consumes — a claim and a refusal
 * of one transfer exclude each other. The claim behind it is checked next (`checkRefusalBacked`).
 */
function checkRefusalWrite(
  w: Write,
  height: bigint,
  old: NonNullable<ReturnType<typeof openTransition>>,
  expected: Set<string>,
): RefusalRecord {
  const k = hexKey(w.key);
  if (w.key.length !== 33 || w.value === null) fail(`the refusal record 0x${k} is malformed`);
  let rec: ReturnType<typeof decodeRefusal> | undefined;
  try {
    rec = decodeRefusal(w.value);
  } catch (e) {
    fail(`the refusal record 0x${k} does not decode`, e);
  }
  if (rec.height !== height) fail(`the refusal record 0x${k} names height ${rec.height}, not the block's`);
  const before = old.lookup(w.key);
  if (before === undefined || before.present) fail(`the block overwrites the refusal record 0x${k}`);
  if (expected.has(hexKey(nullifierKey(w.key.subarray(1)))))
    fail(`the block both refuses and consumes the resource of 0x${k}`);
  return rec!;
}

/**
 * What the block's refused claims justify, re-checked as the sender checked them (`refusalOf`):
 * for the sending domain, at the header's time, anchored on a root the verifier accepts that is
 * not one of the sender's own, signed, and its nullifier neither spent by the block nor present
 * before it (the witness covers only keys the block writes, so the update's exclusion proofs
 * show its absence from the old tree).
 */
function refusalsOf(
  input: BlockValidationInput,
  expected: Set<string>,
  absent: Set<string> | null,
): Map<string, Refusal> {
  const out = new Map<string, Refusal>();
  const refused = input.refused ?? [];
  if (!Array.isArray(refused) || refused.length > ROOT_UPDATE_TXS_MAX)
    fail(`a block carries at most ${ROOT_UPDATE_TXS_MAX} refused claims`);
  for (const tx of refused) {
    const r = refusalOf(tx, {
      domainId: input.header.domain,
      isAnchorAccepted: (root) => input.isAnchorAccepted(root),
      // Without the sender's own roots a verifier cannot tell a source's root from them: no refusal.
      isOwnAnchor: (root) => input.isSenderRoot?.(root) ?? true,
      // Spent in this block, or not proven absent before it (an exclusion proof): a refusal of a
      // claim the sender took in an earlier block would let the source refund what landed here.
      isNullifierSpent: (nf) => {
        const k = hexKey(nullifierKey(nf));
        return expected.has(k) || (absent !== null && !absent.has(k));
      },
      blockTimestampMs: input.header.timestamp,
      // Which logics the sender runs is its own to say: a verifier's registry cannot tell. So
      // every proven, signed claim backs an UNKNOWN_LOGIC record; DEADLINE_PASSED is re-checked.
      logics: NO_LOGICS,
    });
    if (r !== null) out.set(hexKey(r.nullifier), r);
  }
  return out;
}

const NO_LOGICS: LogicLookup = { get: () => undefined };

/**
 * Every resource a transaction claims (`isClaim`) was not refused before the block: the update
 * proves `0x06 || nf` absent under the previous root. A claim of a resource the sender refused in
 * an earlier block would let the value land here after the source refunded it by that refusal.
 * `nullifiers` are the transaction's, in the order of its consumed entries.
 */
function checkClaimsUnrefused(
  tx: Transaction,
  nullifiers: Uint8Array[],
  i: number,
  input: BlockValidationInput,
  absent: Set<string> | null,
): void {
  if (absent === null) return;
  const isSenderRoot = (root: Uint8Array) => input.isSenderRoot?.(root) ?? false;
  let n = 0;
  for (const a of tx.actions) {
    for (const c of a.consumed) {
      const nf = nullifiers[n++]!;
      if (isClaim(c, isSenderRoot) && !absent.has(hexKey(refusalKey(nf))))
        fail(
          `transaction ${i} claims a resource (nullifier ${toHex(nf)}) the update does not prove unrefused before the block`,
        );
    }
  }
}

/**
 * A refusal record must be one the block's refused claims justify: DEADLINE_PASSED only when the
 * claim's resource is past its deadline at the header's time.
 */
function checkRefusalBacked(w: Write, rec: RefusalRecord, backed: Map<string, Refusal>): void {
  const r = backed.get(hexKey(w.key.subarray(1)));
  if (r === undefined)
    fail(`the refusal record 0x${hexKey(w.key)} is backed by no proven, signed claim the block carries`);
  if (rec.reason === 'DEADLINE_PASSED' && r.reason !== 'DEADLINE_PASSED')
    fail(
      `the refusal record 0x${hexKey(w.key)} says DEADLINE_PASSED, but its claim's deadline has not passed`,
    );
}

/** Refusals of a scoped block that name what is missing or forged rather than the block's fault. */
const SCOPE_PASS_THROUGH = new Set<string>([
  'SCOPE_WITNESS_MISSING',
  'SCOPE_HISTORY_UNKNOWN',
  'SCOPE_UNKNOWN_PROGRAM',
  'BAD_PROOF',
  'FULL_VALIDATION_FAILED',
]);

export type BlockValidationInput = {
  header: Header;
  /** the state root the block starts from (the accepted previous header's) */
  prevRoot: Uint8Array;
  writes: Write[];
  transition: TransitionProof;
  txs: Transaction[] | undefined;
  /** the claims behind the block's refusal records (`Block.refused`) */
  refused?: Transaction[];
  /**
   * Proofs of keys absent before the block (`RootUpdate.exclusions`): a claim must be shown
   * unrefused and a refused claim unspent before the block. Sync acceptance always passes the
   * update's (none: every claim and refusal of the block is refused). Absent: not checked across
   * blocks — only for a caller that trusts the sender's history (a prover of its own blocks).
   */
  exclusions?: Exclusion[];
  /** whether a consumed resource's anchor is a root the verifier trusts for the sending domain */
  isAnchorAccepted(root: Uint8Array): boolean;
  /**
   * Whether `root` is one of the sending domain's own roots the verifier accepted: a refund's
   * commitment must be proven under one. Absent: every refund in the block is refused.
   */
  isSenderRoot?(root: Uint8Array): boolean;
  /**
   * Whether an anchor path (encoded) leads to `anchor` from a root the sender had accepted:
   * admission under the sender's policy, re-checked without it. Absent: no path is accepted.
   */
  isAnchorProvenByPath?(anchor: Uint8Array, path: Uint8Array): boolean;
  /**
   * A header of another domain the verifier accepted (its own included, if it is a domain), for
   * the refunds the block includes. Absent: every refund in the block is refused.
   */
  remoteHeaderAt?(domainId: Uint8Array, height: bigint): RemoteHeaderFacts | undefined;
  logics: LogicLookup;
  /** whether an anchor is the root of an EVM vault the verifier follows (`evm` mode): its proof is a vault path */
  isVaultAnchor?(root: Uint8Array): boolean;
  /** whether a domain is an EVM vault the verifier follows (`evm` mode): refunds of what it homes prove its expiry marker */
  isVaultDomain?(domainId: Uint8Array): boolean;
  /** answers of a signature pool for `txs[i]` (from `preverifySignatures`), when checked ahead */
  signatureResults?: readonly (SignatureResults | undefined)[];
  /**
   * To re-execute scoped transactions (docs/sync.md, "Scoped blocks"): the verifier's programs
   * and object DAGs, the hash of the header the block continues, and the update's witness.
   * Absent: a block with a scoped transaction fails (TX_SCOPE_UNSUPPORTED inside).
   */
  scopes?: { history: ScopeHistory; prevHash: Uint8Array; witness: ScopeWitness | undefined };
};

/** What a block that re-executed leaves to do once the caller accepts it. */
export type BlockValidation = {
  /** keeps the object DAG the block's scoped transactions left, under the block's header hash */
  commit(headerHash: Uint8Array): void;
};

function fail(message: string, cause?: unknown): never {
  throw new WeftError('FULL_VALIDATION_FAILED', message, {
    details: 'The block does not re-execute to the writes it claims; nothing from it was accepted.',
    cause,
  });
}

/**
 * A failure of full validation that the update alone proves, whoever relayed it: the header's
 * signatures bind the state root, the verified transition binds the writes to it, and the txRoot
 * binds the transactions' bodies, so a write that changes the tree (creates or deletes a key) and
 * that no valid transaction of the block implies is the signers' own doing. Failures that a
 * relayer could cause (a witness stripped from a transaction) or that depend on what the verifier
 * knows (an anchor, a header) are plain FULL_VALIDATION_FAILED (docs/sync.md, "Invalid blocks").
 */
export class InvalidBlockError extends WeftError {
  constructor(message: string) {
    super('FULL_VALIDATION_FAILED', message, {
      details: 'The block writes what its transactions do not imply: the view of its domain is frozen.',
    });
  }
}

/**
 * Re-executes a block statelessly; returns nothing or throws FULL_VALIDATION_FAILED naming the
 * first rule broken. Checks: the transactions hash to the header's txRoot; each passes
 * `validateTransaction` for the sending domain, with nullifiers answered from the witness
 * against the old root (spent iff the old tree holds `0x02 || nf`, or an earlier transaction of
 * the block spent it) and anchors from `isAnchorAccepted`; no created commitment already
 * existed; and the writes are exactly `0x01 || cm -> height` and `0x02 || nf -> height` for
 * those transactions, plus well-formed remote-header (0x03) and key-set (0x05) records.
 * The caller has already checked the transition itself (`verifyTransition`).
 */
export function validateBlockStateless(input: BlockValidationInput): BlockValidation {
  const { header, writes, txs } = input;
  if (txs === undefined) fail('full mode needs the block transactions; the update carries none');
  if (!Array.isArray(txs) || txs.length > ROOT_UPDATE_TXS_MAX)
    fail(`a block carries at most ${ROOT_UPDATE_TXS_MAX} transactions`);
  const ids: Uint8Array[] = [];
  for (const [i, tx] of txs.entries()) {
    try {
      ids.push(txId(tx));
    } catch (e) {
      fail(`transaction ${i} is malformed: ${(e as Error).message}`, e);
    }
  }
  if (!equalBytes(txRoot(ids), header.txRoot)) fail("the transactions do not hash to the header's txRoot");

  const old = openTransition(input.prevRoot, writes, input.transition);
  if (old === null) fail('the transition witness does not open against the previous state root');
  const absent = input.exclusions === undefined ? null : openExclusions(input.prevRoot, input.exclusions);
  if (input.exclusions !== undefined && absent === null)
    fail('an exclusion proof does not verify against the previous state root');

  const writesByKey = new Map<string, Write>();
  for (const w of writes) {
    const k = hexKey(w.key);
    if (writesByKey.has(k)) fail(`the block writes key 0x${k} twice`);
    writesByKey.set(k, w);
  }

  const height = encodeHeight(header.height);
  const expected = new Set<string>();
  const spentInBlock = new Set<string>();
  const scoped: ScopeTx[] = [];
  for (const [i, tx] of txs.entries()) {
    let effects: ReturnType<typeof validateTransaction>;
    try {
      effects = validateTransaction(
        tx,
        {
          domainId: header.domain,
          isAnchorAccepted: (root) => input.isAnchorAccepted(root),
          ...(input.isAnchorProvenByPath ? { isAnchorProvenByPath: input.isAnchorProvenByPath } : {}),
          // The header's own time: a resource past its deadline was not the block's to consume.
          blockTimestampMs: header.timestamp,
          isOwnAnchor: (root) => input.isSenderRoot?.(root) ?? false,
          ...(input.remoteHeaderAt ? { remoteHeaderAt: input.remoteHeaderAt } : {}),
          isNullifierSpent: (nf) => {
            if (spentInBlock.has(hexKey(nf))) return true;
            const answer = old.lookup(nullifierKey(nf));
            // Not covered by the witness: unspent cannot be shown, so it counts as spent.
            return answer === undefined || answer.present;
          },
          logics: input.logics,
          executesScopes: input.scopes !== undefined,
          ...(input.isVaultAnchor ? { isVaultAnchor: input.isVaultAnchor } : {}),
          ...(input.isVaultDomain ? { isVaultDomain: input.isVaultDomain } : {}),
        },
        input.signatureResults?.[i] ? { signatureResults: input.signatureResults[i] } : {},
      );
    } catch (e) {
      if (!(e instanceof WeftError)) throw e;
      fail(`transaction ${i} (${toHex(ids[i]!)}) is invalid: ${e.code}: ${e.shortMessage}`, e);
    }
    if (tx.scope !== undefined) {
      try {
        scoped.push(scopeTxOf(tx, ids[i]!)!);
      } catch (e) {
        if (!(e instanceof WeftError)) throw e;
        fail(
          `transaction ${i} has a scoped body the domain could not admit: ${e.code}: ${e.shortMessage}`,
          e,
        );
      }
    }
    checkClaimsUnrefused(tx, effects.nullifiers, i, input, absent);
    for (const nf of effects.nullifiers) {
      spentInBlock.add(hexKey(nf));
      expected.add(hexKey(nullifierKey(nf)));
    }
    for (const cm of effects.commitments) {
      const key = commitmentKey(cm);
      const k = hexKey(key);
      if (expected.has(k))
        fail(`transaction ${i} creates a commitment another transaction of the block created`);
      const answer = old.lookup(key);
      if (answer === undefined || answer.present)
        fail(
          `transaction ${i} creates commitment ${toHex(cm)}, which already existed (or is not in the witness)`,
        );
      expected.add(k);
    }
  }

  // Scoped transactions: re-executed from the witness's proven values on the verifier's DAG.
  const objectWrites = new Map<string, Uint8Array | null>();
  let commit: BlockValidation['commit'] = () => {};
  if (input.scopes !== undefined) {
    const { history, prevHash, witness } = input.scopes;
    if (scoped.length === 0 && witness !== undefined)
      fail('the update carries a scope witness for a block without scoped transactions');
    let run: ReturnType<ScopeHistory['execute']>;
    try {
      run = history.execute({
        domainId: header.domain,
        prevHash,
        prevRoot: input.prevRoot,
        height: header.height,
        txs: scoped,
        witness,
      });
    } catch (e) {
      // The witness's and the verifier's own codes pass through; anything else is a bad block.
      if (!(e instanceof WeftError) || SCOPE_PASS_THROUGH.has(e.code)) throw e;
      fail(`the scoped transactions do not execute: ${e.shortMessage}`, e);
    }
    for (const w of run.writes) objectWrites.set(hexKey(w.key), w.value);
    commit = run.commit;
  }
  for (const [k, value] of objectWrites) {
    const w = writesByKey.get(k);
    if (w === undefined) fail(`the block does not write object 0x${k}, which its scoped transactions imply`);
    if (value === null || w.value === null || !equalBytes(w.value, value))
      fail(`the block writes object 0x${k} with a state other than re-execution gives`);
  }

  for (const k of expected) {
    const w = writesByKey.get(k);
    if (w === undefined) fail(`the block does not write 0x${k}, which its transactions imply`);
    if (w.value === null || !equalBytes(w.value, height))
      fail(`the block writes 0x${k} with a value other than its height`);
  }
  // The refusals the block's refused claims justify, by nullifier (computed once, when needed).
  let refusals: Map<string, Refusal> | undefined;
  const backed = () => {
    refusals ??= refusalsOf(input, expected, absent);
    return refusals;
  };
  for (const [k, w] of writesByKey) {
    if (expected.has(k) || objectWrites.has(k)) continue;
    if (w.key[0] === REFUSAL_KEY_PREFIX) {
      const rec = checkRefusalWrite(w, header.height, old, expected);
      checkRefusalBacked(w, rec, backed());
      continue;
    }
    if (w.key[0] === REMOTE_HEADER_KEY_PREFIX) {
      if (!isRemoteHeaderWrite(w)) fail(`the remote-header record 0x${k} is malformed`);
      if (equalBytes(w.key.subarray(1), header.domain)) fail('the block records its own domain as a remote');
      continue;
    }
    if (equalBytes(w.key, KEYSET_TREE_KEY)) {
      if (w.value === null) fail('the block deletes its key set');
      try {
        decodeKeySet(w.value);
      } catch (e) {
        fail('the block writes a key set that does not decode', e);
      }
      continue;
    }
    // A creation or deletion is a change only the signers could make; a write that leaves a
    // key as it was (which a relayer could add without moving the root) proves nothing.
    const before = old.lookup(w.key);
    const changes = before !== undefined && before.present === (w.value === null);
    const message = `the block writes 0x${k}, which none of its transactions implies`;
    if (changes) throw new InvalidBlockError(message);
    fail(message);
  }
  return { commit };
}
