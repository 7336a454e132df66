// Batched SHA-256 of many 64-byte inputs per call: the hot path of every tree update.
// The native multi-buffer hasher (@chainsafe/hashtree, SHA-NI) is used when it loads;
// node:crypto is the fallback, and both give identical digests (tested).
import { createRequire } from 'node:module';
import { WeftError } from './errors.js';
import { sha256 } from './sha256.js';

export const BLOCK_BYTES = 64;

/** Hashes `input.length / 64` blocks of 64 bytes each into `output` (32 bytes per block). */
export type BatchHashFn = (input: Uint8Array, output: Uint8Array) => void;

export type BatchHasher = { readonly name: 'hashtree' | 'node'; readonly hash64: BatchHashFn };

const nodeHasher: BatchHasher = {
  name: 'node',
  hash64(input, output) {
    const n = input.length / BLOCK_BYTES;
    for (let i = 0; i < n; i++) {
      output.set(sha256(input.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES)), i * 32);
    }
  },
};

function loadNative(): BatchHasher | undefined {
  if (process.env.WEFT_HASHER === 'node') return undefined;
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@chainsafe/hashtree') as { hashInto(input: Uint8Array, output: Uint8Array): void };
    // Self-test once: a loaded but broken native module must not silently produce wrong roots.
    const probe = new Uint8Array(BLOCK_BYTES).fill(7);
    const got = new Uint8Array(32);
    mod.hashInto(probe, got);
    const want = sha256(probe);
    for (let i = 0; i < 32; i++) if (got[i] !== want[i]) return undefined;
    return { name: 'hashtree', hash64: (input, output) => mod.hashInto(input, output) };
  } catch {
    return undefined;
  }
}

const native = loadNative();

/** The fastest hasher that loaded on this machine. */
export const batchHasher: BatchHasher = native ?? nodeHasher;

/** A specific implementation, for tests and benchmarks. Throws when `name` cannot load here. */
export function getBatchHasher(name: 'hashtree' | 'node'): BatchHasher {
  if (name === 'node') return nodeHasher;
  if (!native)
    throw new WeftError('BAD_INPUT', 'the native hashtree module is not available on this machine');
  return native;
}

/** Checks the sizes, then hashes. Use this at boundaries; inner loops call `hash64` directly. */
export function hashBlocks(input: Uint8Array, output: Uint8Array, hasher: BatchHasher = batchHasher): void {
  if (input.length % BLOCK_BYTES !== 0) {
    throw new WeftError('BAD_LENGTH', `batch input must be a multiple of 64 bytes, got ${input.length}`);
  }
  if (output.length !== (input.length / BLOCK_BYTES) * 32) {
    throw new WeftError('BAD_LENGTH', `batch output must be ${(input.length / BLOCK_BYTES) * 32} bytes`);
  }
  if (input.length > 0) hasher.hash64(input, output);
}
