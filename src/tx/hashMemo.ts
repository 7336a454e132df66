// The hashes one admission needs more than once: a domain reads the tree for a transaction's
// nullifiers and new commitments before it validates the transaction, and validation derives the
// same values again. A memo shared by both computes each once (issue 17.3). It derives every value
// from the transaction itself — nothing in it comes from the submitter — and is keyed by object
// identity, so it is only for one admission of objects nobody changes meanwhile.
import { commitment, nullifier, type Resource } from '../resource/index.js';
import { txIdAndBodyBytes } from './encoding.js';
import type { Transaction } from './types.js';

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
}
