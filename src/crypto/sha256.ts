// SHA-256 for single inputs, through node:crypto's one-shot hash (about 2x createHash per call).
import { createHash, hash as oneShot } from 'node:crypto';

export const DIGEST_BYTES = 32;

const hasOneShot = typeof oneShot === 'function';

/** SHA-256 of one input. */
export function sha256(data: Uint8Array): Uint8Array {
  const out = hasOneShot
    ? (oneShot('sha256', data, 'buffer') as unknown as Buffer)
    : createHash('sha256').update(data).digest();
  return new Uint8Array(out.buffer, out.byteOffset, DIGEST_BYTES);
}

/** SHA-256 of the concatenation of `parts`, without building the concatenation. */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const out = h.digest();
  return new Uint8Array(out.buffer, out.byteOffset, DIGEST_BYTES);
}
