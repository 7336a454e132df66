// Fixtures for sync tests: honest domains that seal blocks of real transfers, root updates built
// from their blocks, and a Byzantine operator who holds a domain's signing key and forges blocks
// on a replica of its tree (any writes, valid transition proofs, properly signed headers).
import { equalBytes, type KeyPair, signRecoverable } from '../../src/crypto/index.js';
import {
  type Domain,
  headerHash,
  type KeySet,
  keySetChangeDigest,
  makeKeySet,
  type SignedHeader,
  signHeader,
  txRoot,
} from '../../src/domain/index.js';
import { Smt, type Write } from '../../src/smt/index.js';
import {
  exclusionsOf,
  type RootUpdate,
  recordedHeaders,
  rootUpdateFromBlock,
  trustRemote,
} from '../../src/sync/index.js';
import { type Transaction, txId } from '../../src/tx/index.js';
import { alice, bob, type Coin, key, makeDomain, Wallet } from './domain.js';

/** The operator key `makeDomain(name)` signs with. */
export function operatorOf(name: string): KeyPair {
  return key('secp256k1', `${name}/operator`);
}

/** A domain with a wallet, and the coins alice holds on it. */
export type Chain = { domain: Domain; wallet: Wallet; coins: Coin[] };

/** A domain that has minted `mints` coins to alice (one block each). */
export async function chain(
  name: string,
  mints = 1,
  opts: Parameters<typeof makeDomain>[1] = {},
): Promise<Chain> {
  const domain = await makeDomain(name, opts);
  const wallet = new Wallet(domain);
  const coins: Coin[] = [];
  for (let i = 0; i < mints; i++) coins.push(await wallet.mint(alice.publicKey, 100n));
  return { domain, wallet, coins };
}

/** Seals one block holding a transfer of alice's first coin to bob (change back to alice). */
export async function sealTransfer(c: Chain, amount = 10n): Promise<SignedHeader> {
  const coin = c.coins.shift();
  if (!coin) throw new Error('no coin left to transfer');
  const { tx, change } = c.wallet.transferTx(coin, alice, bob.publicKey, amount);
  const r = await c.domain.submit(tx);
  if (r.status.status !== 'pending') throw new Error(`transfer refused: ${JSON.stringify(r.status)}`);
  if (change) c.coins.push(change);
  return c.domain.sealBlock();
}

/** The root update of `domain`'s block at `height` (with its transactions by default). */
export function updateAt(domain: Domain, height: bigint, withTxs = true): RootUpdate {
  const block = domain.block(height);
  const signed = domain.header(height);
  if (!block || !signed) throw new Error(`no block at height ${height}`);
  return rootUpdateFromBlock(block, signed, {
    withTxs,
    ...(withTxs
      ? { remoteHeaders: recordedHeaders(domain, block), exclusions: exclusionsOf(domain, block) }
      : {}),
  });
}

/** Updates for heights from..to inclusive. */
export function updatesFrom(domain: Domain, from: bigint, to: bigint = domain.committedHeight): RootUpdate[] {
  const out: RootUpdate[] = [];
  for (let h = from; h <= to; h++) out.push(updateAt(domain, h));
  return out;
}

/** A replica of `domain`'s tree as it was after block `height`, rebuilt from the blocks' writes. */
export async function replicaAt(domain: Domain, height: bigint): Promise<Smt> {
  const smt = Smt.inMemory();
  for (let h = 0n; h <= height; h++) {
    const writes = domain.block(h)!.writes;
    if (writes.length > 0) await smt.apply(writes);
  }
  const want = domain.header(height)!.header.stateRoot;
  if (Buffer.compare(smt.root(), want) !== 0) throw new Error('replica does not match the domain');
  return smt;
}

/**
 * A block forged on top of `domain`'s block at `parent`: whatever `writes` and `txs` the forger
 * likes, a transition proof that really takes the parent root to the new root, a txRoot over
 * `txs`, and a header signed by `signers` (default: the domain's operator) under `keySet`.
 */
export async function forge(
  domain: Domain,
  parent: bigint,
  opts: {
    writes: Write[];
    txs?: Transaction[];
    signers?: KeyPair[];
    keySet?: KeySet;
    timestampMs?: bigint;
    parentHeader?: SignedHeader;
  },
): Promise<RootUpdate> {
  const prev = opts.parentHeader ?? domain.header(parent)!;
  const smt = await replicaAt(domain, parent);
  const txs = opts.txs ?? [];
  const { root, transition } =
    opts.writes.length > 0
      ? await smt.apply(opts.writes, { proveTransition: true })
      : { root: smt.root(), transition: { steps: [] } };
  const header = {
    domain: domain.id,
    height: prev.header.height + 1n,
    prevHash: headerHash(prev.header),
    stateRoot: root,
    txRoot: txRoot(txs.map((t) => txId(t))),
    timestamp: opts.timestampMs ?? prev.header.timestamp + 1000n,
  };
  const keySet = opts.keySet ?? domain.keySet;
  const signatures = signHeader(header, keySet, opts.signers ?? [operatorOf(domain.name)]);
  return { signed: { header, signatures }, writes: opts.writes, transition: transition!, txs };
}

/** A deep snapshot for "unchanged" assertions (Maps and bigints kept comparable). */
export function snapshot<T>(value: T): T {
  return structuredClone(value);
}

/**
 * A 3-of-3 domain {op, n1, n2} that hands over to the 2-of-2 {n1, n2} at height 2 (block 2 records
 * the new set, signed by the old), then seals `after` more blocks signed by the new set; `view` is
 * a fresh view of it from genesis under the old set.
 */
export async function rotatingDomain(name: string, after = 2) {
  const op = key('secp256k1', `${name}/op`);
  const next = [key('secp256k1', `${name}/n1`), key('secp256k1', `${name}/n2`)];
  const signers = [op, ...next];
  const domain = await makeDomain(name, { signers });
  const oldSet = domain.keySet;
  const newSet = makeKeySet(
    2,
    next.map((k) => k.publicKey),
  );
  await domain.sealBlock(); // 1
  const digest = keySetChangeDigest(domain.id, domain.committedHeight + 1n, newSet);
  const approvals = signers.map((k) => ({
    signer: oldSet.keys.findIndex((x) => equalBytes(x.bytes, k.publicKey.bytes)),
    signature: signRecoverable(k, digest),
  }));
  await domain.changeKeySet(newSet, approvals);
  for (let i = 0; i <= after; i++) await domain.sealBlock(); // 2, then the new set's
  return { domain, oldSet, newSet, op, signers, view: trustRemote(domain.header(0n)!, oldSet) };
}
