// Equivocation: two headers of one domain for one height, both validly signed by its key set.
// The pair is self-contained evidence anyone holding the key set can check; a view that sees it
// freezes (docs/sync.md, "Equivocation").
import {
  check,
  compareBytes,
  concatBytes,
  decodeAll,
  equalBytes,
  sha256,
  utf8,
  WeftError,
  Writer,
} from '../crypto/index.js';
import {
  type EquivocationEvidence,
  headerHash,
  type KeySet,
  readEquivocationEvidence,
  type SignedHeader,
  verifyHeaderSignatures,
  writeEquivocationEvidence,
} from '../domain/index.js';

// The evidence type and its byte layout live with the domain state that persists a frozen
// view's evidence; re-exported here with the functions that build and check it.
export type { EquivocationEvidence } from '../domain/index.js';
export { EVIDENCE_FORMAT, readEquivocationEvidence, writeEquivocationEvidence } from '../domain/index.js';

/** Evidence from two signed headers, in canonical order (smaller header hash first). */
export function makeEquivocationEvidence(x: SignedHeader, y: SignedHeader): EquivocationEvidence {
  const order = compareBytes(headerHash(x.header), headerHash(y.header));
  check(order !== 0, 'BAD_INPUT', 'equivocation needs two different headers');
  const [a, b] = order < 0 ? [x, y] : [y, x];
  return { domainId: a.header.domain.slice(), a, b };
}

/**
 * Whether `evidence` proves equivocation under `keySet`: both headers name `evidence.domainId`
 * and the same height, their hashes differ, and each carries a threshold of valid signatures.
 *
 * @example
 * if (verifyEquivocation(evidence, view.keySet)) stopTrusting(evidence.domainId);
 */
export function verifyEquivocation(evidence: EquivocationEvidence, keySet: KeySet): boolean {
  try {
    const { domainId, a, b } = evidence;
    if (!(domainId instanceof Uint8Array) || domainId.length !== 32) return false;
    if (!equalBytes(a.header.domain, domainId) || !equalBytes(b.header.domain, domainId)) return false;
    if (a.header.height !== b.header.height) return false;
    if (equalBytes(headerHash(a.header), headerHash(b.header))) return false;
    return verifyHeaderSignatures(a, keySet) && verifyHeaderSignatures(b, keySet);
  } catch {
    return false;
  }
}

/** The height at which the domain forked. */
export function forkHeight(evidence: EquivocationEvidence): bigint {
  return evidence.a.header.height;
}

/** u8 format || domainId 32 || signed header a || signed header b. */
export function encodeEquivocationEvidence(e: EquivocationEvidence): Uint8Array {
  const w = new Writer(512);
  writeEquivocationEvidence(w, e);
  return w.finish();
}

export function decodeEquivocationEvidence(bytes: Uint8Array): EquivocationEvidence {
  return decodeAll(bytes, readEquivocationEvidence);
}

const EVIDENCE_TAG = utf8('weft.evidence');

/**
 * SHA256("weft.evidence" || encoded evidence): how a domain's `reinitRemote` input names the
 * equivocation it answers. Canonical, since the encoding orders the pair.
 */
export function equivocationEvidenceHash(e: EquivocationEvidence): Uint8Array {
  return sha256(concatBytes(EVIDENCE_TAG, encodeEquivocationEvidence(e)));
}

/**
 * Thrown by acceptance when an update proves the domain equivocated. The view passed in is left
 * as it was (like every refusal); `frozenView` is that view frozen with the evidence, for the
 * caller to keep — `SyncState` installs it and emits an `equivocation` event.
 */
export class EquivocationError<V> extends WeftError {
  readonly evidence: EquivocationEvidence;
  readonly frozenView: V;

  constructor(evidence: EquivocationEvidence, frozenView: V, message: string) {
    super('EQUIVOCATION', message, {
      details:
        'The remote view is frozen: keep the evidence, stop accepting this domain, and recover out of band.',
    });
    this.evidence = evidence;
    this.frozenView = frozenView;
  }
}
