// Node hash presets (ARCHITECTURE.md §3, byte-exact). `weft` hashes exactly 64 bytes per node so
// whole tree levels go through the native batched hasher; `jmt` matches penumbra-zone/jmt.
import { createHash } from 'node:crypto';
import { type BatchHashFn, batchHasher } from '../crypto/batch.js';
import { utf8 } from '../crypto/bytes.js';
import { WeftError } from '../crypto/errors.js';
import type { HasherName } from './types.js';

export const HASH_BYTES = 32;

export interface TreeHasher {
  readonly name: HasherName;
  /** The root of an empty subtree. */
  readonly empty: Uint8Array;
  leaf(keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array;
  internal(left: Uint8Array, right: Uint8Array): Uint8Array;
  /** `input` holds n pairs of 32-byte (keyHash, valueHash); writes n leaf hashes into `output`. */
  leafBatch(input: Uint8Array, output: Uint8Array): void;
  /** `input` holds n pairs of 32-byte (left, right); writes n internal hashes into `output`. */
  internalBatch(input: Uint8Array, output: Uint8Array): void;
  /**
   * Whether a node hash is a leaf's, when the hash itself says so (`weft`: the top bit);
   * `undefined` when the preset cannot tell (`jmt`), so proofs must carry the flag.
   */
  isLeafHash(hash: Uint8Array): boolean | undefined;
}

function setTopBits(output: Uint8Array, set: boolean): void {
  for (let i = 0; i < output.length; i += HASH_BYTES) {
    output[i] = set ? output[i]! | 0x80 : output[i]! & 0x7f;
  }
}

function makeWeft(hash64: BatchHashFn): TreeHasher {
  // Single node hashes go through the batch hasher too: one 64-byte block through the native
  // module costs about a quarter of a node:crypto call, and proof checks hash one node at a time.
  // The native call writes into a reused buffer (about 2x faster than into a fresh one, measured
  // in docs/benchmarks.md); the result is copied out.
  const pair = new Uint8Array(64);
  const scratch = new Uint8Array(HASH_BYTES);
  const hashPair = (a: Uint8Array, b: Uint8Array, leaf: boolean): Uint8Array => {
    pair.set(a, 0);
    pair.set(b, 32);
    hash64(pair, scratch);
    scratch[0] = leaf ? scratch[0]! | 0x80 : scratch[0]! & 0x7f;
    return scratch.slice();
  };
  return {
    name: 'weft',
    empty: new Uint8Array(HASH_BYTES),
    leaf: (keyHash, valueHash) => hashPair(keyHash, valueHash, true),
    internal: (left, right) => hashPair(left, right, false),
    leafBatch(input, output) {
      hash64(input, output);
      setTopBits(output, true);
    },
    internalBatch(input, output) {
      hash64(input, output);
      setTopBits(output, false);
    },
    isLeafHash(hash) {
      return (hash[0]! & 0x80) !== 0;
    },
  };
}

const JMT_LEAF_TAG = utf8('JMT::LeafNode');
const JMT_INTERNAL_TAG = utf8('JMT::IntrnalNode');

function jmtHash(tag: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  const d = createHash('sha256').update(tag).update(a).update(b).digest();
  return new Uint8Array(d.buffer, d.byteOffset, HASH_BYTES);
}

function jmtBatch(tag: Uint8Array, input: Uint8Array, output: Uint8Array): void {
  for (let i = 0, o = 0; i < input.length; i += 64, o += HASH_BYTES) {
    output.set(jmtHash(tag, input.subarray(i, i + 32), input.subarray(i + 32, i + 64)), o);
  }
}

const jmt: TreeHasher = {
  name: 'jmt',
  empty: utf8('SPARSE_MERKLE_PLACEHOLDER_HASH__'),
  leaf: (keyHash, valueHash) => jmtHash(JMT_LEAF_TAG, keyHash, valueHash),
  internal: (left, right) => jmtHash(JMT_INTERNAL_TAG, left, right),
  leafBatch: (input, output) => jmtBatch(JMT_LEAF_TAG, input, output),
  internalBatch: (input, output) => jmtBatch(JMT_INTERNAL_TAG, input, output),
  isLeafHash: () => undefined,
};

const weft = makeWeft(batchHasher.hash64);

/** The preset named `name` (default `weft`); throws BAD_INPUT for an unknown name. */
export function treeHasher(name: HasherName = 'weft'): TreeHasher {
  if (name === 'weft') return weft;
  if (name === 'jmt') return jmt;
  throw new WeftError('BAD_INPUT', `unknown hasher preset '${String(name)}': use 'weft' or 'jmt'`);
}
