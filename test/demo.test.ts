import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/cli/demo.js';
import { main } from '../src/cli/main.js';

const weft = join(import.meta.dirname, '..', 'bin', 'weft.mjs');

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('weft demo', () => {
  it('runs a network, conserves supply (checked in the trees) and prints the JSON summary', async () => {
    const r = await run(['demo', '--domains', '3', '--transfers', '24', '--seed', 'test', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ transfersConfirmed: 24, transfersFailed: 0, supplyConserved: true });
    expect(s.globalRoot).toMatch(/^0x[0-9a-f]{64}$/);
    expect(s.transfersPerSecond).toBeGreaterThan(0);
    expect(s.domains).toHaveLength(3);
    expect(s.domains.reduce((n: bigint, d: { balance: string }) => n + BigInt(d.balance), 0n)).toBe(
      BigInt(s.supplyMinted),
    );
  });

  it('still lands every transfer exactly once over a transport that loses and duplicates messages', async () => {
    const r = await run([
      'demo',
      '--transfers',
      '30',
      '--loss',
      '0.3',
      '--dup',
      '0.3',
      '--seed',
      'lossy',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ transfersConfirmed: 30, transfersFailed: 0, supplyConserved: true });
    expect(s.transport.dropped).toBeGreaterThan(0);
    expect(s.transport.duplicated).toBeGreaterThan(0);
  });

  it('keeps its stores in --data-dir when given, and refuses one that already holds data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-demo-test-'));
    try {
      const first = await run(['demo', '--domains', '2', '--transfers', '4', '--data-dir', dir, '--json']);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.out).dataDir).toBe(dir);
      const again = await run(['demo', '--domains', '2', '--transfers', '4', '--data-dir', dir]);
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/already holds data/);
      const verify = await run(['store', 'verify', join(dir, 'domain-a')]);
      expect(verify.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints usage and exits 2 on a bad flag or value', async () => {
    for (const args of [
      ['--bogus'],
      ['--domains', '1'],
      ['--domains', 'x'],
      ['--transfers'],
      ['--transfers', '0'],
      ['--mode', 'trusting'],
      ['--port', '7400'],
      ['--serve', '--port', '0'],
      ['--serve', '--port', 'x'],
    ]) {
      const r = await run(['demo', ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/usage: weft demo/);
    }
    const help = await run(['demo', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--transfers N/);
    expect(help.out).toMatch(/--mode M/);
    expect(help.out).toMatch(/--serve/);
    expect(help.out).toMatch(/--no-bound/);
  });

  it('works as the installed command', () => {
    const r = spawnSync(process.execPath, [weft, 'demo', '--transfers', '6', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ transfersConfirmed: 6, supplyConserved: true });
  });

  it('verifies in full mode by default, and reports the whole run next to the transfer phase', async () => {
    const r = await run(['demo', '--transfers', '6', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.mode).toBe('full');
    expect(s.wallSeconds).toBeGreaterThanOrEqual(s.seconds);
  });

  it('keeps at most its window of transfers in flight, topping it up until every transfer has run', async () => {
    const s = await runDemo(
      {
        domains: 3,
        transfers: 30,
        seed: 'window',
        json: true,
        loss: 0,
        dup: 0,
        mode: 'transition',
        inFlightMax: 7,
      },
      () => {},
    );
    expect(s).toMatchObject({ transfersRequested: 30, transfersConfirmed: 30, supplyConserved: true });
    expect(s.inFlightPeak).toBeGreaterThan(0);
    expect(s.inFlightPeak).toBeLessThanOrEqual(7);
  });

  it('reports its transfers/s next to the domain bound measured in the same run, unless --no-bound', async () => {
    const r = await run(['demo', '--transfers', '6', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.bound).toMatchObject({ transactions: 2000, ofBoundMin: 0.5 });
    expect(s.bound.domainTxPerSecond).toBeGreaterThan(0);
    expect(s.bound.transfersPerSecondBound).toBeCloseTo(s.bound.domainTxPerSecond / 2, 0);
    expect(s.bound.ofBound).toBeCloseTo(s.transfersPerSecond / s.bound.transfersPerSecondBound, 2);
    // Full mode (the default): a follower of the bound's blocks, and the cap it sets with 3 domains
    // following their ring neighbours: 2 followers of each block.
    expect(s.bound.fullFollowerTxPerSecond).toBeGreaterThan(0);
    expect(s.follow).toBe('interested');
    const others = 2;
    expect(s.bound.fullModeCap).toBeCloseTo(
      1 / (1 + (others * s.bound.domainTxPerSecond) / s.bound.fullFollowerTxPerSecond),
      2,
    );
    const text = await run(['demo', '--transfers', '2']);
    expect(text.out).toMatch(/bound +one domain [\d.]+ tx\/s \(same run\) ÷ 2 = [\d.]+ transfers\/s/);
    expect(text.out).toMatch(
      /full-mode cap +a follower re-validates [\d.]+ tx\/s; with 2 followers of each block .* at most [\d.]+x of the bound/,
    );
    const without = await run(['demo', '--transfers', '2', '--no-bound', '--json']);
    expect(JSON.parse(without.out).bound).toBeUndefined();
  });

  it('says in one line what a weaker mode trusts', () => {
    const r = spawnSync(
      process.execPath,
      [weft, 'demo', '--transfers', '6', '--mode', 'transition', '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'transition', transfersConfirmed: 6 });
    // No full-mode follower to time in transition mode.
    expect(JSON.parse(r.stdout).bound.fullModeCap).toBeUndefined();
    expect(r.stderr).toMatch(/verification mode 'transition': trusting each domain's key set/);
    const full = spawnSync(process.execPath, [weft, 'demo', '--transfers', '2', '--json'], {
      encoding: 'utf8',
    });
    expect(full.stderr).not.toMatch(/trusting/);
  });
});
