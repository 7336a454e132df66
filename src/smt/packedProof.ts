// The single-key proof the tree hands out: a plain `Proof` to every caller, whose siblings stay
// packed in one shared buffer until someone reads `siblings`. Allocating one Uint8Array view per
// sibling (21 at 1M keys) cost three times the walk itself (docs/benchmarks.md, issue 17.6);
// the encoder and the verifier read the packed bytes directly.
import type { Proof, Terminal } from './types.js';

/** Bytes of one sibling hash. */
const SIBLING_BYTES = 32;

/**
 * Where an untouched packed proof keeps its siblings: `count` hashes from byte `at` of `bytes`
 * (`at` a multiple of 4; `words` views the same buffer, for word copies).
 */
export type PackedSiblings = { bytes: Uint8Array; words: Uint32Array; at: number; count: number };

/**
 * A `Proof` whose `siblings` is an own, enumerable accessor: the array of views is made on first
 * read and kept (so the views stay the same objects, and writes to it or to `siblings` stick).
 * Spread, `structuredClone`, JSON and deep equality see an ordinary proof, since they read own
 * enumerable properties through the getter; the packed state is private and copied by none of them.
 */
export class PackedProof implements Proof {
  depth: number;
  bitmap: Uint8Array;
  terminal: Terminal;
  declare siblings: Uint8Array[];
  readonly #bytes: Uint8Array;
  readonly #words: Uint32Array;
  readonly #at: number;
  readonly #count: number;
  /** The siblings as views, once read (or as assigned); undefined while only packed. */
  #list: Uint8Array[] | undefined = undefined;

  /** One descriptor for every instance, so all of them share one hidden class. */
  static readonly #siblingsProperty: PropertyDescriptor = {
    enumerable: true,
    // Not configurable: `siblings` cannot be deleted or redefined behind the packed bytes' back.
    configurable: false,
    get(this: PackedProof): Uint8Array[] {
      if (this.#list === undefined) {
        const list: Uint8Array[] = new Array(this.#count);
        for (let i = 0, at = this.#at; i < this.#count; i++, at += SIBLING_BYTES) {
          list[i] = this.#bytes.subarray(at, at + SIBLING_BYTES);
        }
        this.#list = list;
      }
      return this.#list;
    },
    set(this: PackedProof, siblings: Uint8Array[]): void {
      this.#list = siblings;
    },
  };

  /**
   * `count` sibling hashes, top first, are `bytes[at .. at + 32 * count)`, `at` a multiple of 4
   * and `words` a view of the whole of `bytes`' buffer; the caller never changes them again.
   */
  constructor(
    depth: number,
    bitmap: Uint8Array,
    terminal: Terminal,
    bytes: Uint8Array,
    words: Uint32Array,
    at: number,
    count: number,
  ) {
    this.depth = depth;
    this.bitmap = bitmap;
    this.terminal = terminal;
    this.#bytes = bytes;
    this.#words = words;
    this.#at = at;
    this.#count = count;
    Object.defineProperty(this, 'siblings', PackedProof.#siblingsProperty);
  }

  /**
   * The packed siblings of `proof` when it is a packed proof whose `siblings` nobody has read or
   * replaced yet (then the packed bytes are exactly its siblings); otherwise undefined and the
   * caller reads `proof.siblings`. Views handed out alias the packed bytes, so once read, a
   * caller's writes through them or to the array are seen only through `siblings`.
   */
  static packedSiblings(proof: Proof): PackedSiblings | undefined {
    if (!(proof instanceof PackedProof) || proof.#list !== undefined) return undefined;
    return { bytes: proof.#bytes, words: proof.#words, at: proof.#at, count: proof.#count };
  }
}
