// The domain bound `weft demo` compares its transfers/s with (issue 17.2): one domain's admission
// and sealing rate, measured in the same run, on the same kind of store, halved because a
// transfer is two transactions on two domains.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyPair } from '../crypto/index.js';
import type { Domain } from '../domain/index.js';
import { commitment, type ResourceParts } from '../resource/index.js';
import { openDomainNode } from '../store/index.js';
import {
  acceptRootUpdate,
  answerHeaderRequest,
  decodeRootUpdate,
  encodeRootUpdate,
  type RootUpdate,
  trustRemote,
} from '../sync/index.js';
import { decodeHeight, mintTx, signTransaction, type Transaction } from '../tx/index.js';

/** Transactions timed for the bound: two blocks' worth, a fraction of a second on one core. */
export const DEMO_BOUND_TXS = 2_000;
/** Transactions per submission and per block, as a busy demo domain seals them. */
const BOUND_CHUNK_TXS = 1_000;
/** The target of issue 17.2: the demo's transfers/s over the bound. */
export const DEMO_BOUND_RATIO_MIN = 0.5;
/** Transactions per transfer: the move on its source and the claim on its destination. */
const TXS_PER_TRANSFER = 2;

export type DomainBound = {
  /** signed one-in/one-out token transfers timed on one domain */
  transactions: number;
  seconds: number;
  /** the domain's admitted and sealed transactions per second */
  domainTxPerSecond: number;
  /** domainTxPerSecond ÷ 2: the transfers/s a pair of such domains could carry at best */
  transfersPerSecondBound: number;
  /**
   * The same blocks verified by a `full`-mode follower (their root updates decoded and accepted,
   * every transaction re-validated, signatures inline): transactions per second. Absent when not
   * measured (`followerFull: false`).
   */
  fullFollowerTxPerSecond?: number;
  /**
   * What `full` mode allows at best when each block is verified in full by `followers` domains
   * (every other domain under `everyone`; a ring demo's two neighbours under `interested`): a
   * transfer costs two admissions and 2 × followers follower validations against the bound's two
   * admissions, so the ratio to the bound cannot pass
   * 1 ÷ (1 + followers × domainTxPerSecond ÷ fullFollowerTxPerSecond), even if everything else
   * (planning, the driver, announcing, storing) were free.
   */
  fullModeCap?: number;
};

export type MeasureDomainBoundParameters = {
  /** the demo domains' operator key (secp256k1) */
  operator: KeyPair;
  /** the token's issuer and the owners the coins go around (ed25519, as in the demo) */
  issuer: KeyPair;
  owners: KeyPair[];
  random: (n: number) => Uint8Array;
  transactions?: number;
  /** also time a full-mode follower of the timed blocks and give `fullModeCap` for this many followers of each block */
  followerFull?: { followers: number };
};

/**
 * Times `transactions` signed one-in/one-out transfers through `submitMany` and `sealBlock` on a
 * fresh durable (LMDB) domain configured as the demo's, signatures checked inline as theirs are;
 * the coins are minted first, outside the timing. The next chunk is submitted while the current
 * one seals, as the domain bench does. The store lives in a temporary directory, removed after.
 *
 * @example
 * const b = await measureDomainBound({ operator, issuer, owners, random });
 * console.log(`${b.transfersPerSecondBound} transfers/s at best`);
 */
