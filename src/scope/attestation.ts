// Prover attestations: a prover's signature over (domain, height, state root) after it
// re-executed a block, and the evidence that convicts a prover who signed a wrong root.
import {
  assertBytes,
  concatBytes,
  equalBytes,
  type KeyPair,
  type PublicKey,
  publicKeyOf,
  Reader,
  readPublicKey,
  readSignature,
  type Signature,
  sha256,
  sign,
  utf8,
  verifySignature,
  WeftError,
  Writer,
  writePublicKey,
  writeSignature,
} from '../crypto/index.js';
import { U64_MAX } from './limits.js';

export const ATTESTATION_FORMAT = 1;
/** Bytes of an encoded attestation: format 1 + domain 32 + height 8 + stateRoot 32. */
export const ATTESTATION_BYTES = 73;
const ATTESTATION_TAG = utf8('weft.attestation');
const EVIDENCE_TAG = utf8('weft.prover-evidence');

/** What a prover claims: block `height` of `domain` leads to `stateRoot`. */
export type Attestation = { domain: Uint8Array; height: bigint; stateRoot: Uint8Array };

/** An attestation signed by a prover key over attestationHash. */
export type SignedAttestation = { attestation: Attestation; prover: PublicKey; signature: Signature };

/** `u8 format (1) || domain 32 || height u64 || stateRoot 32`. */
export function encodeAttestation(a: Attestation): Uint8Array {
  assertBytes(a?.domain, 32, 'attestation.domain');
  assertBytes(a.stateRoot, 32, 'attestation.stateRoot');
  if (typeof a.height !== 'bigint' || a.height < 1n || a.height > U64_MAX) {
    throw new WeftError('BAD_INPUT', 'an attestation names a u64 height of at least 1');
  }
  return new Writer(ATTESTATION_BYTES)
    .u8(ATTESTATION_FORMAT)
    .fixed(a.domain, 32)
    .u64(a.height)
    .fixed(a.stateRoot, 32)
    .finish();
}

/** SHA256("weft.attestation" || encodeAttestation(a)): what the prover signs. */
export function attestationHash(a: Attestation): Uint8Array {
  return sha256(concatBytes(ATTESTATION_TAG, encodeAttestation(a)));
}

export function signAttestation(keyPair: KeyPair, attestation: Attestation): SignedAttestation {
  return {
    attestation,
    prover: publicKeyOf(keyPair.type, keyPair.secretKey),
    signature: sign(keyPair, attestationHash(attestation)),
  };
}

/** True when the signature is the prover's over this attestation; never throws on bad input. */
export function verifyAttestation(s: SignedAttestation): boolean {
  try {
    return verifySignature(s.prover, attestationHash(s.attestation), s.signature);
  } catch {
    return false;
  }
}

/** `attestation (73) || public key (tag || key) || signature (tag || 64)`: transport and storage. */
export function encodeSignedAttestation(s: SignedAttestation): Uint8Array {
  const w = new Writer(180).fixed(encodeAttestation(s.attestation), ATTESTATION_BYTES);
  writePublicKey(w, s.prover);
  writeSignature(w, s.signature);
  return w.finish();
}

export function decodeSignedAttestation(bytes: Uint8Array): SignedAttestation {
  const r = new Reader(bytes);
  const s = readSignedAttestation(r);
  r.end();
  return s;
}

export function readSignedAttestation(r: Reader): SignedAttestation {
  const format = r.u8();
  if (format !== ATTESTATION_FORMAT) throw new WeftError('CODEC', `unknown attestation format ${format}`);
  const domain = r.fixed(32).slice();
  const height = r.u64();
  const stateRoot = r.fixed(32).slice();
  if (height === 0n) throw new WeftError('CODEC', 'an attestation names a height of at least 1');
  return {
    attestation: { domain, height, stateRoot },
    prover: readPublicKey(r),
    signature: readSignature(r),
  };
}

/**
 * Evidence against a prover: two attestations of one height with different roots (anyone can
 * check it), or an attestation whose root differs from the root the block re-executes to (anyone
 * holding the block can check it by re-executing).
 */
export type ProverEvidence =
  | { kind: 'conflict'; first: SignedAttestation; second: SignedAttestation }
  | { kind: 'reexecution'; attestation: SignedAttestation; recomputedRoot: Uint8Array };

/** Whether `e` convicts its prover on its own (conflict) or given the re-executed root it names. */
export function verifyProverEvidence(e: ProverEvidence): boolean {
  if (e.kind === 'conflict') {
    const a = e.first;
    const b = e.second;
    return (
      verifyAttestation(a) &&
      verifyAttestation(b) &&
      a.prover.type === b.prover.type &&
      equalBytes(a.prover.bytes, b.prover.bytes) &&
      equalBytes(a.attestation.domain, b.attestation.domain) &&
      a.attestation.height === b.attestation.height &&
      !equalBytes(a.attestation.stateRoot, b.attestation.stateRoot)
    );
  }
  return (
    verifyAttestation(e.attestation) &&
    e.recomputedRoot instanceof Uint8Array &&
    e.recomputedRoot.length === 32 &&
    !equalBytes(e.attestation.attestation.stateRoot, e.recomputedRoot)
  );
}

/** The convicted prover's key. */
export function evidenceProver(e: ProverEvidence): PublicKey {
  return e.kind === 'conflict' ? e.first.prover : e.attestation.prover;
}

/** SHA256("weft.prover-evidence" || encodeProverEvidence(e)): one id per piece of evidence. */
export function proverEvidenceHash(e: ProverEvidence): Uint8Array {
  return sha256(concatBytes(EVIDENCE_TAG, encodeProverEvidence(e)));
}

/** Most bytes of one encoded signed attestation (secp256k1 key: 73 + 34 + 65). */
export const SIGNED_ATTESTATION_BYTES_MAX = ATTESTATION_BYTES + 34 + 65;

/**
 * `u8 kind (1 conflict, 2 reexecution) || bytes first || bytes second` or
 * `u8 kind || bytes attestation || recomputedRoot 32`, each attestation encodeSignedAttestation.
 */
export function encodeProverEvidence(e: ProverEvidence): Uint8Array {
  const w = new Writer(400);
  if (e.kind === 'conflict') {
    w.u8(1).bytes(encodeSignedAttestation(e.first), SIGNED_ATTESTATION_BYTES_MAX);
    w.bytes(encodeSignedAttestation(e.second), SIGNED_ATTESTATION_BYTES_MAX);
  } else {
    w.u8(2)
      .bytes(encodeSignedAttestation(e.attestation), SIGNED_ATTESTATION_BYTES_MAX)
      .fixed(e.recomputedRoot, 32);
  }
  return w.finish();
}

export function decodeProverEvidence(bytes: Uint8Array): ProverEvidence {
  const r = new Reader(bytes);
  const kind = r.u8();
  let e: ProverEvidence;
  if (kind === 1) {
    const first = decodeSignedAttestation(r.bytes(SIGNED_ATTESTATION_BYTES_MAX));
    e = { kind: 'conflict', first, second: decodeSignedAttestation(r.bytes(SIGNED_ATTESTATION_BYTES_MAX)) };
  } else if (kind === 2) {
    const attestation = decodeSignedAttestation(r.bytes(SIGNED_ATTESTATION_BYTES_MAX));
    e = { kind: 'reexecution', attestation, recomputedRoot: r.fixed(32).slice() };
  } else {
    throw new WeftError('CODEC', `unknown prover evidence kind ${kind}`);
  }
  r.end();
  return e;
}
