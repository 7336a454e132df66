// The hashes one admission needs more than once: a domain reads the tree for a transaction's
// nullifiers and new commitments before it validates the transaction, and validation derives the
// same values again. A memo shared by both computes each once (issue 17.3). It derives every value
// from the transaction itself — nothing in it comes from the submitter — and is keyed by object
// identity, so it is only for one admission of objects nobody changes meanwhile. With a signature
// pool the domain creates the memo when a submission arrives: the pool's checks and validation
// then share one id and one signature witness per transaction (docs/transactions.md).
import { commitment, nullifier, type Resource } from '../resource/index.js';
import { type HasherName, type ProofQuery, verifyProofs } from '../smt/index.js';
import { txIdAndBodyBytes } from './encoding.js';
import { signaturesWitness } from './signatures.js';
import { commitmentKey, encodeHeight } from './treeKeys.js';
import type { CommitmentProof, Transaction } from './types.js';

/** Proofs per `verifyProofs` call: a group of any size, in buffers of at most ~400 KB. */
export const PROOFS_PER_CALL = 4096;

/** A commitment proof verified with others: for which commitment, and the verdict. */
type ProofVerdict = {
  anchor: Uint8Array;
  proof: CommitmentProof['proof'];
  height: bigint;
  cm: Uint8Array;
  ok: boolean;
};

/**
 * Commitments, nullifiers and ids computed once per object. Each method returns what the plain
 * function (`commitment`, `nullifier`, `txIdAndBodyBytes`) would, and throws what it would throw.
 *
 * @example
 * const memo = new TxHashMemo();
 * const nf = memo.nullifier(c.resource, c.nk); // reads the tree with it
 * validateTransaction(tx, ctx, { hashes: memo }); // validation does not hash it again
 */
export class TxHashMemo {
  private readonly commitments = new Map<Resource, Uint8Array>();
  private readonly nullifiers = new Map<Resource, { nk: Uint8Array; nf: Uint8Array }>();
  private readonly ids = new Map<Transaction, { id: Uint8Array; bodyBytes: number }>();
  private readonly proofs = new Map<CommitmentProof, ProofVerdict>();
  private readonly witnesses = new Map<Transaction, Uint8Array>();

  commitment(resource: Resource): Uint8Array {
    let cm = this.commitments.get(resource);
    if (cm === undefined) {
      cm = commitment(resource);
      this.commitments.set(resource, cm);
    }
    return cm;
  }

  /** The nullifier under `nk` (remembered for that very `nk` object only). */
  nullifier(resource: Resource, nk: Uint8Array): Uint8Array {
    const hit = this.nullifiers.get(resource);
    if (hit !== undefined && hit.nk === nk) return hit.nf;
    const nf = nullifier(resource, nk, this.commitment(resource));
    this.nullifiers.set(resource, { nk, nf });
    return nf;
  }

  /** `txIdAndBodyBytes`: like it, for a transaction whose shape the caller checked first. */
  idAndBodyBytes(tx: Transaction): { id: Uint8Array; bodyBytes: number } {
    let hit = this.ids.get(tx);
    if (hit === undefined) {
      hit = txIdAndBodyBytes(tx);
      this.ids.set(tx, hit);
    }
    return hit;
  }

  /** `signaturesWitness(tx)`, computed once per transaction object. */
  witness(tx: Transaction): Uint8Array {
    let w = this.witnesses.get(tx);
    if (w === undefined) {
      w = signaturesWitness(tx);
      this.witnesses.set(tx, w);
    }
    return w;
  }

  /**
   * Takes over what `other` derived (both memos belong to the same admission: a domain merges
   * the memos its submissions were given into the group it admits together). Entries this memo
   * already holds stay.
   */
  absorb(other: TxHashMemo): void {
    for (const [k, v] of other.commitments) if (!this.commitments.has(k)) this.commitments.set(k, v);
    for (const [k, v] of other.nullifiers) if (!this.nullifiers.has(k)) this.nullifiers.set(k, v);
    for (const [k, v] of other.ids) if (!this.ids.has(k)) this.ids.set(k, v);
    for (const [k, v] of other.witnesses) if (!this.witnesses.has(k)) this.witnesses.set(k, v);
    for (const [k, v] of other.proofs) if (!this.proofs.has(k)) this.proofs.set(k, v);
  }

  /**
   * Verifies the commitment proofs of every consumed resource of `txs` together, with one batched
   * hash call per tree level (`verifyProofs`, `weft` preset), so validation finds each verdict
   * here instead of walking each proof alone. Resources whose commitment or height cannot be
   * encoded are skipped (validation refuses them with their own code); so is any proof no
   * transaction here carries. Call it right before validating, with nothing changing the objects
   * in between: a verdict holds for the proof's bytes as they are now.
   */
  verifyCommitmentProofs(txs: readonly Transaction[]): void {
    const queries: ProofQuery[] = [];
    const verdicts: ProofVerdict[] = [];
    for (const tx of txs) {
      // Anything malformed is left to validation, which refuses it with its own code.
      if (!Array.isArray(tx?.actions)) continue;
      for (const a of tx.actions) {
        if (!Array.isArray(a?.consumed)) continue;
        for (const c of a.consumed) {
          const p = c?.commitmentProof;
          if (p === null || p === undefined || this.proofs.has(p)) continue;
          try {
            const cm = this.commitment(c.resource);
            const v: ProofVerdict = { anchor: p.anchor, proof: p.proof, height: p.height, cm, ok: false };
            queries.push({
              root: p.anchor,
              key: commitmentKey(cm),
              value: encodeHeight(p.height),
              proof: p.proof,
            });
            verdicts.push(v);
            this.proofs.set(p, v);
          } catch {
            // validation reports a malformed resource or height with its own code
          }
        }
      }
    }
    for (let start = 0; start < queries.length; start += PROOFS_PER_CALL) {
      const ok = verifyProofs(queries.slice(start, start + PROOFS_PER_CALL), { hasher: 'weft' });
      for (let i = 0; i < ok.length; i++) verdicts[start + i]!.ok = ok[i]!;
    }
  }

  /**
   * `verifyProof(p.anchor, commitmentKey(cm), encodeHeight(p.height), p.proof, { hasher })` when
   * `verifyCommitmentProofs` checked this very proof for `cm` with that preset; undefined when it
   * did not (then verify it alone).
   */
  commitmentProofVerdict(p: CommitmentProof, cm: Uint8Array, hasher: HasherName): boolean | undefined {
    if (hasher !== 'weft') return undefined;
    const v = this.proofs.get(p);
    if (v === undefined || v.anchor !== p.anchor || v.proof !== p.proof || v.height !== p.height)
      return undefined;
    if (v.cm.length !== cm.length) return undefined;
    for (let i = 0; i < cm.length; i++) if (v.cm[i] !== cm[i]) return undefined;
    return v.ok;
  }
}
