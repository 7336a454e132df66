// Header signatures of a chain checked ahead, together, on the signature worker pool — outside
// the pure acceptance rules, which then consult the verdicts (`SyncContext.verifiedSignatures`)
// instead of verifying one signature at a time on the main thread. Nothing here decides
// anything: a verdict only says that a key signed a digest with given bytes, which key must have
// signed is still the acceptance rule's to say (the key set in force at each height), and every
// check the cache does not hold is made again synchronously there.
import type { SignatureCheck, SignatureVerifierPool } from '../crypto/index.js';
import { equalBytes } from '../crypto/index.js';
import {
  decodeKeySet,
  encodeKeySet,
  headerHash,
  KEYSET_TREE_KEY,
  type KeySet,
  VerifiedSignatures,
} from '../domain/index.js';
import type { RootUpdate } from './update.js';

/** Fewest updates in a chain worth a trip to the workers (a lone announcement is checked inline). */
export const PREVERIFY_CHAIN_MIN = 2;
/** Fewest signature checks sent to one worker: a chain is spread over the workers in parts no smaller. */
export const PREVERIFY_PART_CHECKS_MIN = 16;

/**
 * Checks the header signatures of `updates` (an ascending chain from one sender) on `pool`,
 * under `keySet` — the set the receiving view holds for the first header — and, after an update
 * that carries or writes another key set, under that one for the headers after it, as acceptance
 * will: the keys are only candidates (a wrong one just misses). Resolves to the verdicts that
 * held; to an empty cache when there is no pool, the pool is closed or a worker fails (acceptance
 * then checks every signature itself). Never rejects.
 *
 * So that junk still costs little (docs/sync.md, "Acceptance rules"), only what acceptance could
 * reach is sent: nothing unless the first header continues one of `links` (the hashes of the
 * heads the chain may follow: the view's, and one accepted but still being recorded), and no
 * header after the first that does not continue the one before it or carries more signatures
 * than the set has keys, or a signer twice.
 *
 * @example
 * const verified = await preverifyHeaderChain(view.keySet, chain, pool, [view.headHash]);
 * decideAcceptance({ view, updates: chain, mode, ctx: { verifiedSignatures: verified } });
 */
export async function preverifyHeaderChain(
  keySet: KeySet | null | undefined,
  updates: readonly RootUpdate[],
  pool: SignatureVerifierPool | undefined,
  links: readonly Uint8Array[],
): Promise<VerifiedSignatures> {
  const verified = new VerifiedSignatures();
  if (pool === undefined || updates.length < PREVERIFY_CHAIN_MIN) return verified;
  const checks: SignatureCheck[] = [];
  let candidate = keySet ?? null;
  let prev: { height: bigint; hash: Uint8Array } | null = null;
  for (const update of updates) {
    if (candidate === null) break;
    try {
      const header = update.signed.header;
      const continues =
        prev === null
          ? links.some((l) => equalBytes(l, header.prevHash))
          : header.height === prev.height + 1n && equalBytes(header.prevHash, prev.hash);
      const signers = update.signed.signatures.map((s) => s.signer);
      if (!continues || signers.length > candidate.keys.length || new Set(signers).size !== signers.length)
        break; // acceptance refuses here without these checks
      const digest = headerHash(header);
      for (const s of update.signed.signatures) {
        const key = Number.isInteger(s.signer) ? candidate.keys[s.signer] : undefined;
        if (key === undefined || !(s.signature instanceof Uint8Array) || s.signature.length !== 65) continue;
        checks.push({
          publicKey: key,
          message: digest,
          signature: { type: 'secp256k1', bytes: s.signature.subarray(0, 64) },
        });
      }
      prev = { height: header.height, hash: digest };
    } catch {
      break; // a malformed header: acceptance refuses it with its own code
    }
    candidate = nextCandidate(update) ?? candidate;
  }
  if (checks.length === 0) return verified;
  // One part per worker: a chain's checks are fewer than a pool chunk, which would go to one.
  const parts = Math.max(1, Math.min(pool.threads, Math.ceil(checks.length / PREVERIFY_PART_CHECKS_MIN)));
  const size = Math.ceil(checks.length / parts);
  let results: boolean[];
  try {
    const answers = await Promise.all(
      [...Array(parts)].map((_, i) => pool.verify(checks.slice(i * size, (i + 1) * size))),
    );
    results = answers.flat();
  } catch {
    return verified; // closed or failed pool: every check is made inline
  }
  for (const [i, ok] of results.entries()) {
    if (!ok) continue;
    const c = checks[i]!;
    verified.add(c.publicKey, c.message, c.signature.bytes);
  }
  return verified;
}

/** The key set an update says signs the headers after it (its key-set proof, or the set it writes), if any. */
function nextCandidate(update: RootUpdate): KeySet | undefined {
  try {
    let written: KeySet | undefined;
    for (const w of update.writes ?? [])
      if (w.value && equalBytes(w.key, KEYSET_TREE_KEY)) written = decodeKeySet(w.value);
    if (written !== undefined) return written;
    const proved = update.keySetProof?.keySet;
    if (proved !== undefined) {
      encodeKeySet(proved); // well formed, or not a candidate
      return proved;
    }
  } catch {
    // A malformed key set is acceptance's to refuse.
  }
  return undefined;
}
