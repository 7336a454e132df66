// Block facts (docs/sync.md, "Facts pushed with a block"): when a domain D seals a block it sends
// each peer S that follows it the facts of that block a transfer driver at S would otherwise read
// over D's API — for each claim in the block anchored on one of S's roots, the claim's id and its
// nullifier's proof of presence; for each refusal the block records of such a claim, the refusal
// record's proof. All proofs are under the block's own state root. S keeps a fact only after
// checking every proof against the state root of D's header at that height that S's own sync
// accepted (same header hash): the message is the prover's word until then, and never more.
import { check, decodeAll, equalBytes, hexKey, type Reader, WeftError, Writer } from '../crypto/index.js';
import type { Block, Domain, StateProof } from '../domain/index.js';
import { STOCK_PAYLOAD_BODY_BYTES_MAX } from '../net/index.js';
import { nullifier } from '../resource/index.js';
import { decodeProof, encodeProof, type Proof, verifyProof } from '../smt/index.js';
import {
  decodeHeight,
  decodeRefusal,
  nullifierKey,
  refusalKey,
  type Transaction,
  txId,
} from '../tx/index.js';

/** Most facts (claims and refusals together) one message carries; a block's others are read over HTTP. */
export const FACTS_PER_MESSAGE_MAX = 512;
/**
 * Largest facts message body, bytes; facts past it are left out (read over HTTP). It fits a NATS
 * server's default max_payload with the transport's headers (STOCK_PAYLOAD_BODY_BYTES_MAX).
 */
export const FACTS_MESSAGE_BYTES_MAX = STOCK_PAYLOAD_BODY_BYTES_MAX;
/** Largest encoded proof in a fact, bytes (a 256-level proof is ~8.3 KiB). */
export const FACT_PROOF_BYTES_MAX = 16 * 1024;
/** Largest value in a fact, bytes (a height is 8, a refusal record 10). */
export const FACT_VALUE_BYTES_MAX = 64;
/** Facts messages a receiver holds per sender while the header they name is not yet accepted. */
export const FACTS_PENDING_MAX = 64;
export const FACTS_FORMAT = 0x01;

/**
 * One claim of the block: its id, its place in the block (the sender's word, as its status read
 * would be) and the nullifier it spends, with the proof of presence (checked).
 */
export type ClaimFact = {
  txId: Uint8Array;
  batch: number;
  index: number;
  nf: Uint8Array;
  value: Uint8Array;
  proof: Proof;
};
/** One refusal the block records (`0x06 || nf`), with the record and its proof of presence. */
export type RefusalFact = { nf: Uint8Array; value: Uint8Array; proof: Proof };

/** The facts of D's block at `height` (header hash `headerHash`) that one follower needs. */
export type BlockFacts = {
  domainId: Uint8Array;
  height: bigint;
  headerHash: Uint8Array;
  claims: ClaimFact[];
  refusals: RefusalFact[];
};

export function encodeBlockFacts(f: BlockFacts): Uint8Array {
  check(
    f.claims.length + f.refusals.length <= FACTS_PER_MESSAGE_MAX,
    'BAD_INPUT',
    `at most ${FACTS_PER_MESSAGE_MAX} facts a message`,
  );
  return new Writer(128 + 800 * (f.claims.length + f.refusals.length))
    .u8(FACTS_FORMAT)
    .fixed(f.domainId, 32)
    .u64(f.height)
    .fixed(f.headerHash, 32)
    .list(f.claims, FACTS_PER_MESSAGE_MAX, (w, c) =>
      w
        .fixed(c.txId, 32)
        .u32(c.batch)
        .u32(c.index)
        .fixed(c.nf, 32)
        .bytes(c.value, FACT_VALUE_BYTES_MAX)
        .bytes(encodeProof(c.proof), FACT_PROOF_BYTES_MAX),
    )
    .list(f.refusals, FACTS_PER_MESSAGE_MAX, (w, r) =>
      w
        .fixed(r.nf, 32)
        .bytes(r.value, FACT_VALUE_BYTES_MAX)
        .bytes(encodeProof(r.proof), FACT_PROOF_BYTES_MAX),
    )
    .finish();
}

/** Decodes a facts message body; CODEC on anything malformed or past the limits. */
export function decodeBlockFacts(bytes: Uint8Array): BlockFacts {
  check(
    bytes.length <= FACTS_MESSAGE_BYTES_MAX,
    'CODEC',
    `a facts message is at most ${FACTS_MESSAGE_BYTES_MAX} bytes`,
  );
  return decodeAll(bytes, (r: Reader) => {
    const format = r.u8();
    check(format === FACTS_FORMAT, 'CODEC', `unknown facts format ${format}`);
    const domainId = r.fixed(32).slice();
    const height = r.u64();
    const headerHash = r.fixed(32).slice();
    const claims = r.list(FACTS_PER_MESSAGE_MAX, (r) => ({
      txId: r.fixed(32).slice(),
      batch: r.u32(),
      index: r.u32(),
      nf: r.fixed(32).slice(),
      value: r.bytes(FACT_VALUE_BYTES_MAX).slice(),
      proof: decodeProof(r.bytes(FACT_PROOF_BYTES_MAX)),
    }));
    const refusals = r.list(FACTS_PER_MESSAGE_MAX, (r) => ({
      nf: r.fixed(32).slice(),
      value: r.bytes(FACT_VALUE_BYTES_MAX).slice(),
      proof: decodeProof(r.bytes(FACT_PROOF_BYTES_MAX)),
    }));
    check(
      claims.length + refusals.length <= FACTS_PER_MESSAGE_MAX,
      'CODEC',
      `at most ${FACTS_PER_MESSAGE_MAX} facts a message`,
    );
    return { domainId, height, headerHash, claims, refusals };
  });
}

