// Browser stand-in for the part of node:crypto that src/crypto/sha256.ts and src/smt/hasher.ts
// use: `createHash('sha256')` over @noble/hashes; no one-shot `hash`, so sha256.ts takes its
// createHash path for long inputs.
import { sha256 } from '@noble/hashes/sha2.js';

export const hash = undefined;

export function createHash(algorithm: string) {
  if (algorithm !== 'sha256') throw new Error(`only sha256 is available in the browser, not ${algorithm}`);
  const h = sha256.create();
  const self = {
    update(data: Uint8Array) {
      h.update(data);
      return self;
    },
    digest(): Uint8Array {
      return h.digest();
    },
  };
  return self;
}
