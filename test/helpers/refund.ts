// Fixtures for deadline and refund tests: a clock the test moves by hand, domains (in memory or
// LMDB-backed) reading it, header sync by hand, and the steps of a transfer with a deadline —
// move, claim, refund — built the way a driver builds them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyPair } from '../../src/crypto/index.js';
import { Domain } from '../../src/domain/index.js';
import { commitment, nullifier, type Random, rehome } from '../../src/resource/index.js';
import { type DurableNode, openDomainNode } from '../../src/store/index.js';
import {
  planRefund,
  planTransfer,
  type TransferPlan,
  withRefundWitness,
  withSourceProof,
} from '../../src/transfer/index.js';
import { type Consumed, decodeHeight, signTransaction, type Transaction } from '../../src/tx/index.js';
import { seededRandom } from '../support.js';
import { alice, type Coin, key } from './domain.js';

/** Genesis time of every domain here (ms). */
export const T0 = 1_700_000_000_000n;

/** A clock only the test moves. */
export class ManualClock {
  constructor(public ms: bigint = T0) {}
  readonly read = (): bigint => this.ms;
  advance(ms: bigint): bigint {
    this.ms += ms;
    return this.ms;
  }
}

export function operatorKey(name: string): KeyPair {
  return key('secp256k1', `${name}/operator`);
}

/** An in-memory domain on `clock`, signed by its operator key. */
export function clockedDomain(name: string, clock: ManualClock): Promise<Domain> {
  return Domain.create({ name, signers: [operatorKey(name)], clock: clock.read, genesisTimestamp: T0 });
}

/** Temporary directories for LMDB nodes, removed by `cleanup`. */
export class TempDirs {
  private readonly dirs: string[] = [];
  make(prefix = 'weft-refund-'): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** Opens (creating when asked) an LMDB-backed domain node on `clock`. */
export function openNode(
  dir: string,
  name: string,
  clock: ManualClock,
  create = false,
): Promise<DurableNode> {
  return openDomainNode(dir, {
    signers: [operatorKey(name)],
    clock: clock.read,
    ...(create ? { create: { name, genesisTimestamp: T0 } } : {}),
  });
}

/** `to` accepts every header of `from` above the one it holds (the sync layer's job, done by hand). */
export async function syncHeaders(from: Domain, to: Domain): Promise<void> {
  const have = to.remoteHeader(from.id)?.height ?? 0n;
  for (let h = have + 1n; h <= from.committedHeight; h++) await to.acceptRemoteHeader(from.header(h)!.header);
}

/** A transfer with a deadline, planned, its move included on `from`. */
export type Moving = { plan: TransferPlan; moveHeight: bigint; deadline: bigint };

export async function move(
  from: Domain,
  to: Domain,
  coin: Coin,
  deadline: bigint | undefined,
  random: Random = seededRandom('move'),
  owner: KeyPair = alice,
): Promise<Moving> {
  const plan =
    deadline === undefined
      ? await planWithoutDeadline(from, to, coin, owner, random)
      : await planTransfer({ from, to, resource: coin, owner, random, deadline });
  const r = await from.submit(plan.move);
  if (r.status.status !== 'pending') throw new Error(`move refused: ${JSON.stringify(r.status)}`);
  await from.sealBlock();
  const st = from.status(r.txId);
  if (st?.status !== 'included') throw new Error('the move was not included');
  return { plan, moveHeight: st.height, deadline: deadline ?? -1n };
}

/**
 * A move and claim whose moved copy has no deadline, signed by hand: `planTransfer` always gives
 * one now, but a resource moved before that (or by another planner) may have none.
 */
async function planWithoutDeadline(
  from: Domain,
  to: Domain,
  coin: Coin,
  owner: KeyPair,
  random: Random,
): Promise<TransferPlan> {
  const p = from.proveCommitment(commitment(coin.resource));
  const moved = rehome(coin, to.id, random);
  const landed = rehome(moved, to.id, random);
  const spend = (consumed: Consumed, made: typeof moved, executor: Uint8Array) =>
    signTransaction(
      {
        actions: [
          {
            consumed: [consumed],
            created: [{ resource: made.resource, value: made.value, label: made.label }],
          },
        ],
        appData: new Uint8Array(),
        signatures: [],
        executor,
      },
      [owner],
    );
  const move = spend(
    { ...coin, commitmentProof: { anchor: p.root, height: decodeHeight(p.value!), proof: p.proof } },
    moved,
    from.id,
  );
  const claim = spend({ ...moved, nk: coin.nk, commitmentProof: null }, landed, to.id);
  return { move, claim, moved: { ...moved, nk: coin.nk } };
}

/** The claim with its commitment proof under the source root at `height` (default: the move's), as the driver fills it. */
export function claimOf(m: Moving, from: Domain, height = m.moveHeight): Transaction {
  const p = from.proveCommitment(commitment(m.plan.moved.resource), height);
  return withSourceProof(m.plan.claim, { height: decodeHeight(p.value!), root: p.root, proof: p.proof });
}

/** The moved resource's nullifier. */
export function movedNullifier(m: Moving): Uint8Array {
  return nullifier(m.plan.moved.resource, m.plan.moved.nk);
}

/**
 * The refund of a move, signed by its owner, its witness naming `to`'s header at `height` with
 * `to`'s proof for the moved nullifier there (an absence proof, or a membership proof if claimed).
 * The commitment proof is left to the source (network form) unless `proven`.
 */
export function refundOf(
  m: Moving,
  from: Domain,
  to: Domain,
  height: bigint,
  opts: { proven?: boolean; random?: Random } = {},
): Transaction {
  const tx = planRefund({
    moved: m.plan.moved,
    source: from.id,
    owner: alice,
    random: opts.random ?? seededRandom('refund'),
  });
  const proof = to.proveNullifier(movedNullifier(m), height).proof;
  if (!opts.proven) return withRefundWitness(tx, { refund: { height, proof } });
  const p = from.proveCommitment(commitment(m.plan.moved.resource));
  return withRefundWitness(tx, {
    commitmentProof: { anchor: p.root, height: decodeHeight(p.value!), proof: p.proof },
    refund: { height, proof },
  });
}

/** The resource a refund gives back, as a coin spendable on the source. */
export function refunded(tx: Transaction, m: Moving): Coin {
  const c = tx.actions[0]!.created[0]!;
  return { resource: c.resource, value: c.value, label: c.label, nk: m.plan.moved.nk };
}

/** The first header of `of` the `at` domain accepted whose timestamp is past `deadline`. */
export function headerPast(at: Domain, of: Domain, deadline: bigint): bigint | undefined {
  return at.remoteHeaders(of.id).find((h) => h.timestamp > deadline)?.height;
}