/** A transaction of a block with the inputs of it that anchor on some domain's root. */
type AnchoredTx = {
  tx: Transaction;
  /** each input with a commitment proof (refunds aside): its anchor (hex) and its nullifier */
  spends: { anchor: string; nf: Uint8Array }[];
  /** the transaction's id, computed once a follower needs it */
  id?: Uint8Array;
};

/** A block's transactions and refused claims with anchored inputs: what every follower's facts are cut from. */
export type BlockSpends = { included: AnchoredTx[]; refused: AnchoredTx[] };

function anchoredTxs(txs: readonly Transaction[]): AnchoredTx[] {
  const out: AnchoredTx[] = [];
  for (const tx of txs) {
    const spends: AnchoredTx['spends'] = [];
    for (const a of tx.actions)
      for (const c of a.consumed) {
        const p = c.commitmentProof;
        if (p === null || c.isRefund) continue;
        spends.push({ anchor: hexKey(p.anchor), nf: nullifier(c.resource, c.nk) });
      }
    if (spends.length > 0) out.push({ tx, spends });
  }
  return out;
}

/**
 * The anchored inputs of `block`'s transactions and refused claims, with their nullifiers: computed
 * once per block, then cut per follower by `blockFactsFor`.
 */
export function blockSpends(block: Block): BlockSpends {
  return { included: anchoredTxs(block.txs), refused: anchoredTxs(block.refused ?? []) };
}

/**
 * The facts of `block` (just sealed by `domain`) for `follower`: the claims and refusals whose
 * inputs anchor on a root of the follower that `domain`'s view holds, each proven under the
 * block's state root; null when there are none. At most FACTS_PER_MESSAGE_MAX facts and
 * FACTS_MESSAGE_BYTES_MAX bytes (the rest are left to the follower's reads). `spends`: the
 * block's `blockSpends`, when the caller cuts facts for several followers.
 */
export function blockFactsFor(
  domain: Domain,
  block: Block,
  headerHash: Uint8Array,
  follower: Uint8Array,
  spends: BlockSpends = blockSpends(block),
): BlockFacts | null {
  const roots = domain.remoteView(follower)?.roots;
  if (roots === undefined || roots.size === 0) return null;
  const height = block.header.height;
  const claims: ClaimFact[] = [];
  const refusals: RefusalFact[] = [];
  let bytes = 128;
  const room = (p: StateProof) => {
    if (claims.length + refusals.length >= FACTS_PER_MESSAGE_MAX) return false;
    const size = 32 + 8 + 32 + 8 + (p.value?.length ?? 0) + 8 + 64 + 32 * p.proof.siblings.length;
    if (bytes + size > FACTS_MESSAGE_BYTES_MAX) return false;
    bytes += size;
    return true;
  };
  for (const t of spends.included) {
    // Its place in the block, as the domain's status says; none known (null): no fact of it is
    // pushed (the follower reads its status instead), never a made-up place.
    let at: { batch: number; index: number } | null | undefined;
    for (const { anchor, nf } of t.spends) {
      if (!roots.has(anchor)) continue;
      if (at === undefined) {
        t.id ??= txId(t.tx);
        const st = domain.status(t.id);
        at = st?.status === 'included' && st.height === height ? st : null;
      }
      if (at === null) break;
      const p = domain.proveNullifier(nf, height);
      if (p.value === null || !room(p)) continue;
      claims.push({ txId: t.id!, batch: at.batch, index: at.index, nf, value: p.value, proof: p.proof });
    }
  }
  for (const t of spends.refused)
    for (const { anchor, nf } of t.spends) {
      if (!roots.has(anchor)) continue;
      const p = domain.proveRefusal(nf, height);
      if (p.value === null || !room(p)) continue;
      refusals.push({ nf, value: p.value, proof: p.proof });
    }
  if (claims.length === 0 && refusals.length === 0) return null;
  return { domainId: domain.id, height, headerHash, claims, refusals };
}

/**
 * Checks every fact of `f` against the header of its sender at `f.height` that the receiver
 * accepted (`accepted`: its hash and state root). BAD_PROOF when the header is another one, when
 * a proof does not verify under its state root, or when a value is not what the block would write
 * (a nullifier's height, a refusal record's height, must be the block's): nothing of the message
 * is kept then.
 */
export function verifyBlockFacts(
  f: BlockFacts,
  accepted: { headerHash: Uint8Array; stateRoot: Uint8Array },
): void {
  if (!equalBytes(f.headerHash, accepted.headerHash))
    throw new WeftError('BAD_PROOF', `facts of height ${f.height} name a header this domain did not accept`);
  for (const c of f.claims) {
    const ok =
      c.value.length === 8 &&
      decodeHeight(c.value) === f.height &&
      verifyProof(accepted.stateRoot, nullifierKey(c.nf), c.value, c.proof);
    if (!ok)
      throw new WeftError(
        'BAD_PROOF',
        `a claim fact at height ${f.height} does not prove its nullifier spent there`,
      );
  }
  for (const r of f.refusals) {
    let height: bigint | null = null;
    try {
      height = decodeRefusal(r.value).height;
    } catch {
      height = null;
    }
    if (height !== f.height || !verifyProof(accepted.stateRoot, refusalKey(r.nf), r.value, r.proof))
      throw new WeftError(
        'BAD_PROOF',
        `a refusal fact at height ${f.height} does not prove its record there`,
      );
  }
}
