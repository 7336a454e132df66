// secp256k1 ECDSA verification through libsecp256k1 (bitcoin-core's library, as the `secp256k1`
// package ships it prebuilt): about 6x faster here than OpenSSL's code for this curve (39 vs
// 233 µs a check, docs/benchmarks.md), which is what a node catching up spends most of its time
// on. Only verification, and only of what `isWellFormedSignature` already admitted; where the
// binding does not load (a platform without a prebuilt binary) node:crypto verifies, as before.
// Never the package's pure-JS fallback: that one is slower than node:crypto.
import { createRequire } from 'node:module';

/** The one call used: does `publicKey` (33-byte compressed) sign `digest` with compact r || s? */
export type NativeSecp256k1 = {
  ecdsaVerify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
};

function load(): { binding: NativeSecp256k1; path: string } | null {
  if (process.env.WEFT_NATIVE_SECP256K1 === '0') return null;
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve('secp256k1/bindings');
    const binding = require(path) as NativeSecp256k1;
    return typeof binding?.ecdsaVerify === 'function' ? { binding, path } : null;
  } catch {
    return null;
  }
}

const loaded = load();

/** The binding, or null when it did not load (or `WEFT_NATIVE_SECP256K1=0` turned it off). */
export const nativeSecp256k1: NativeSecp256k1 | null = loaded?.binding ?? null;

/** The binding's module path, for worker threads to load the same one; null without it. */
export const NATIVE_SECP256K1_PATH: string | null = loaded?.path ?? null;

/**
 * `nativeSecp256k1.ecdsaVerify` over sha256(message) — the digest node:crypto's
 * `verify('sha256', message, …)` checks — for a compressed key; null when the binding is absent
 * or the key is not 33 bytes starting 02 or 03 (the caller then asks node:crypto). False, never
 * a throw, for a key that is not a curve point or a signature the library cannot parse.
 */
export function nativeVerifySecp256k1(
  publicKey: Uint8Array,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean | null {
  if (nativeSecp256k1 === null) return null;
  if (publicKey.length !== 33 || (publicKey[0] !== 0x02 && publicKey[0] !== 0x03)) return null;
  try {
    return nativeSecp256k1.ecdsaVerify(signature, digest, publicKey);
  } catch {
    return false;
  }
}
