// `npm run bench -- scope`: (1) scope computation time as the unproven object DAG grows from 1k to
// 100k vertices while the scope stays the same size (it must grow with the scope, not the DAG);
// (2) a block executed in order against parallel waves on worker threads (the calling thread
// plus one worker: two cores); (3) a follower of one program against full re-execution when
// its program is touched by 10% of transactions; (4) a full-mode receiver re-executing a domain's
// scoped blocks from their root updates' scope witness, against the domain's own seal.
// Flag: --quick (smaller DAGs and blocks).
import os from 'node:os';
import { keyPairFromSeed, utf8 } from '../dist/crypto/index.js';
import { Domain } from '../dist/domain/index.js';
import {
  counterId,
  counterTx,
  examplePrograms,
  ObjectDag,
  oracleFeedId,
  oracleUpdateTx,
  ProgramRegistry,
  pairPoolId,
  pairSwapTx,
  ScopeExecutor,
  ScopeFollower,
  WorkerWaveRunner,
  withScope,
} from '../dist/scope/index.js';
import {
  acceptRootUpdate,
  decodeRootUpdate,
  encodeRootUpdate,
  rootUpdateFromBlock,
  ScopeHistory,
  scopeWitnessOf,
  trustRemote,
} from '../dist/sync/index.js';
import { fmt, table, writeResults } from './lib.mjs';

const programs = new ProgramRegistry(examplePrograms);
const programsModule = new URL('../dist/scope/index.js', import.meta.url).href;
const G = { localGas: 1_000_000n, scopeGas: 1_000_000_000n };
const CHAIN = 10;

