import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../src/crypto/index.js';
import { openDomainNode, verifyStore } from '../src/store/index.js';
import { key } from './helpers/domain.js';

// Normal runs kill the node 60 times; WEFT_SOAK=1 (npm run test:soak) kills it 600 times.
const KILLS = process.env.WEFT_SOAK ? 600 : 60;
const CREATION_KILLS = process.env.WEFT_SOAK ? 40 : 6;
const dir = mkdtempSync(join(tmpdir(), 'weft-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small seeded PRNG (xorshift32) so a failing run can be repeated from its seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * Runs the child until it has printed `acks` more acknowledgements (or `waitMs` passed, or
 * `killWhen` holds, polled every millisecond), then SIGKILLs it.
 */
function runAndKill(
  acks: number,
  waitMs: number,
  onAck: (id: string) => void,
  at = dir,
  killWhen?: () => boolean,
): Promise<void> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/domain-crash-child.mjs'), at], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const poll = killWhen
    ? setInterval(() => {
        if (killWhen()) kill();
      }, 1)
    : undefined;
  let seen = 0;
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const kill = () => {
    if (child.exitCode === null && !child.killed) child.kill('SIGKILL');
  };
  const timer = setTimeout(kill, waitMs);
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ack ')) {
          onAck(line.slice(4));
          if (++seen >= acks) kill();
        }
        nl = buf.indexOf('\n');
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own (${code}): ${stderr}`));
      else resolve();
    });
  });
}

describe('a durable node killed at random moments', () => {
  // Every run kills nodes while they create their store (issue 14.6): the file LMDB leaves then
  // never saw a commit, and the next start must create the store, not refuse it as corrupt.
  it(`starts again after a kill during its first start (${CREATION_KILLS} creations killed)`, async () => {
    const random = rng(Number(process.env.WEFT_CRASH_SEED ?? 20261121) ^ 0x5eed);
    for (let k = 0; k < CREATION_KILLS; k++) {
      const at = mkdtempSync(join(tmpdir(), 'weft-crash-create-'));
      try {
        const data = join(at, 'data.mdb');
        if (k === 0)
          writeFileSync(data, new Uint8Array(0)); // the exact leftover the soak once found
        else {
          // Killed the moment the data file appears, or a little later: inside creation.
          const delayMs = k % 2 === 1 ? 0 : Math.floor(random() * 40);
          let seenAt = 0;
          await runAndKill(
            Number.POSITIVE_INFINITY,
            5000,
            () => {},
            at,
            () => {
              if (!existsSync(data)) return false;
              seenAt ||= Date.now();
              return Date.now() - seenAt >= delayMs;
            },
          );
        }
        let acks = 0;
        await runAndKill(1, 20_000, () => acks++, at);
        // Two acknowledgements may arrive in one chunk before the kill lands: at least one counts.
        expect(
          acks,
          `creation kill ${k}: the node never acknowledged after restarting`,
        ).toBeGreaterThanOrEqual(1);
      } finally {
        rmSync(at, { recursive: true, force: true });
      }
    }
  }, 600_000);

  it(`loses no acknowledged transaction, applies none twice, and replays to the same root (${KILLS} SIGKILLs)`, async () => {
    const seed = Number(process.env.WEFT_CRASH_SEED ?? 20261121);
    const random = rng(seed);
    const acked = new Set<string>();
    for (let k = 0; k < KILLS; k++) {
      // Sometimes kill during startup and recovery, sometimes after a few acknowledgements.
      const acks = random() < 0.2 ? 0 : 1 + Math.floor(random() * 8);
      const waitMs = acks === 0 ? 20 + Math.floor(random() * 300) : 5000;
      await runAndKill(acks === 0 ? Number.POSITIVE_INFINITY : acks, waitMs, (id) => acked.add(id));
    }
    expect(acked.size).toBeGreaterThan(KILLS);

    const node = await openDomainNode(dir, { signers: [key('secp256k1', 'crash/operator-unused')] });
    const d = node.domain;
    // Every acknowledged transaction is there: pending (recovered from the transcript) or included.
    const included = new Map<string, number>();
    const nullifiers = new Set<string>();
    for (let h = 1n; h <= d.committedHeight; h++) {
      const block = d.block(h)!;
      for (const batch of block.batches)
        for (const id of batch) included.set(toHex(id), (included.get(toHex(id)) ?? 0) + 1);
      for (const w of block.writes) {
        if (w.key[0] !== 0x02) continue;
        const nf = toHex(w.key);
        expect(nullifiers.has(nf), `nullifier ${nf} written twice`).toBe(false);
        nullifiers.add(nf);
      }
    }
    for (const [id, n] of included) expect(n, `transaction ${id} included ${n} times`).toBe(1);
    for (const id of acked) {
      const st = d.status(Buffer.from(id.slice(2), 'hex'));
      expect(st?.status, `acknowledged ${id} is ${st?.status ?? 'unknown'}`).toMatch(/pending|included/);
      if (st?.status === 'included') expect(included.get(id)).toBe(1);
    }
    const root = toHex(d.stateRoot);
    await node.close();
    // A clean replay of the transcript from genesis reproduces every header and the root.
    const report = await verifyStore(dir);
    expect(report.faults).toEqual([]);
    expect(report.summary?.stateRoot).toBe(root);
  }, 600_000);
});
