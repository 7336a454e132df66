// The deterministic simulator (docs/simulation.md): a fixed set of seeds under every fault kind
// holds every invariant; a seed replays byte for byte; the disk model recovers from torn writes;
// `weft sim` keeps its interface (flags, --json fields, exit codes).
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { parseSimArgs, reproduceCommand } from '../src/cli/sim.js';
import { keyPairFromSeed, sha256, utf8 } from '../src/crypto/index.js';
import { makeKeySet } from '../src/domain/index.js';
import { faultsName, openSimDomain, parseFaults, runSim, SimDisk } from '../src/sim/index.js';
import { mintTx } from '../src/tx/index.js';

function capture() {
  const logs: string[] = [];
  const errors: string[] = [];
  return { out: { log: (s: string) => logs.push(s), error: (s: string) => errors.push(s) }, logs, errors };
}

describe('weft sim: a fixed set of seeds', () => {
  // About a minute in all: the CI's share of the search (npm run sim:soak runs thousands).
  const seeds = Array.from({ length: 16 }, (_, i) => ({ seed: `ci-${i + 1}`, domains: 3 + (i % 3) }));
  for (const { seed, domains } of seeds) {
    it(`seed ${seed}, every fault kind, ${domains} domains: every invariant holds`, async () => {
      const r = await runSim({ seed, domains, steps: 80, faults: 'all' });
      expect(r.failures, JSON.stringify(r.failures.slice(0, 5))).toEqual([]);
      // The run did something: blocks, transfers, checks after every step.
      expect(r.stats.blocks).toBeGreaterThan(10);
      expect(r.stats.invariantChecks).toBeGreaterThanOrEqual(81);
      expect(r.stats.transfers.started).toBeGreaterThan(0);
    }, 120_000);
  }

  // Seeds that once failed (docs/simulation.md, "What it found"), kept as regressions.
  const found = [
    {
      seed: 'scan-33',
      domains: 3,
      steps: 200,
      faults: 'net',
      // d1 caught up 21 headers of d2 after a partition; a refusal anchored on an early one was refused by its peers.
      what: 'a refusal anchored on a header caught up more than 16 headers before the record',
    },
    {
      seed: 'ci-1',
      domains: 3,
      steps: 120,
      faults: 'byzantine',
      // d2 signed a refusal of a claim it had taken; d1 accepted it (no exclusion proofs then).
      what: 'a byzantine refusal of a claim the domain already took is refused',
    },
    // A source refunded naming the destination header it had only trusted (its genesis, stamped
    // after the deadline); its full-mode peers, never shown that header, refused the block.
    ...[
      { seed: 'soak-2607', domains: 3 },
      { seed: 'soak-3194', domains: 5 },
      { seed: 'soak-6119', domains: 5 },
    ].map((s) => ({
      ...s,
      steps: 12,
      faults: 'all',
      what: 'a refund waits until the header it names is recorded, not only trusted',
    })),
  ];
  for (const { what, ...opts } of found) {
    it(`seed ${opts.seed} (${opts.faults}, ${opts.steps} steps): ${what}`, async () => {
      const r = await runSim(opts);
      expect(r.failures, JSON.stringify(r.failures.slice(0, 5))).toEqual([]);
    }, 120_000);
  }

  it('without faults every transfer is confirmed or refunded', async () => {
    const r = await runSim({ seed: 'ci-quiet', domains: 3, steps: 60, faults: 'none' });
    expect(r.failures).toEqual([]);
    const t = r.stats.transfers;
    expect(t.started).toBeGreaterThan(0);
    expect(t.confirmed + t.refunded).toBe(t.started);
    expect(r.stats.faultsInjected).toEqual({});
  }, 60_000);
});

