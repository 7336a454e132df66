// `weft store verify` against byte flips across a copy of a real store (issue 14.5): every flip
// that changes the store's content is reported. A flip that lands in free space changes nothing a
// reader can see and may pass; the test tells the two apart by a logical dump of every database
// before and after. The two meta pages are left alone: they pick which committed snapshot LMDB
// reads, and falling back to the previous (sound) snapshot is a rollback only an outside
// reference to the head can detect.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const FLIPS = Number(process.env.WEFT_FLIPS ?? 48);
const root = mkdtempSync(join(tmpdir(), 'weft-flips-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const weft = join(import.meta.dirname, '..', 'bin', 'weft.mjs');
const child = join(import.meta.dirname, 'fixtures', 'store-dump-verify.mjs');

/** xorshift32, so a failing flip can be found again from the seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function dumpAndVerify(dir: string): { dump: string; verified: boolean; out: string } {
  const r = spawnSync(process.execPath, [child, dir], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.split('\n');
  const dump = lines.find((l) => l.startsWith('dump'))?.trim() ?? `crashed ${r.signal ?? r.status}`;
  // A process that crashed before saying "verify ok" did not pass the store.
  return { dump, verified: lines.includes('verify ok'), out: r.stdout + r.stderr };
}

describe('weft store verify on a store with flipped bytes', () => {
  it(`reports every flip that changes the content (${FLIPS} flips, seeded)`, () => {
    const made = spawnSync(
      process.execPath,
      [weft, 'demo', '--domains', '2', '--transfers', '8', '--data-dir', join(root, 'demo'), '--json'],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const source = join(root, 'demo', 'domain-a', 'data.mdb');
    const pristine = readFileSync(source);
    const clean = join(root, 'clean');
    mkdirSync(clean);
    copyFileSync(source, join(clean, 'data.mdb'));
    const base = dumpAndVerify(clean);
    expect(base.verified, base.out).toBe(true);
    expect(base.dump).toMatch(/^dump [0-9a-f]{64}$/);

    const pageSize = pristine.readUInt32LE(48);
    expect([4096, 8192, 16384, 65536]).toContain(pageSize);
    const seed = Number(process.env.WEFT_FLIP_SEED ?? 20261206);
    const random = rng(seed);
    const missed: string[] = [];
    let changed = 0;
    for (let i = 0; i < FLIPS; i++) {
      const at = 2 * pageSize + Math.floor(random() * (pristine.length - 2 * pageSize));
      const mask = 1 + Math.floor(random() * 255);
      const dir = join(root, `flip-${i}`);
      mkdirSync(dir);
      const bytes = Buffer.from(pristine);
      bytes[at] = bytes[at]! ^ mask;
      writeFileSync(join(dir, 'data.mdb'), bytes);
      const r = dumpAndVerify(dir);
      if (r.dump !== base.dump) {
        changed++;
        if (r.verified)
          missed.push(
            `flip ${i} at byte ${at} (page ${Math.floor(at / pageSize)}) ^0x${mask.toString(16)}: ${r.dump}`,
          );
      }
      rmSync(dir, { recursive: true, force: true });
    }
    // The test must have tested something: some flips land in content.
    expect(changed).toBeGreaterThan(0);
    expect(missed, `seed ${seed}: content changed and verify passed`).toEqual([]);
  }, 600_000);
});