export async function measureDomainBound(p: MeasureDomainBoundParameters): Promise<DomainBound> {
  const count = p.transactions ?? DEMO_BOUND_TXS;
  if (!Number.isInteger(count) || count < 1) throw new Error('transactions must be a positive integer');
  if (p.owners.length < 2) throw new Error('the bound needs at least two owners');
  const dir = mkdtempSync(join(tmpdir(), 'weft-demo-bound-'));
  const node = await openDomainNode(join(dir, 'bound'), {
    signers: [p.operator],
    create: { name: 'bound', limits: { mempoolTxsMax: 200_000 } },
  });
  try {
    const domain = node.domain;
    const coins: { coin: ResourceParts & { nk: Uint8Array }; owner: number }[] = [];
    for (let start = 0; start < count; start += BOUND_CHUNK_TXS) {
      const mints: Transaction[] = [];
      for (let i = start; i < Math.min(count, start + BOUND_CHUNK_TXS); i++) {
        const owner = i % p.owners.length;
        const m = mintTx({
          issuer: p.issuer,
          symbol: 'WEFT',
          owner: p.owners[owner]!.publicKey,
          quantity: 1n,
          home: domain.id,
          random: p.random,
        });
        coins.push({ coin: m.coin, owner });
        mints.push(m.tx);
      }
      await admitAll(domain, mints);
      while (domain.mempoolSize > 0) await domain.sealBlock();
    }
    const mintedHeight = domain.committedHeight;
    const txs = coins.map(({ coin, owner }) => {
      const proof = domain.proveCommitment(commitment(coin.resource));
      const next = p.owners[(owner + 1) % p.owners.length]!;
      const out = mintTx({
        issuer: p.issuer,
        symbol: 'WEFT',
        owner: next.publicKey,
        quantity: coin.resource.quantity,
        home: domain.id,
        random: p.random,
      }).coin;
      return signTransaction(
        {
          actions: [
            {
              consumed: [
                {
                  resource: coin.resource,
                  value: coin.value,
                  label: coin.label,
                  nk: coin.nk,
                  commitmentProof: {
                    anchor: proof.root,
                    height: decodeHeight(proof.value!),
                    proof: proof.proof,
                  },
                },
              ],
              created: [{ resource: out.resource, value: out.value, label: out.label }],
            },
          ],
          appData: new Uint8Array(),
          signatures: [],
        },
        [p.owners[owner]!],
      );
    });
    const start = performance.now();
    let inflight = admitAll(domain, txs.slice(0, BOUND_CHUNK_TXS));
    for (let k = BOUND_CHUNK_TXS; ; k += BOUND_CHUNK_TXS) {
      const next = k < txs.length ? admitAll(domain, txs.slice(k, k + BOUND_CHUNK_TXS)) : null;
      await inflight;
      await domain.sealBlock();
      if (next === null) break;
      inflight = next;
    }
    while (domain.mempoolSize > 0) await domain.sealBlock();
    const seconds = (performance.now() - start) / 1000;
    const domainTxPerSecond = txs.length / seconds;
    const bound: DomainBound = {
      transactions: txs.length,
      seconds: Math.round(seconds * 1000) / 1000,
      domainTxPerSecond: Math.round(domainTxPerSecond * 10) / 10,
      transfersPerSecondBound: Math.round((domainTxPerSecond / TXS_PER_TRANSFER) * 10) / 10,
    };
    if (p.followerFull) {
      const followerTxPerSecond = timeFullFollower(domain, mintedHeight);
      const others = p.followerFull.followers;
      bound.fullFollowerTxPerSecond = Math.round(followerTxPerSecond * 10) / 10;
      bound.fullModeCap =
        Math.round((1 / (1 + (others * domainTxPerSecond) / followerTxPerSecond)) * 1000) / 1000;
    }
    return bound;
  } finally {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Transactions per second a `full`-mode follower of `domain` verifies: the root updates of the
 * blocks after `fromHeight` as a follower receives them (encoded once, outside the timing, as the
 * sender does), each decoded and accepted in full (every transaction re-validated, signatures
 * inline) by a view that trusts the header at `fromHeight`.
 */
function timeFullFollower(domain: Domain, fromHeight: bigint): number {
  const updates: RootUpdate[] = answerHeaderRequest(domain, {
    domainId: domain.id,
    fromHeight: fromHeight + 1n,
    toHeight: domain.committedHeight,
    withTxs: true,
  });
  const bodies = updates.map(encodeRootUpdate);
  let view = trustRemote(domain.header(fromHeight)!, domain.keySet);
  let txs = 0;
  const start = performance.now();
  for (const body of bodies) {
    const u = decodeRootUpdate(body);
    view = acceptRootUpdate(view, u, 'full').view;
    txs += u.txs?.length ?? 0;
  }
  return txs / ((performance.now() - start) / 1000);
}

/** Submits `txs`; throws unless every one is admitted (the bound counts only admitted work). */
async function admitAll(domain: Domain, txs: Transaction[]): Promise<void> {
  const results = await domain.submitMany(txs);
  const refused = results.find((r) => r.status.status !== 'pending');
  if (refused) throw new Error(`the bound's transaction was refused: ${JSON.stringify(refused.status)}`);
}