function ms(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/**
 * An unproven DAG of `vertices` counter writes: vertices/CHAIN counters, each written CHAIN times
 * (read-write, so each write depends on the one before). A pair swap reading one counter has a
 * scope of exactly CHAIN transactions, however big the DAG.
 */
function scopeScenario(vertices, chain = CHAIN) {
  const dag = new ObjectDag();
  const counters = vertices / chain;
  let n = 0;
  for (let round = 0; round < chain; round++) {
    for (let i = 0; i < counters; i++) {
      const tx = counterTx(counterId(`c${i}`), 1n, G, { nonce: n++ });
      dag.append(tx.id, tx.declaration, 1n + BigInt(round));
    }
  }
  const reads = [0, 1, 2, 3].map((k) => counterId(`c${(k * 7919) % counters}`));
  const swaps = reads.map((c, k) => {
    const tx = pairSwapTx(pairPoolId(`p${k}`), c, 1n, G);
    // The pair reads a counter object as its "feed": only the scope matters here.
    return tx.declaration;
  });
  const reps = Math.max(20, Math.floor(20_000 / chain));
  let scopeTxs = 0;
  for (const d of swaps) scopeTxs = Number(dag.scopeGasNeeded(d) / G.localGas) - 1;
  const total = ms(() => {
    for (let r = 0; r < reps; r++) dag.scopeGasNeeded(swaps[r % swaps.length]);
  });
  return { vertices: dag.unprovenVertices, scopeTxs, usPerScope: (total * 1000) / reps };
}

/** A block of counter increments with real work (hash rounds) on `objects` counters. */
function counterBlock(txs, objects, rounds, salt) {
  return Array.from({ length: txs }, (_, i) =>
    counterTx(counterId(`k${(i * 31 + salt) % objects}`), 1n, G, { rounds, nonce: salt * 1_000_000 + i }),
  );
}

async function parallelScenario(quick) {
  const blocks = quick ? 3 : 6;
  const txs = quick ? 1000 : 2000;
  const seq = new ScopeExecutor({ programs });
  const par = new ScopeExecutor({ programs });
  const runner = new WorkerWaveRunner({
    programsModule,
    programsExport: 'examplePrograms',
    programs,
    threads: 1,
  });
  let seqMs = 0;
  let parMs = 0;
  try {
    // Warm both paths (JIT, worker start-up) on a block that is not measured.
    const warm = counterBlock(200, 50, 50, 999);
    seq.executeBlock(1n, warm);
    await par.executeBlockParallel(1n, warm, runner);
    for (let b = 0; b < blocks; b++) {
      const block = counterBlock(txs, 500, 150, b);
      const h = BigInt(b + 2);
      let a;
      seqMs += ms(() => {
        a = seq.executeBlock(h, block);
      });
      const t = process.hrtime.bigint();
      const p = await par.executeBlockParallel(h, block, runner);
      parMs += Number(process.hrtime.bigint() - t) / 1e6;
      if (Buffer.compare(Buffer.from(a.root), Buffer.from(p.root)) !== 0)
        throw new Error('parallel root differs');
    }
  } finally {
    await runner.close();
  }
  const count = blocks * txs;
  return {
    txs: count,
    sequentialTxPerS: (count / seqMs) * 1000,
    parallelTxPerS: (count / parMs) * 1000,
    speedup: seqMs / parMs,
  };
}

function followerScenario(quick) {
  const blocks = quick ? 5 : 20;
  const txs = 1000;
  const oracle = keyPairFromSeed('ed25519', new Uint8Array(32).fill(3));
  const feed = oracleFeedId(oracle.publicKey, utf8('KAS/USD'));
  const full = new ScopeExecutor({ programs });
  const pair = examplePrograms.find((p) => p.name === 'pair');
  full.follow(pair.ref);
  const follower = new ScopeFollower({ program: pair.ref, programs });
  let fullMs = 0;
  let followMs = 0;
  let executed = 0;
  let seq = 0n;
  let n = 0;
  for (let b = 0; b < blocks; b++) {
    const block = [];
    for (let i = 0; i < txs; i++) {
      if (i % 10 === 0) block.push(pairSwapTx(pairPoolId(`pool${(i / 10) % 10}`), feed, BigInt(1 + n++), G));
      else if (i % 50 === 1)
        block.push(
          oracleUpdateTx(oracle.publicKey, 'KAS/USD', 1_000_000n + BigInt(n++), G, {
            index: { kind: 'exact', seq: seq++ },
          }),
        );
      else block.push(counterTx(counterId(`z${i % 300}`), 1n, G, { rounds: 20, nonce: n++ }));
    }
    const h = BigInt(b + 1);
    if (b >= 2) full.advanceProven(h - 2n);
    fullMs += ms(() => full.executeBlock(h, block));
    const fb = full.takeFollowerBlock(pair.ref, h);
    followMs += ms(() => {
      executed += follower.applyBlock(fb).executed.length;
    });
  }
  const mine = [...full.table.values()].filter(
    (v) => Buffer.compare(Buffer.from(v.state.program), Buffer.from(pair.ref)) === 0,
  ).length;
  if (follower.objects().size !== mine) throw new Error('follower lost objects');
  return {
    blocks,
    txsPerBlock: txs,
    fullMsPerBlock: fullMs / blocks,
    followerMsPerBlock: followMs / blocks,
    followerExecutedPerBlock: executed / blocks,
    ratio: fullMs / followMs,
    gasExecuted: follower.gasExecuted,
    scopeGasPaid: follower.scopeGasPaid,
  };
}

/**
 * A domain with programs seals blocks of counter transactions (distinct counters, 50 metered hash
 * rounds each); a receiver accepts each block's root update in full mode, re-executing the scoped
 * transactions from the witness. Seal time includes the domain's tree work and signing; verify
 * time includes decoding the update, every signature and proof check and the re-execution.
 */
async function receiverScenario(quick) {
  const blocks = quick ? 5 : 20;
  const perBlock = quick ? 50 : 200;
  let t = 1_700_000_000_000n;
  const domain = await Domain.create({
    name: 'bench-scoped',
    signers: [keyPairFromSeed('secp256k1', new Uint8Array(32).fill(4))],
    clock: () => (t += 1000n),
    programs,
  });
  const gas = { localGas: 100_000n, scopeGas: 1_000_000n };
  let sealMs = 0;
  let n = 0;
  for (let b = 0; b < blocks; b++) {
    const txs = [];
    for (let i = 0; i < perBlock; i++) {
      const st = counterTx(counterId(`r${(n * 7) % (perBlock * 3)}`), 1n, gas, { rounds: 50, nonce: n++ });
      txs.push(
        withScope(
          { actions: [], appData: new Uint8Array(), signatures: [] },
          { declaration: st.declaration, calls: st.calls },
          domain.id,
        ),
      );
    }
    await domain.submitMany(txs);
    const t0 = process.hrtime.bigint();
    await domain.sealBlock();
    sealMs += Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const bytes = [];
  for (let h = 1n; h <= BigInt(blocks); h++) {
    const block = domain.block(h);
    const scopeWitness = scopeWitnessOf(domain, block);
    bytes.push(
      encodeRootUpdate(rootUpdateFromBlock(block, domain.header(h), { withTxs: true, scopeWitness })),
    );
  }
  let view = trustRemote(domain.header(0n), domain.keySet, { mode: 'full' });
  const scopes = new ScopeHistory(programs);
  const verifyMs = ms(() => {
    for (const b of bytes) view = acceptRootUpdate(view, decodeRootUpdate(b), 'full', { scopes }).view;
  });
  if (view.head.header.height !== BigInt(blocks)) throw new Error('the receiver did not follow');
  const witnessBytes = bytes.reduce((a, b) => a + b.length, 0) / blocks;
  return {
    blocks,
    txsPerBlock: perBlock,
    sealMsPerBlock: sealMs / blocks,
    verifyMsPerBlock: verifyMs / blocks,
    ratio: verifyMs / sealMs,
    updateBytesPerBlock: witnessBytes,
  };
}

export async function run(flags = []) {
  const quick = flags.includes('--quick');
  console.log('scope computation (same scope of 10 transactions, growing unproven DAG):');
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  scopeScenario(1_000); // warm-up: the first run pays for the JIT
  const scopes = sizes.map((n) => scopeScenario(n));
  table(
    ['unproven vertices', 'scope txs', 'µs per scope'],
    scopes.map((s) => [fmt(s.vertices), s.scopeTxs, fmt(s.usPerScope, 2)]),
  );
  const growth = scopes.at(-1).usPerScope / scopes[0].usPerScope;
  console.log(
    `time at ${fmt(scopes.at(-1).vertices)} / time at ${fmt(scopes[0].vertices)} vertices: ${fmt(growth, 2)}x (DAG grew ${fmt(scopes.at(-1).vertices / scopes[0].vertices)}x)`,
  );

  console.log('\nscope computation (10,000 unproven vertices, growing scope):');
  const chains = [10, 100, 1000].map((chain) => scopeScenario(10_000, chain));
  table(
    ['unproven vertices', 'scope txs', 'µs per scope', 'µs per scope tx'],
    chains.map((s) => [fmt(s.vertices), s.scopeTxs, fmt(s.usPerScope, 2), fmt(s.usPerScope / s.scopeTxs, 3)]),
  );

  console.log('\nparallel waves against in-order execution (counter transactions, 150 hash rounds each):');
  const parallel = await parallelScenario(quick);
  table(
    ['transactions', 'in order tx/s', 'waves, 2 cores tx/s', 'speed-up'],
    [
      [
        fmt(parallel.txs),
        fmt(parallel.sequentialTxPerS),
        fmt(parallel.parallelTxPerS),
        `${fmt(parallel.speedup, 2)}x`,
      ],
    ],
  );

  console.log('\nfollower of the pair program (10% of transactions) against full re-execution:');
  const follower = followerScenario(quick);
  table(
    ['blocks', 'full ms/block', 'follower ms/block', 'follower executes/block', 'full / follower'],
    [
      [
        follower.blocks,
        fmt(follower.fullMsPerBlock, 2),
        fmt(follower.followerMsPerBlock, 2),
        fmt(follower.followerExecutedPerBlock, 1),
        `${fmt(follower.ratio, 1)}x`,
      ],
    ],
  );
  console.log(
    `follower gas executed ${fmt(follower.gasExecuted)} <= scope gas paid ${fmt(follower.scopeGasPaid)}`,
  );
  console.log('\nfull-mode receiver re-executing scoped blocks from their witness, against the seal:');
  const receiver = await receiverScenario(quick);
  table(
    ['blocks', 'txs/block', 'seal ms/block', 'verify ms/block', 'verify / seal', 'update bytes/block'],
    [
      [
        receiver.blocks,
        receiver.txsPerBlock,
        fmt(receiver.sealMsPerBlock, 2),
        fmt(receiver.verifyMsPerBlock, 2),
        `${fmt(receiver.ratio, 2)}x`,
        fmt(receiver.updateBytesPerBlock),
      ],
    ],
  );
  // The machine is shared: the load average says how much of two cores the parallel run had.
  const loadAverage = os.loadavg();
  console.log(`load average during the run: ${loadAverage.map((l) => fmt(l, 2)).join(' ')}`);
  writeResults(quick ? 'scope-quick' : 'scope', {
    scopes,
    scopeGrowth: growth,
    chains,
    parallel,
    follower,
    receiver,
    loadAverage,
  });
}