describe('weft sim: determinism', () => {
  it('the same seed gives a byte-identical trace; another seed another one', async () => {
    const opts = { seed: 'same', domains: 4, steps: 40, faults: 'all', keepTrace: true };
    const a = await runSim(opts);
    const b = await runSim(opts);
    expect(a.trace!.length).toBeGreaterThan(100);
    expect(b.trace).toEqual(a.trace);
    expect(b.traceHash).toBe(a.traceHash);
    expect(a.traceHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(b.stats).toEqual(a.stats);
    const c = await runSim({ ...opts, seed: 'other' });
    expect(c.traceHash).not.toBe(a.traceHash);
  }, 120_000);
});

describe('the simulated disk', () => {
  const signers = [0, 1].map((i) => keyPairFromSeed('secp256k1', sha256(utf8(`disk/k${i}`))));
  const node = {
    name: 'disk-a',
    signers,
    keySet: makeKeySet(
      2,
      signers.map((s) => s.publicKey),
    ),
    limits: {},
    genesisTimestamp: 1_000n,
    clock: () => 2_000n,
  };
  const issuer = keyPairFromSeed('ed25519', sha256(utf8('disk/issuer')));
  const mint = (home: Uint8Array, n: number) =>
    mintTx({
      issuer,
      symbol: 'USD',
      owner: issuer.publicKey,
      quantity: BigInt(n),
      home,
      random: (k) => sha256(utf8(`disk/r/${n}`)).slice(0, k),
    }).tx;

  it('a crash in the middle of an append leaves a torn tail that recovery cuts off; nothing acknowledged is lost', async () => {
    const disk = new SimDisk();
    const a = (await openSimDomain(disk, node)).domain;
    const first = await a.submit(mint(a.id, 1));
    expect(first.status.status).toBe('pending');
    await a.sealBlock();
    const second = await a.submit(mint(a.id, 2)); // acknowledged: in the transcript
    disk.crashNext = 'torn';
    await expect(a.submit(mint(a.id, 3))).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(disk.torn).not.toBeNull();
    expect(a.failure).toBeDefined();
    const b = await openSimDomain(disk, node);
    expect(b.tornTail).toBe(true);
    expect(disk.torn).toBeNull();
    expect(b.replayed).toBe(1);
    expect(b.domain.committedHeight).toBe(1n);
    expect(b.domain.status(first.txId)?.status).toBe('included');
    expect(b.domain.status(second.txId)?.status).toBe('pending');
    await b.domain.sealBlock();
    expect(disk.replayProblems()).toEqual([]);
  });

  it('a crash during a block commit loses the whole block, and the node seals it again', async () => {
    const disk = new SimDisk();
    const a = (await openSimDomain(disk, node)).domain;
    const r = await a.submit(mint(a.id, 7));
    disk.crashNext = 'lost';
    await expect(a.sealBlock()).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(disk.height).toBe(0n);
    const b = (await openSimDomain(disk, node)).domain;
    expect(b.committedHeight).toBe(0n);
    expect(b.status(r.txId)?.status).toBe('pending');
    await b.sealBlock();
    expect(b.status(r.txId)?.status).toBe('included');
    expect(disk.replayProblems()).toEqual([]);
  });

  it('replay finds a transcript that does not give the stored headers', async () => {
    const disk = new SimDisk();
    const a = (await openSimDomain(disk, node)).domain;
    await a.submit(mint(a.id, 9));
    await a.sealBlock();
    expect(disk.replayProblems()).toEqual([]);
    disk.transcript.splice(0, 1); // the submission never reached the transcript
    expect(disk.replayProblems().join()).toMatch(/height 1/);
  });
});

describe('weft sim: the command', () => {
  it('--json prints one object with traceHash (hex) and failures (a count); exit 0 when none', async () => {
    const c = capture();
    const code = await main(
      ['sim', '--seed', 'cli', '--steps', '15', '--faults', 'net+crash', '--json'],
      c.out,
    );
    expect(code).toBe(0);
    expect(c.logs).toHaveLength(1);
    const o = JSON.parse(c.logs[0]!);
    expect(o.traceHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(o.failures).toBe(0);
    expect(o.faults).toBe('net+crash');
    expect(o.reproduce).toBe('weft sim --seed cli --domains 3 --steps 15 --faults net+crash');
    const again = capture();
    await main(['sim', '--seed', 'cli', '--steps', '15', '--faults', 'net+crash', '--json'], again.out);
    expect(JSON.parse(again.logs[0]!).traceHash).toBe(o.traceHash);
  }, 60_000);

  it('a failing seed exits 1 and prints the command that reproduces it', async () => {
    const c = capture();
    const code = await main(
      ['sim', '--seed', 'p1', '--steps', '40', '--faults', 'none', '--plant', 'transcriptFlush'],
      c.out,
    );
    expect(code).toBe(1);
    const text = c.logs.join('\n');
    expect(text).toMatch(/transcript-replay/);
    expect(text).toContain(
      'reproduce: weft sim --seed p1 --domains 3 --steps 40 --faults none --plant transcriptFlush',
    );
  }, 60_000);

  it('--shrink narrows a failure to fewer steps and prints the smaller command', async () => {
    const c = capture();
    const code = await main(
      ['sim', '--seed', 'p1', '--steps', '40', '--faults', 'all', '--plant', 'transcriptFlush', '--shrink'],
      c.out,
    );
    expect(code).toBe(1);
    const line = c.logs.find((l) => l.includes('reproduce: '))!;
    const steps = Number(/--steps (\d+)/.exec(line)![1]);
    expect(steps).toBeLessThan(40);
    expect(line).toContain('--plant transcriptFlush');
    // The command printed fails again.
    const again = capture();
    const args = line.replace(/^.*reproduce: weft /, '').split(' ');
    expect(await main(args, again.out)).toBe(1);
  }, 120_000);

  it('refuses bad input with exit 2, and --help explains', async () => {
    for (const args of [
      ['sim'],
      ['sim', '--seed'],
      ['sim', '--seed', 'x', '--domains', '1'],
      ['sim', '--seed', 'x', '--steps', 'many'],
      ['sim', '--seed', 'x', '--faults', 'lightning'],
      ['sim', '--seed', 'x', '--plant', 'nothing'],
      ['sim', '--seed', 'x', '--bogus'],
    ]) {
      const c = capture();
      expect(await main(args, c.out), args.join(' ')).toBe(2);
      expect(c.errors.join('\n')).toMatch(/weft sim: /);
    }
    const c = capture();
    expect(await main(['sim', '--help'], c.out)).toBe(0);
    expect(c.logs.join('\n')).toMatch(/--shrink/);
    expect(c.logs.join('\n')).toMatch(/--faults PROFILE/);
  });

  it('profiles and kinds name the same fault sets; reproduce quotes odd seeds', () => {
    expect(parseFaults('all')).toEqual(['net', 'partition', 'crash', 'skew', 'byzantine']);
    expect(parseFaults('crash+net')).toEqual(['net', 'crash']);
    expect(faultsName(parseFaults('net+partition'))).toBe('net');
    expect(faultsName([])).toBe('none');
    const parsed = parseSimArgs(['--seed', "it's 1", '--steps', '3']);
    expect(parsed).toMatchObject({ seed: "it's 1", steps: 3 });
    expect(reproduceCommand({ seed: "it's 1", steps: 3 })).toBe(
      `weft sim --seed 'it'\\''s 1' --domains 3 --steps 3 --faults all`,
    );
  });
});

describe('what the simulator found', () => {
  it('the router records what its members learn at its injected clock, never the wall clock', async () => {
    const { makeDomain } = await import('./helpers/domain.js');
    const { InProcessBus } = await import('../src/net/index.js');
    const { SyncRouter } = await import('../src/node/index.js');
    const alpha = await makeDomain('found-alpha');
    const beta = await makeDomain('found-beta');
    const bus = new InProcessBus();
    const router = new SyncRouter({
      endpoint: (id) => bus.endpoint(id),
      mode: 'full',
      announceEveryMs: 0,
      clock: () => 5_000n,
    });
    await router.join(alpha);
    await router.join(beta);
    await alpha.sealBlock();
    await bus.idle();
    const edge = router.knowledge.edge(beta.id, alpha.id);
    expect(edge?.height).toBe(1n);
    expect(edge?.atMs).toBe(5_000);
    router.close();
    await bus.close();
  });
});
