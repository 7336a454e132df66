// A naive model of the tree for property tests: a map, and the root recomputed from scratch by
// the definition (ARCHITECTURE.md §3), with no sharing, batching or versioning.
import { sha256 } from '../../src/crypto/index.js';
import { bitAt } from '../../src/smt/bits.js';
import { treeHasher } from '../../src/smt/hasher.js';
import type { HasherName, Write } from '../../src/smt/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class NaiveTree {
  readonly entries = new Map<string, { key: Uint8Array; value: Uint8Array }>();
  constructor(readonly hasher: HasherName = 'weft') {}

  apply(writes: Write[]): void {
    for (const w of writes) {
      if (w.value === null) this.entries.delete(hex(w.key));
      else this.entries.set(hex(w.key), { key: w.key, value: w.value });
    }
  }

  get(key: Uint8Array): Uint8Array | null {
    return this.entries.get(hex(key))?.value ?? null;
  }

  root(): Uint8Array {
    const h = treeHasher(this.hasher);
    const leaves = [...this.entries.values()].map((e) => ({ kh: sha256(e.key), vh: sha256(e.value) }));
    const go = (items: typeof leaves, depth: number): Uint8Array => {
      if (items.length === 0) return h.empty;
      if (items.length === 1) return h.leaf(items[0]!.kh, items[0]!.vh);
      const left = items.filter((x) => bitAt(x.kh, depth) === 0);
      const right = items.filter((x) => bitAt(x.kh, depth) === 1);
      return h.internal(go(left, depth + 1), go(right, depth + 1));
    };
    return go(leaves, 0);
  }
}
