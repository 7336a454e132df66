// `npm run bench -- sync`: verification time per root update in each mode (signatures,
// transition, full) for blocks of 1,000 transactions — a block of 1,000 mints and a block of
// 1,000 signed one-in/one-out transfers — plus the update's encoded size and codec time, and full
// mode with transaction signatures checked ahead on worker threads.
import { SignatureVerifierPool } from '../dist/crypto/index.js';
import { Domain } from '../dist/domain/index.js';
import {
  acceptRootUpdate,
  decodeRootUpdate,
  encodeRootUpdate,
  rootUpdateFromBlock,
  trustRemote,
} from '../dist/sync/index.js';
import { preverifySignatures } from '../dist/tx/index.js';
import { fmt, table, writeResults } from './lib.mjs';
import { BLOCK_TXS, coinFactory, fund, key, seeded, transfers as transferTxs } from './workload.mjs';

/** A domain whose block 1 mints 1,000 coins and block 2 transfers each of them once. */
export async function buildBlocks(ownerType) {
  const issuer = key('ed25519', 'issuer');
  const domain = await Domain.create({
    name: `sync-bench-${ownerType}`,
    signers: [key('secp256k1', 'sync-operator')],
    limits: { batchTxsMax: 250, blockBatchesMax: 4, mempoolTxsMax: 100_000 },
  });
  const coin = coinFactory(domain, seeded(`sync-bench/${ownerType}`), issuer);
  const owners = Array.from({ length: 64 }, (_, i) => key(ownerType, `owner-${i}`));
  const funded = await fund(domain, coin, issuer, owners, BLOCK_TXS);
  await expectAllPending(domain.submitMany(transferTxs(domain, coin, funded, owners)));
  await domain.sealBlock();
  if (domain.committedHeight !== 2n || domain.block(2n).txs.length !== BLOCK_TXS) {
    throw new Error('expected two blocks of 1,000 transactions');
  }
  return domain;
}

async function expectAllPending(p) {
  const r = await p;
  const refused = r.filter((x) => x.status.status !== 'pending');
  if (refused.length > 0) throw new Error(`refused: ${JSON.stringify(refused[0].status)}`);
}

/** Median and max of `runs` timings of `fn` after `warmup` untimed calls, in ms. */
function measure(fn, runs, warmup = 1) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], minMs: times[0], maxMs: times[times.length - 1] };
}

async function scenario(ownerType, runs) {
  const domain = await buildBlocks(ownerType);
  const genesis = trustRemote(domain.header(0n), domain.keySet);
  const update = (h) => rootUpdateFromBlock(domain.block(h), domain.header(h), { withTxs: true });
  const u1 = update(1n);
  const u2 = update(2n);
  // The view that has accepted the mint block: the starting point for the transfer block.
  const v1 = acceptRootUpdate(genesis, u1, 'full').view;
  const rows = [];
  for (const [label, view, u] of [
    ['mints', genesis, u1],
    ['transfers', v1, u2],
  ]) {
    const bytes = encodeRootUpdate(u);
    const enc = measure(() => encodeRootUpdate(u), runs);
    const dec = measure(() => decodeRootUpdate(bytes), runs);
    const modes = {};
    for (const mode of ['signatures', 'transition', 'full']) {
      modes[mode] = measure(
        () => acceptRootUpdate(view, u, mode),
        mode === 'full' ? Math.max(3, runs >> 1) : runs,
      );
    }
    // Full mode with the transactions' signatures checked ahead on two worker threads.
    const pool = SignatureVerifierPool.create({ threads: 2 });
    const pooled = [];
    for (let i = 0; i < Math.max(3, runs >> 1); i++) {
      const t0 = performance.now();
      const signatureResults = await preverifySignatures(u.txs, pool);
      acceptRootUpdate(view, u, 'full', { signatureResults });
      pooled.push(performance.now() - t0);
    }
    await pool.close();
    pooled.sort((a, b) => a - b);
    rows.push({
      ownerType,
      block: label,
      txs: u.txs.length,
      writes: u.writes.length,
      updateBytes: bytes.length,
      encodeMs: enc.medianMs,
      decodeMs: dec.medianMs,
      signaturesMs: modes.signatures.medianMs,
      transitionMs: modes.transition.medianMs,
      fullMs: modes.full.medianMs,
      fullPooledMs: pooled[Math.floor(pooled.length / 2)],
    });
  }
  return rows;
}

export async function run(flags = []) {
  const quick = flags.includes('--quick');
  const runs = quick ? 3 : 11;
  const results = [];
  for (const ownerType of ['ed25519', 'secp256k1']) {
    process.stdout.write(`building blocks of ${BLOCK_TXS} transactions (${ownerType} owners)... `);
    const rows = await scenario(ownerType, runs);
    results.push(...rows);
    console.log('done');
  }
  console.log(
    `\nverification time per root update (median of ${runs} runs; full: at least 3), blocks of ${BLOCK_TXS} transactions\n`,
  );
  table(
    [
      'owners',
      'block',
      'writes',
      'update KiB',
      'decode ms',
      'signatures ms',
      'transition ms',
      'full ms',
      'full, 2 sig workers ms',
    ],
    results.map((r) => [
      r.ownerType,
      r.block,
      fmt(r.writes),
      fmt(r.updateBytes / 1024, 0),
      fmt(r.decodeMs, 1),
      fmt(r.signaturesMs, 2),
      fmt(r.transitionMs, 1),
      fmt(r.fullMs, 1),
      fmt(r.fullPooledMs, 1),
    ]),
  );
  const t = results.find((r) => r.ownerType === 'ed25519' && r.block === 'transfers');
  console.log(
    `\ntransfers, ed25519: full verification ${fmt((t.txs / t.fullMs) * 1000)} tx/s on one core; transition ${fmt((t.writes / t.transitionMs) * 1000)} writes/s`,
  );
  writeResults(quick ? 'sync-quick' : 'sync', { blockTxs: BLOCK_TXS, runs, results });
}
