// The offline integrity check (`weft store verify`): every node of every retained version is
// recomputed from its leaves and compared with what the arena holds.
import { equalBytes } from '../crypto/bytes.js';
import { check } from '../crypto/errors.js';
import { sha256 } from '../crypto/sha256.js';
import { EMPTY, type TreeArenas } from './arena.js';
import { bitOf, KEY_BITS, withBit } from './bits.js';
import type { TreeHasher } from './hasher.js';

/** Most faults one check reports. */
const FAULTS_MAX = 100;

/**
 * Recomputes every node reachable from `roots` (root of version `first + i` at `i`) and reports
 * each one whose hash does not match its children, key and value, and each leaf sitting off its
 * key's path. The tree itself trusts its arena; this is for offline checks.
 */
export function checkIntegrity(h: TreeHasher, t: TreeArenas, roots: number[], first: bigint): string[] {
  const faults: string[] = [];
  const a = t.nodes;
  const seen = new Map<number, boolean>();
  type Frame = { id: number; depth: number; path: Uint8Array; phase: 0 | 1 };
  for (const [i, root] of roots.entries()) {
    const version = first + BigInt(i);
    const stack: Frame[] = [{ id: root, depth: 0, path: new Uint8Array(32), phase: 0 }];
    while (stack.length > 0 && faults.length < FAULTS_MAX) {
      const f = stack.pop()!;
      if (f.id === EMPTY || seen.has(f.id)) continue;
      if (a.isLeaf(f.id)) {
        checkLeaf(h, t, f.id, f.depth, f.path, version, faults);
        seen.set(f.id, true);
        continue;
      }
      if (f.phase === 0) {
        check(f.depth < KEY_BITS, 'STORE_CORRUPT', 'tree deeper than 256 levels');
        stack.push({ ...f, phase: 1 });
        stack.push({ id: a.right(f.id), depth: f.depth + 1, path: withBit(f.path, f.depth, 1), phase: 0 });
        stack.push({ id: a.left(f.id), depth: f.depth + 1, path: withBit(f.path, f.depth, 0), phase: 0 });
        continue;
      }
      const want = h.internal(a.hashOf(a.left(f.id)), a.hashOf(a.right(f.id)));
      if (!equalBytes(want, a.hashOf(f.id)))
        faults.push(`version ${version}: an internal node at depth ${f.depth} does not hash its children`);
      seen.set(f.id, true);
    }
  }
  return faults;
}

/** Checks that leaf `id`, reached at `depth` along `path`, lies on its key's path and hashes right. */
function checkLeaf(
  h: TreeHasher,
  t: TreeArenas,
  id: number,
  depth: number,
  path: Uint8Array,
  version: bigint,
  faults: string[],
): void {
  const a = t.nodes;
  const kh = t.keys.view(a.keySlot(id));
  for (let d = 0; d < depth; d++) {
    if (bitOf(kh, 0, d) !== bitOf(path, 0, d)) {
      faults.push(`version ${version}: a leaf at depth ${depth} is off its key's path`);
      break;
    }
  }
  const want = h.leaf(kh, sha256(t.vals.get(a.valueOffset(id))));
  if (!equalBytes(want, a.hashOf(id)))
    faults.push(`version ${version}: a leaf's hash does not match its key and value`);
}
