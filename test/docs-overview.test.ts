// docs/overview.md is a map of the code: every file it names must exist, and every function or
// class it names right after a file must be declared in that file, or the map has gone stale.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const overview = readFileSync(join(root, 'docs/overview.md'), 'utf8');

/** Pairs of `dir/file.ts` and the backticked names that follow it on the same line. */
function references(): { file: string; names: string[] }[] {
  const out: { file: string; names: string[] }[] = [];
  for (const line of overview.split('\n')) {
    const re = /`([a-z]+\/[A-Za-z/*]+\.ts)`((?:\s+`[A-Za-z.]+`)*)/g;
    for (const m of line.matchAll(re)) {
      const names = [...(m[2] ?? '').matchAll(/`([A-Za-z.]+)`/g)].map((n) => n[1]!);
      out.push({ file: m[1]!, names });
    }
  }
  return out;
}

describe('docs/overview.md', () => {
  it('names files that exist under src/', () => {
    const refs = references().filter((r) => !r.file.includes('*'));
    expect(refs.length).toBeGreaterThan(20);
    const missing = refs.filter((r) => !existsSync(join(root, 'src', r.file))).map((r) => r.file);
    expect(missing).toEqual([]);
  });

  it('names functions and classes declared in the file it names', () => {
    const stale: string[] = [];
    for (const { file, names } of references()) {
      if (file.includes('*')) continue;
      const text = readFileSync(join(root, 'src', file), 'utf8');
      for (const name of names) {
        const last = name.split('.').pop()!;
        const declared = new RegExp(
          `(function|class|const|type|interface)\\s+${last}\\b|^\\s+(private\\s+|async\\s+|readonly\\s+)*${last}\\s*[(<=:]`,
          'm',
        );
        if (!declared.test(text)) stale.push(`${file} ${name}`);
      }
    }
    expect(stale).toEqual([]);
  });
});
