// What a tree store's retained versions reach: the keys (hex, `hexKey`) of every page and leaf record
// found by walking each root record through its pages (both store formats), for tests of exact
// pruning (the store must hold exactly these).
import { hexKey } from '../../src/crypto/index.js';
import type { NodeStore } from '../../src/smt/index.js';
import { decodePage, decodeRootRecord, leafKey, pageKey } from '../../src/smt/page.js';

export function reachable(store: NodeStore): { pages: Set<string>; leaves: Set<string> } {
  const pages = new Set<string>();
  const leaves = new Set<string>();
  const visitPage = (born: bigint, depth: number, prefix: Uint8Array): void => {
    const key = pageKey(born, depth, prefix);
    const name = hexKey(key);
    if (pages.has(name)) return;
    pages.add(name);
    const bytes = store.getPage(key);
    if (bytes === undefined) throw new Error(`a retained version reaches page ${name}, which is missing`);
    const nodes = decodePage(bytes);
    const path = prefix.slice(0, 32);
    let i = 0;
    const walk = (d: number): void => {
      const n = nodes[i++]!;
      if (n.k === 'empty' || n.k === 'leaf') return;
      if (n.k === 'leafRef') leaves.add(hexKey(leafKey(n.born, n.keyHash)));
      else if (n.k === 'ref') visitPage(n.born, d, path);
      else if (n.k === 'pageRef') visitPage(BigInt(n.born), d, path);
      else {
        const mask = 0x80 >> (d & 7);
        path[d >> 3]! &= ~mask;
        walk(d + 1);
        path[d >> 3]! |= mask;
        walk(d + 1);
        path[d >> 3]! &= ~mask;
      }
    };
    walk(depth);
  };
  for (const { record } of store.listRoots()) {
    const r = decodeRootRecord(record);
    if (r.k === 'page') visitPage(r.born, 0, new Uint8Array(32));
    else if (r.k === 'leafRef') leaves.add(hexKey(leafKey(r.born, r.keyHash)));
  }
  return { pages, leaves };
}
