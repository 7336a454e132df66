// A small seeded PRNG (sfc32, Chris Doty-Humphrey's Small Fast Chaotic generator) so a
// simulation with faults replays exactly from its seed. Not for secrets.
import { sha256, utf8 } from '../crypto/index.js';

export type Prng = {
  /** a float in [0, 1) */
  next(): number;
  /** an integer in [lo, hi] */
  int(lo: number, hi: number): number;
  /** true with probability `p` */
  chance(p: number): boolean;
};

/**
 * A PRNG seeded from a string or number (through SHA-256, so nearby seeds give unrelated
 * streams).
 *
 * @example
 * const rng = seededPrng('run-42'); rng.int(0, 9);
 */
export function seededPrng(seed: string | number): Prng {
  const digest = sha256(utf8(`weft.prng/${String(seed)}`));
  const view = new DataView(digest.buffer, digest.byteOffset, 16);
  let a = view.getUint32(0);
  let b = view.getUint32(4);
  let c = view.getUint32(8);
  let d = view.getUint32(12);
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: the state needs a few rounds to mix.
  for (let i = 0; i < 12; i++) u32();
  const next = (): number => u32() / 4294967296;
  return {
    next,
    int(lo, hi) {
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo)
        throw new RangeError('int(lo, hi) needs integers lo <= hi');
      return lo + Math.floor(next() * (hi - lo + 1));
    },
    chance(p) {
      return p > 0 && next() < p;
    },
  };
}
