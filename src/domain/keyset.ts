// The key set that signs a domain's blocks: t-of-n secp256k1 keys (so an EVM contract can check
// signatures with ecrecover). Changes are approved by the current set and recorded in the tree.
import {
  check,
  decodeAll,
  encodePublicKey,
  equalPublicKeys,
  type PublicKey,
  readPublicKey,
  sha256,
  utf8,
  verifySignature,
  Writer,
  writePublicKey,
} from '../crypto/index.js';
import { isPlanted } from '../crypto/plantedBugs.js';

/** Most keys in one set. */
export const KEYSET_KEYS_MAX = 64;
/** Tree key of the current key set: 0x05 || "keyset" (docs/domain.md). */
export const KEYSET_TREE_KEY = new Uint8Array([0x05, ...utf8('keyset')]);
const KEYSET_CHANGE_TAG = utf8('weft.keyset');

/** `threshold` of `keys` must sign. Keys are secp256k1, distinct, sorted by encoding. */
export type KeySet = { threshold: number; keys: PublicKey[] };

/** One signer's signature: its index in the key set and 65 bytes r || s || v (v = 27 or 28). */
export type SignerSignature = { signer: number; signature: Uint8Array };

function compareKeys(a: PublicKey, b: PublicKey): number {
  return Buffer.compare(encodePublicKey(a), encodePublicKey(b));
}

/** Checks a key set: 1 <= threshold <= n <= 64, secp256k1 only, no duplicates. */
export function assertKeySet(ks: KeySet): void {
  check(ks && Array.isArray(ks.keys), 'BAD_KEYSET', 'a key set needs keys');
  check(
    ks.keys.length >= 1 && ks.keys.length <= KEYSET_KEYS_MAX,
    'BAD_KEYSET',
    `a key set has 1..${KEYSET_KEYS_MAX} keys`,
  );
  check(
    Number.isInteger(ks.threshold) && ks.threshold >= 1 && ks.threshold <= ks.keys.length,
    'BAD_KEYSET',
    `threshold must be 1..${ks.keys.length}, got ${ks.threshold}`,
  );
  for (const [i, k] of ks.keys.entries()) {
    check(
      k.type === 'secp256k1',
      'BAD_KEYSET',
      `key ${i} must be secp256k1 (blocks are checked with ecrecover)`,
    );
    if (i > 0) check(compareKeys(ks.keys[i - 1]!, k) < 0, 'BAD_KEYSET', 'keys must be distinct and sorted');
  }
}

/** A key set with its keys sorted, checked. */
export function makeKeySet(threshold: number, keys: PublicKey[]): KeySet {
  const ks = { threshold, keys: [...keys].sort(compareKeys) };
  assertKeySet(ks);
  return ks;
}

export function encodeKeySet(ks: KeySet): Uint8Array {
  assertKeySet(ks);
  return new Writer(16 + ks.keys.length * 34)
    .u8(ks.threshold)
    .list(ks.keys, KEYSET_KEYS_MAX, writePublicKey)
    .finish();
}

export function decodeKeySet(bytes: Uint8Array): KeySet {
  const ks = decodeAll(bytes, (r) => ({ threshold: r.u8(), keys: r.list(KEYSET_KEYS_MAX, readPublicKey) }));
  assertKeySet(ks);
  return ks;
}

/** What the current set signs to approve `next` taking effect after block `atHeight`. */
export function keySetChangeDigest(domainId: Uint8Array, atHeight: bigint, next: KeySet): Uint8Array {
  const encoded = encodeKeySet(next);
  const w = new Writer(KEYSET_CHANGE_TAG.length + 40 + encoded.length);
  w.fixed(KEYSET_CHANGE_TAG, KEYSET_CHANGE_TAG.length)
    .fixed(domainId, 32)
    .u64(atHeight)
    .fixed(encoded, encoded.length);
  return sha256(w.finish());
}

/**
 * Signature checks already made elsewhere (on the signature worker pool), each one a fact that
 * does not depend on whom it came from: public key `key` signed `digest` with exactly these 64
 * signature bytes (r || s). Only verdicts that held are kept. `meetsThreshold` consults it and
 * checks everything it does not hold itself, so a missing entry costs time, never correctness;
 * which key must have signed is still decided by the caller's key set, never by the cache.
 */
export class VerifiedSignatures {
  private readonly held = new Set<string>();

  private static id(key: PublicKey, digest: Uint8Array, signature: Uint8Array): string {
    return `${key.type}:${Buffer.from(key.bytes).toString('base64')}:${Buffer.from(digest).toString('base64')}:${Buffer.from(signature).toString('base64')}`;
  }

  /** Records that `key` signed `digest` with `signature` (64 bytes); call only with a verdict that held. */
  add(key: PublicKey, digest: Uint8Array, signature: Uint8Array): void {
    this.held.add(VerifiedSignatures.id(key, digest, signature));
  }

  has(key: PublicKey, digest: Uint8Array, signature: Uint8Array): boolean {
    return this.held.has(VerifiedSignatures.id(key, digest, signature));
  }

  get size(): number {
    return this.held.size;
  }
}

/**
 * Whether `signatures` carry at least `threshold` valid signatures over `digest` by distinct
 * keys of `ks`. Pure; verification goes through node:crypto, except for the checks `verified`
 * already holds (made ahead on the worker pool: `preverifyHeaderChain`).
 */
export function meetsThreshold(
  ks: KeySet,
  digest: Uint8Array,
  signatures: SignerSignature[],
  verified?: VerifiedSignatures,
): boolean {
  if (!Array.isArray(signatures) || signatures.length > ks.keys.length) return false;
  const seen = new Set<number>();
  let valid = 0;
  for (const s of signatures) {
    if (!s || !Number.isInteger(s.signer) || s.signer < 0 || s.signer >= ks.keys.length) return false;
    if (seen.has(s.signer)) return false;
    seen.add(s.signer);
    if (!(s.signature instanceof Uint8Array) || s.signature.length !== 65) return false;
    const v = s.signature[64];
    if (v !== 27 && v !== 28) return false;
    const key = ks.keys[s.signer]!;
    const rs = s.signature.subarray(0, 64);
    const ok =
      verified?.has(key, digest, rs) || verifySignature(key, digest, { type: 'secp256k1', bytes: rs });
    if (ok) valid++;
  }
  return valid >= (isPlanted('headerThreshold') ? Math.min(1, ks.threshold) : ks.threshold);
}

export function keySetsEqual(a: KeySet, b: KeySet): boolean {
  return (
    a.threshold === b.threshold &&
    a.keys.length === b.keys.length &&
    a.keys.every((k, i) => equalPublicKeys(k, b.keys[i]!))
  );
}
