// The canonical encoding of a signed header (header, then its signer-indexed signatures): what
// root updates and equivocation evidence carry.
import { decodeAll, type Reader, Writer } from '../crypto/index.js';
import {
  HEADER_BYTES,
  KEYSET_KEYS_MAX,
  readHeader,
  type SignedHeader,
  type SignerSignature,
  writeHeader,
} from '../domain/index.js';

/** Bytes of one header signature: 65 bytes r || s || v. */
export const HEADER_SIGNATURE_BYTES = 65;

/** header (145) || u32 count || per signature: u8 signer index || 65 bytes. */
export function writeSignedHeader(w: Writer, sh: SignedHeader): void {
  writeHeader(w, sh.header);
  w.list(sh.signatures, KEYSET_KEYS_MAX, (w, s) => {
    w.u8(s.signer).fixed(s.signature, HEADER_SIGNATURE_BYTES);
  });
}

export function readSignedHeader(r: Reader): SignedHeader {
  const header = readHeader(r);
  const signatures = r.list(
    KEYSET_KEYS_MAX,
    (r): SignerSignature => ({ signer: r.u8(), signature: r.fixed(HEADER_SIGNATURE_BYTES).slice() }),
  );
  return { header, signatures };
}

export function encodeSignedHeader(sh: SignedHeader): Uint8Array {
  const w = new Writer(HEADER_BYTES + 4 + sh.signatures.length * (1 + HEADER_SIGNATURE_BYTES));
  writeSignedHeader(w, sh);
  return w.finish();
}

export function decodeSignedHeader(bytes: Uint8Array): SignedHeader {
  return decodeAll(bytes, readSignedHeader);
}
