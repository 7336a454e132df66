// Block headers: canonical encoding, hash, t-of-n signing, and the transaction root.
import {
  check,
  concatBytes,
  decodeAll,
  type KeyPair,
  type Reader,
  sha256,
  sha256Into,
  signRecoverable,
  utf8,
  Writer,
} from '../crypto/index.js';
import {
  KEYSET_KEYS_MAX,
  type KeySet,
  meetsThreshold,
  type SignerSignature,
  type VerifiedSignatures,
} from './keyset.js';

export const HEADER_FORMAT = 0x01;
const HEADER_TAG = utf8('weft.header');
/** Bytes of an encoded header: format, domain, height, prevHash, stateRoot, txRoot, timestamp. */
export const HEADER_BYTES = 1 + 32 + 8 + 32 + 32 + 32 + 8;

/** A block header. `timestamp` is milliseconds since the Unix epoch, from the sealing input. */
export type Header = {
  domain: Uint8Array;
  height: bigint;
  prevHash: Uint8Array;
  stateRoot: Uint8Array;
  txRoot: Uint8Array;
  timestamp: bigint;
};

/** A header with the key-set signatures over its hash. */
export type SignedHeader = { header: Header; signatures: SignerSignature[] };

export function writeHeader(w: Writer, h: Header): void {
  w.u8(HEADER_FORMAT)
    .fixed(h.domain, 32)
    .u64(h.height)
    .fixed(h.prevHash, 32)
    .fixed(h.stateRoot, 32)
    .fixed(h.txRoot, 32)
    .u64(h.timestamp);
}

export function readHeader(r: Reader): Header {
  const format = r.u8();
  check(format === HEADER_FORMAT, 'CODEC', `unknown header format ${format}`);
  return {
    domain: r.fixed(32).slice(),
    height: r.u64(),
    prevHash: r.fixed(32).slice(),
    stateRoot: r.fixed(32).slice(),
    txRoot: r.fixed(32).slice(),
    timestamp: r.u64(),
  };
}

export function encodeHeader(h: Header): Uint8Array {
  const w = new Writer(HEADER_BYTES);
  writeHeader(w, h);
  return w.finish();
}

export function decodeHeader(bytes: Uint8Array): Header {
  return decodeAll(bytes, readHeader);
}

/** Bytes of one header signature: r || s || v. */
export const HEADER_SIGNATURE_BYTES = 65;

/** A signed header: the header, then its signatures as u32 count || (u8 signer || 65 bytes) each. */
/** Signer-indexed signatures: u32 count || (u8 signer || 65 bytes) each, at most one per key. */
export function writeSignerSignatures(w: Writer, sigs: SignerSignature[]): void {
  w.list(sigs, KEYSET_KEYS_MAX, (w, s) => {
    w.u8(s.signer).fixed(s.signature, HEADER_SIGNATURE_BYTES);
  });
}

export function readSignerSignatures(r: Reader): SignerSignature[] {
  return r.list(KEYSET_KEYS_MAX, (r) => ({
    signer: r.u8(),
    signature: r.fixed(HEADER_SIGNATURE_BYTES).slice(),
  }));
}

export function writeSignedHeader(w: Writer, sh: SignedHeader): void {
  writeHeader(w, sh.header);
  writeSignerSignatures(w, sh.signatures);
}

export function readSignedHeader(r: Reader): SignedHeader {
  return { header: readHeader(r), signatures: readSignerSignatures(r) };
}

export function encodeSignedHeader(sh: SignedHeader): Uint8Array {
  const w = new Writer(HEADER_BYTES + 4 + sh.signatures.length * (1 + HEADER_SIGNATURE_BYTES));
  writeSignedHeader(w, sh);
  return w.finish();
}

export function decodeSignedHeader(bytes: Uint8Array): SignedHeader {
  return decodeAll(bytes, readSignedHeader);
}

/** headerHash = SHA256("weft.header" || encoding): what the key set signs. */
export function headerHash(h: Header): Uint8Array {
  return sha256(concatBytes(HEADER_TAG, encodeHeader(h)));
}

/**
 * Signatures of `signers` over the header hash, each with its index in `ks`. Signers not in
 * the set are refused.
 */
export function signHeader(h: Header, ks: KeySet, signers: KeyPair[]): SignerSignature[] {
  const digest = headerHash(h);
  const out: SignerSignature[] = [];
  for (const kp of signers) {
    const idx = ks.keys.findIndex((k) => Buffer.compare(k.bytes, kp.publicKey.bytes) === 0);
    check(idx >= 0 && kp.type === 'secp256k1', 'BAD_KEYSET', 'a signer is not in the domain key set');
    out.push({ signer: idx, signature: signRecoverable(kp, digest) });
  }
  return out.sort((a, b) => a.signer - b.signer);
}

/**
 * Whether a signed header carries at least the threshold of valid signatures of `ks`; `verified`:
 * checks made ahead on the worker pool (`meetsThreshold`).
 */
export function verifyHeaderSignatures(sh: SignedHeader, ks: KeySet, verified?: VerifiedSignatures): boolean {
  try {
    return meetsThreshold(ks, headerHash(sh.header), sh.signatures, verified);
  } catch {
    return false;
  }
}

// The transaction root: an RFC 6962 Merkle tree over the block's transaction ids in order
// (leaf = SHA256(0x00 || id), node = SHA256(0x01 || left || right), empty = SHA256("")).
const EMPTY_TX_ROOT = sha256(new Uint8Array(0));

export function txRoot(ids: Uint8Array[]): Uint8Array {
  if (ids.length === 0) return EMPTY_TX_ROOT.slice();
  // Each level's hashes side by side in one buffer, each preimage in one scratch array: no array
  // per node (two thousand per block of 1,000 transactions).
  let count = ids.length;
  let level = new Uint8Array(count * 32);
  const leaf = new Uint8Array(33); // 0x00 || id
  for (let i = 0; i < count; i++) {
    leaf.fill(0, 1);
    leaf.set(ids[i]!, 1);
    sha256Into(leaf, level, i * 32);
  }
  // RFC 6962 splits at the largest power of two below n; pairing left to right and carrying an
  // odd node up unchanged gives the same root.
  const node = new Uint8Array(65); // 0x01 || left || right
  node[0] = 0x01;
  while (count > 1) {
    const half = count >> 1;
    const next = new Uint8Array((count - half) * 32);
    for (let i = 0; i < half; i++) {
      node.set(level.subarray(i * 64, i * 64 + 64), 1);
      sha256Into(node, next, i * 32);
    }
    if (count % 2 === 1) next.set(level.subarray((count - 1) * 32, count * 32), half * 32);
    level = next;
    count -= half;
  }
  return level.slice(0, 32);
}
