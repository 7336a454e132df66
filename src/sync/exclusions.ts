// Claims and refusals of one transfer exclude each other (docs/transfers.md, "Refusals"): a
// destination never both consumes r' and records its refusal. Within one block the transition
// witness shows it; across blocks a full-mode receiver needs what the old tree held on keys the
// block does not write, so the sender attaches proofs of absence under the previous header's
// state root: `0x02 || nf` for each refused claim (not consumed before), `0x06 || nf` for each
// claimed resource (not refused before). Without them a domain could record the refusal of a
// claim it already took (or take a claim it already refused) and the source would refund it too.
import { hexKey } from '../crypto/index.js';
import type { Block } from '../domain/index.js';
import { nullifier } from '../resource/index.js';
import { type Proof, verifyProof } from '../smt/index.js';
import { type Consumed, nullifierKey, refusalKey, type Transaction } from '../tx/index.js';

/** A proof that `key` was absent from the sender's tree before the block. */
export type Exclusion = { key: Uint8Array; proof: Proof };

/** Most exclusion proofs one root update may carry. */
export const ROOT_UPDATE_EXCLUSIONS_MAX = 65_536;

/**
 * Whether a consumed entry is proven under a root (a claim, or a spend anchored on the sender's
 * own root): the sender proves it unrefused. The verifier asks for the proof of the claims only
 * (`isClaim`); the sender cannot tell its own roots as the verifier's window does, so it proves
 * every proven entry (a local spend in the network form carries no proof and needs none).
 */
function isProvenEntry(c: Consumed): boolean {
  return c.refund === undefined && c.commitmentProof !== null;
}

/**
 * A claim, as a verifier tells it: consumed as no refund, proven under a root that is not one of
 * the sender's own (`isSenderRoot`), or through an anchor path.
 */
export function isClaim(c: Consumed, isSenderRoot: (root: Uint8Array) => boolean): boolean {
  const p = c.commitmentProof;
  return c.refund === undefined && p !== null && (p.path !== undefined || !isSenderRoot(p.anchor));
}

/**
 * The exclusion proofs of a block, from the domain's tree at the previous height (a domain keeps
 * every version): what `rootUpdateFromBlock` attaches for full-mode receivers.
 *
 * @example
 * rootUpdateFromBlock(block, signed, { withTxs: true, exclusions: exclusionsOf(domain, block) });
 */
export function exclusionsOf(
  domain: {
    proveNullifier(nf: Uint8Array, height?: bigint): { proof: Proof };
    proveRefusal(nf: Uint8Array, height?: bigint): { proof: Proof };
  },
  block: Pick<Block, 'header' | 'txs' | 'refused'>,
): Exclusion[] {
  const prev = block.header.height - 1n;
  if (prev < 0n) return [];
  const out: Exclusion[] = [];
  const seen = new Set<string>();
  const add = (key: Uint8Array, proof: () => Proof) => {
    const k = hexKey(key);
    if (seen.has(k) || out.length >= ROOT_UPDATE_EXCLUSIONS_MAX) return;
    seen.add(k);
    out.push({ key, proof: proof() });
  };
  for (const tx of block.refused ?? []) {
    const c = tx.actions[0]?.consumed[0];
    if (c === undefined) continue;
    const nf = nullifier(c.resource, c.nk);
    add(nullifierKey(nf), () => domain.proveNullifier(nf, prev).proof);
  }
  for (const tx of block.txs) {
    for (const c of consumedOf(tx)) {
      if (!isProvenEntry(c)) continue;
      const nf = nullifier(c.resource, c.nk);
      add(refusalKey(nf), () => domain.proveRefusal(nf, prev).proof);
    }
  }
  return out;
}

function consumedOf(tx: Transaction): Consumed[] {
  return tx.actions.flatMap((a) => a.consumed);
}

/**
 * The keys (hex) the exclusion proofs show absent under `prevRoot`, or null when one does not
 * verify (a relayer may have broken it: the update is refused, not the block's signers blamed).
 */
export function openExclusions(
  prevRoot: Uint8Array,
  exclusions: readonly Exclusion[] | undefined,
): Set<string> | null {
  const absent = new Set<string>();
  for (const e of exclusions ?? []) {
    if (!(e.key instanceof Uint8Array) || !verifyProof(prevRoot, e.key, null, e.proof)) return null;
    absent.add(hexKey(e.key));
  }
  return absent;
}
