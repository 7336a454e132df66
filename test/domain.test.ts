import { describe, expect, it } from 'vitest';
import { equalBytes, toHex, WeftError } from '../src/crypto/index.js';
import {
  apply,
  checkSeal,
  cloneState,
  Domain,
  type DomainInput,
  encodeHeader,
  genesis,
  genesisWrites,
  headerHash,
  keySetChangeDigest,
  makeKeySet,
  planBlock,
  signHeader,
  txRoot,
  verifyHeaderSignatures,
} from '../src/domain/index.js';
import { builtinRegistry, commitment, domainId, nullifier } from '../src/resource/index.js';
import { Smt, transitionRoot, verifyProof, verifyTransition } from '../src/smt/index.js';
import { commitmentKey, encodeHeight, nullifierKey, signTransaction, txId } from '../src/tx/index.js';
import { alice, bob, carol, created, key, makeDomain, Wallet } from './helpers/domain.js';

/** A small domain configuration for driving the pure state machine directly. */
function smallConfig(name: string, id: Uint8Array, limit = 0) {
  const n = (v: number) => (limit > 0 ? limit : v);
  return {
    name,
    domainId: id,
    batchTxsMax: n(10),
    blockBatchesMax: n(2),
    mempoolTxsMax: n(100),
    anchorWindow: n(8),
    mempoolTtlBlocks: n(8),
    remoteRootsMax: n(8),
  };
}

describe('a domain seals signed blocks', () => {
  it('starts from a signed genesis header whose root holds only the key set', async () => {
    const d = await makeDomain('genesis');
    const g = d.header(0n)!;
    expect(g.header.height).toBe(0n);
    expect(equalBytes(g.header.prevHash, new Uint8Array(32))).toBe(true);
    expect(toHex(g.header.txRoot)).toBe(toHex(txRoot([])));
    expect(verifyHeaderSignatures(g, d.keySet)).toBe(true);
  });

  it('includes a transfer, and its commitments and nullifier are provable under the new root', async () => {
    const d = await makeDomain('transfer');
    const w = new Wallet(d);
    const coin = await w.mint(alice.publicKey, 100n);
    const { tx, out, change } = w.transferTx(coin, alice, bob.publicKey, 70n);
    const r = await d.submit(tx);
    expect(r.status).toEqual({ status: 'pending', sinceHeight: 1n });
    const signed = await d.sealBlock();
    expect(signed.header.height).toBe(2n);
    expect(verifyHeaderSignatures(signed, d.keySet)).toBe(true);
    expect(d.status(r.txId)).toEqual({ status: 'included', height: 2n, batch: 0, index: 0 });
    expect(toHex(signed.header.txRoot)).toBe(toHex(txRoot([r.txId])));
    expect(equalBytes(signed.header.prevHash, headerHash(d.header(1n)!.header))).toBe(true);

    for (const c of [out, change!]) {
      const p = d.proveCommitment(commitment(c.resource));
      expect(p.value).toEqual(encodeHeight(2n));
      expect(
        verifyProof(signed.header.stateRoot, commitmentKey(commitment(c.resource)), p.value, p.proof),
      ).toBe(true);
    }
    const nf = nullifier(coin.resource, coin.nk);
    const spent = d.proveNullifier(nf);
    expect(verifyProof(signed.header.stateRoot, nullifierKey(nf), encodeHeight(2n), spent.proof)).toBe(true);
    // At height 1 the nullifier was absent: an absence proof against that root.
    const before = d.proveNullifier(nf, 1n);
    expect(before.value).toBeNull();
    expect(verifyProof(d.header(1n)!.header.stateRoot, nullifierKey(nf), null, before.proof)).toBe(true);
  });

  it("a block's transition proof takes the previous root to its own, and fails under any change", async () => {
    const d = await makeDomain('transition');
    const w = new Wallet(d);
    const coin = await w.mint(alice.publicKey, 10n);
    await d.submit(w.transferTx(coin, alice, bob.publicKey, 4n).tx);
    await d.sealBlock();
    const block = d.block(2n)!;
    const prev = d.header(1n)!.header.stateRoot;
    expect(verifyTransition(prev, block.header.stateRoot, block.writes, block.transition)).toBe(true);
    const changedWrites = block.writes.map((x, i) =>
      i === 0 ? { key: x.key, value: encodeHeight(99n) } : x,
    );
    expect(verifyTransition(prev, block.header.stateRoot, changedWrites, block.transition)).toBe(false);
    expect(verifyTransition(prev, block.header.stateRoot, block.writes.slice(1), block.transition)).toBe(
      false,
    );
    const otherRoot = block.header.stateRoot.slice();
    otherRoot[3]! ^= 4;
    expect(verifyTransition(prev, otherRoot, block.writes, block.transition)).toBe(false);
    expect(
      verifyTransition(
        d.header(0n)!.header.stateRoot,
        block.header.stateRoot,
        block.writes,
        block.transition,
      ),
    ).toBe(false);
  });
});

describe('double spends: exactly one spend wins', () => {
  it('refuses a second spend in the same batch (the first is pending)', async () => {
    const d = await makeDomain('same-batch');
    const w = new Wallet(d);
    const coin = await w.mint(alice.publicKey, 10n);
    const a = await d.submit(w.transferTx(coin, alice, bob.publicKey, 5n).tx);
    const b = await d.submit(w.transferTx(coin, alice, carol.publicKey, 5n).tx);
    expect(a.status.status).toBe('pending');
    expect(b.status).toMatchObject({ status: 'rejected', code: 'NULLIFIER_PENDING' });
    await d.sealBlock();
    expect(d.status(a.txId)?.status).toBe('included');
    expect(d.status(b.txId)?.status).toBe('rejected');
  });

  it('refuses a spend across batches of one block', async () => {
    const d = await makeDomain('cross-batch', { limits: { batchTxsMax: 1, blockBatchesMax: 8 } });
    const w = new Wallet(d);
    const coins = [await w.mint(alice.publicKey, 10n), await w.mint(alice.publicKey, 11n)];
    const first = await d.submit(w.transferTx(coins[0]!, alice, bob.publicKey, 5n).tx);
    const other = await d.submit(w.transferTx(coins[1]!, alice, bob.publicKey, 5n).tx);
    const again = await d.submit(w.transferTx(coins[0]!, alice, carol.publicKey, 1n).tx);
    expect(again.status).toMatchObject({ status: 'rejected', code: 'NULLIFIER_PENDING' });
    await d.sealBlock();
    const block = d.block(d.committedHeight)!;
    expect(block.batches.length).toBe(2);
    expect(d.status(first.txId)).toMatchObject({ status: 'included', batch: 0 });
    expect(d.status(other.txId)).toMatchObject({ status: 'included', batch: 1 });
  });

  it('refuses a spend across blocks with NULLIFIER_SPENT', async () => {
    const d = await makeDomain('cross-block');
    const w = new Wallet(d);
    const coin = await w.mint(alice.publicKey, 10n);
    const proofAtMint = w.transferTx(coin, alice, carol.publicKey, 2n); // anchored before the spend
    await d.submit(w.transferTx(coin, alice, bob.publicKey, 5n).tx);
    await d.sealBlock();
    const late = await d.submit(proofAtMint.tx);
    expect(late.status).toMatchObject({ status: 'rejected', code: 'NULLIFIER_SPENT' });
    const fresh = await d.submit(w.transferTx(coin, alice, carol.publicKey, 3n, { height: 1n }).tx);
    expect(fresh.status).toMatchObject({ status: 'rejected', code: 'NULLIFIER_SPENT' });
  });

  it('lets exactly one of many concurrent submitters win', async () => {
    const d = await makeDomain('concurrent');
    const w = new Wallet(d);
    const coin = await w.mint(alice.publicKey, 100n);
    const txs = Array.from(
      { length: 12 },
      (_, i) => w.transferTx(coin, alice, bob.publicKey, BigInt(i + 1)).tx,
    );
    const results = await Promise.all(txs.map((tx) => d.submit(tx)));
    const winners = results.filter((r) => r.status.status === 'pending');
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r !== winners[0]) expect(r.status).toMatchObject({ status: 'rejected', code: 'NULLIFIER_PENDING' });
    }
    await d.sealBlock();
    expect(d.status(winners[0]!.txId)?.status).toBe('included');
  });
});

describe('local and network transactions', () => {
  it('fills in anchors and proofs for a network transaction; both forms share one id and end the same', async () => {
    const d = await makeDomain('network');
    const w = new Wallet(d);
    const coin = await w.mint(alice.publicKey, 40n);
    const net = w.transferTx(coin, alice, bob.publicKey, 15n, { network: true });
    expect(net.tx.actions[0]!.consumed[0]!.commitmentProof).toBeNull();
    const local = {
      ...net.tx,
      actions: [{ ...net.tx.actions[0]!, consumed: [w.consume(coin)] }],
    };
    expect(toHex(txId(net.tx))).toBe(toHex(txId(local))); // the owner's signature covers both
    const r = await d.submit(net.tx);
    expect(r.status.status).toBe('pending');
    expect(toHex(r.txId)).toBe(toHex(txId(local)));
    await d.sealBlock();
    expect(d.status(r.txId)?.status).toBe('included');
    const p = d.proveCommitment(commitment(net.out.resource));
    expect(p.value).not.toBeNull();
  });

  it('refuses a network transaction naming a resource the domain does not hold', async () => {
    const d = await makeDomain('network-ghost');
    const w = new Wallet(d);
    const ghost = w.coin(alice.publicKey, 5n); // never minted
    const { tx } = w.transferTx(ghost, alice, bob.publicKey, 5n, { network: true });
    const r = await d.submit(tx);
    expect(r.status).toMatchObject({ status: 'rejected', code: 'TX_MALFORMED' });
    expect((r.status as { reason: string }).reason).toMatch(/commitment proof/);
  });
});

describe('anchors, statuses and limits', () => {
  it('accepts anchors inside the window and refuses older ones with UNKNOWN_ANCHOR', async () => {
    // Every block changes the root (a mint each time), so old roots really are old.
    const sealWithChange = async (d: Awaited<ReturnType<typeof makeDomain>>, w: Wallet) => {
      await d.submit(w.mintTx(carol.publicKey, 1n).tx);
      await d.sealBlock();
    };
    const d = await makeDomain('window', { limits: { anchorWindow: 3 } });
    const w = new Wallet(d);
    const coin = await w.mint(alice.publicKey, 10n); // height 1
    await sealWithChange(d, w); // 2
    await sealWithChange(d, w); // 3: roots of 1..3 are in the window
    const inside = w.transferTx(coin, alice, bob.publicKey, 2n, { height: 1n });
    expect((await d.submit(inside.tx)).status.status).toBe('pending');

    const d2 = await makeDomain('window2', { limits: { anchorWindow: 3 } });
    const w2 = new Wallet(d2);
    const c2 = await w2.mint(alice.publicKey, 10n); // 1
    const stale = w2.transferTx(c2, alice, bob.publicKey, 1n, { height: 1n });
    for (let i = 0; i < 3; i++) await sealWithChange(d2, w2); // 4: the root of 1 fell out
    expect((await d2.submit(stale.tx)).status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    // The same spend anchored on the current root goes through.
    expect((await d2.submit(w2.transferTx(c2, alice, bob.publicKey, 1n).tx)).status.status).toBe('pending');
  });

  it('refuses duplicates of a pending or included transaction without changing its status', async () => {
    const d = await makeDomain('dup');
    const w = new Wallet(d);
    const coin = await w.mint(alice.publicKey, 10n);
    const { tx } = w.transferTx(coin, alice, bob.publicKey, 5n);
    const first = await d.submit(tx);
    expect((await d.submit(tx)).status).toEqual(first.status);
    await d.sealBlock();
    const again = await d.submit(tx);
    expect(again.status.status).toBe('included');
  });

  it('answers statuses as before the block while it is sealed (in memory), as after once it is', async () => {
    const d = await makeDomain('seal-reads');
    const w = new Wallet(d);
    const coins = [await w.mint(alice.publicKey, 10n), await w.mint(alice.publicKey, 11n)];
    const earlier = await d.submit(w.transferTx(coins[0]!, alice, bob.publicKey, 5n).tx);
    await d.sealBlock();
    const refused = await d.submit(w.transferTx(coins[0]!, alice, carol.publicKey, 5n).tx); // spent
    expect(refused.status.status).toBe('rejected');
    const pending = await d.submit(w.transferTx(coins[1]!, alice, bob.publicKey, 5n).tx);
    const before = [earlier, refused, pending].map((r) => d.status(r.txId));
    expect(before.map((s) => s?.status)).toEqual(['included', 'rejected', 'pending']);
    const sealing = d.sealBlock();
    let settled = false;
    void sealing.then(() => {
      settled = true;
    });
    let during = 0;
    for (let i = 0; i < 50 && !settled; i++) {
      if ((d as unknown as { sealing: unknown }).sealing !== null) {
        during++;
        expect([earlier, refused, pending].map((r) => d.status(r.txId))).toEqual(before);
      }
      await Promise.resolve();
    }
    await sealing;
    expect(during).toBeGreaterThan(0);
    expect(d.status(pending.txId)?.status).toBe('included');
    expect(d.status(earlier.txId)).toEqual(before[0]);
    expect(d.status(refused.txId)).toEqual(before[1]);
  });

  it('bounds the mempool with a clear MEMPOOL_FULL refusal', async () => {
    const d = await makeDomain('full', { limits: { mempoolTxsMax: 2 } });
    const w = new Wallet(d);
    const r = [];
    for (let i = 0; i < 3; i++) r.push(await d.submit(w.mintTx(alice.publicKey, BigInt(i + 1)).tx));
    expect(r.map((x) => x.status.status)).toEqual(['pending', 'pending', 'rejected']);
    expect(r[2]!.status).toMatchObject({ code: 'MEMPOOL_FULL' });
    expect((r[2]!.status as { reason: string }).reason).toMatch(/maximum of 2/);
  });

  it('evicts transactions that wait past the TTL, with a reason: no silent drops', async () => {
    const d = await makeDomain('ttl', {
      limits: { batchTxsMax: 1, blockBatchesMax: 1, mempoolTtlBlocks: 2 },
    });
    const w = new Wallet(d);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await d.submit(w.mintTx(alice.publicKey, BigInt(i + 1)).tx)).txId);
    for (let i = 0; i < 3; i++) await d.sealBlock();
    const statuses = ids.map((id) => d.status(id)!);
    expect(statuses.filter((s) => s.status === 'included')).toHaveLength(2);
    const evicted = statuses.filter((s) => s.status === 'evicted');
    expect(evicted).toHaveLength(2);
    for (const e of evicted) expect(e).toMatchObject({ code: 'EXPIRED' });
    expect(d.mempoolSize).toBe(0);
  });

  it('refuses a resource homed on another domain, and a created commitment that exists', async () => {
    const d = await makeDomain('home');
    const other = await makeDomain('elsewhere');
    const w = new Wallet(other);
    const foreign = await w.mint(alice.publicKey, 5n);
    const tx = signTransaction(
      {
        actions: [{ consumed: [w.consume(foreign)], created: [created(w.coin(bob.publicKey, 5n))] }],
        appData: new Uint8Array(),
        signatures: [],
      },
      [alice],
    );
    expect((await d.submit(tx)).status).toMatchObject({ status: 'rejected', code: 'WRONG_DOMAIN' });
    expect(equalBytes(d.id, domainId('home'))).toBe(true);
  });
});

describe('two tips, key sets and headers', () => {
  it('keeps the proven tip at or below the committed tip, only growing', async () => {
    const d = await makeDomain('tips');
    const proven: bigint[] = [];
    d.on('proven', (o) => proven.push(o.height));
    await d.sealBlock();
    await d.sealBlock();
    expect(d.committedHeight).toBe(2n);
    expect(d.provenHeight).toBe(2n);
    expect(proven).toEqual([1n, 2n]);
    const s = genesis(smallConfig('x', domainId('x'), 1), d.keySet, 0n);
    const env = { logics: builtinRegistry() };
    expect(() => apply(s, { type: 'markProven', height: 1n }, env)).toThrowError(/committed tip is 0/);
    expect(() => apply(s, { type: 'markProven', height: 0n }, env)).toThrowError(/not above the proven tip/);
  });

  it('needs t of n signatures on a header', async () => {
    const ops = [key('secp256k1', 'op1'), key('secp256k1', 'op2'), key('secp256k1', 'op3')];
    const ks = makeKeySet(
      2,
      ops.map((o) => o.publicKey),
    );
    const d = await makeDomain('tofn', { signers: ops });
    const h = d.header(0n)!.header;
    expect(verifyHeaderSignatures({ header: h, signatures: signHeader(h, ks, ops.slice(0, 2)) }, ks)).toBe(
      true,
    );
    expect(verifyHeaderSignatures({ header: h, signatures: signHeader(h, ks, ops.slice(0, 1)) }, ks)).toBe(
      false,
    );
    const dup = signHeader(h, ks, ops.slice(0, 1));
    expect(verifyHeaderSignatures({ header: h, signatures: [...dup, ...dup] }, ks)).toBe(false);
    const other = { ...h, timestamp: h.timestamp + 1n };
    expect(verifyHeaderSignatures({ header: other, signatures: signHeader(h, ks, ops) }, ks)).toBe(false);
  });

  it('changes the key set with approvals of the current set, from the block after next', async () => {
    const op = key('secp256k1', 'keyset/op');
    const next = [key('secp256k1', 'keyset/n1'), key('secp256k1', 'keyset/n2')];
    const d = await makeDomain('keyset', { signers: [op, ...next] });
    const oldSet = d.keySet;
    expect(oldSet.keys).toHaveLength(3);
    const newSet = makeKeySet(
      2,
      next.map((k) => k.publicKey),
    );
    const digest = keySetChangeDigest(d.id, d.committedHeight + 1n, newSet);
    const badApprovals = signHeader({ ...d.header(0n)!.header }, oldSet, [op]);
    await expect(d.changeKeySet(newSet, badApprovals)).rejects.toMatchObject({ code: 'BAD_SIGNATURES' });
    const { signRecoverable } = await import('../src/crypto/index.js');
    const approvals = [op, ...next].map((k) => ({
      signer: oldSet.keys.findIndex((x) => equalBytes(x.bytes, k.publicKey.bytes)),
      signature: signRecoverable(k, digest),
    }));
    await d.changeKeySet(newSet, approvals);
    const h1 = await d.sealBlock(); // records the change; signed by the old set
    expect(verifyHeaderSignatures(h1, oldSet)).toBe(true);
    const h2 = await d.sealBlock(); // signed by the new set
    expect(verifyHeaderSignatures(h2, newSet)).toBe(true);
    expect(verifyHeaderSignatures(h2, oldSet)).toBe(false);
  });

  it('encodes headers canonically: 145 bytes, and the hash changes with every field', async () => {
    const d = await makeDomain('enc');
    const h = d.header(0n)!.header;
    expect(encodeHeader(h).length).toBe(145);
    const variants = [
      { ...h, height: 1n },
      { ...h, timestamp: h.timestamp + 1n },
      { ...h, domain: domainId('other') },
      { ...h, prevHash: new Uint8Array(32).fill(1) },
      { ...h, stateRoot: new Uint8Array(32).fill(1) },
      { ...h, txRoot: new Uint8Array(32).fill(1) },
    ];
    const hashes = new Set([toHex(headerHash(h)), ...variants.map((v) => toHex(headerHash(v)))]);
    expect(hashes.size).toBe(7);
  });
});

describe('the pure state machine', () => {
  async function inputsAndDomain() {
    const d = await makeDomain('replay');
    const w = new Wallet(d);
    const inputs: DomainInput[] = [];
    const coin = await w.mint(alice.publicKey, 50n);
    const t1 = w.transferTx(coin, alice, bob.publicKey, 20n);
    return { d, w, coin, t1, inputs };
  }

  it('replaying the same inputs gives byte-identical headers and roots', async () => {
    const { t1 } = await inputsAndDomain();
    const run = async () => {
      const d = await makeDomain('replay');
      const w = new Wallet(d);
      const coin = await w.mint(alice.publicKey, 50n);
      const t = w.transferTx(coin, alice, bob.publicKey, 20n);
      await d.submit(t.tx);
      await d.sealBlock();
      return [0n, 1n, 2n].map((h) => toHex(encodeHeader(d.header(h)!.header)));
    };
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    expect(t1.tx.actions.length).toBe(1);
  });

  it('reads no clock and draws no randomness inside apply', async () => {
    const d = await makeDomain('pure');
    const w = new Wallet(d);
    const smt = Smt.inMemory();
    await smt.apply(genesisWrites(d.keySet));
    let state = genesis(smallConfig('pure', d.id), d.keySet, 5n);
    const { tx } = w.mintTx(alice.publicKey, 3n);
    const env = { logics: builtinRegistry() };
    const realNow = Date.now;
    const realRandom = Math.random;
    Date.now = () => {
      throw new Error('apply read the clock');
    };
    Math.random = () => {
      throw new Error('apply drew randomness');
    };
    try {
      state = apply(
        state,
        { type: 'submit', tx, reads: { spentNullifiers: [], existingCommitments: [] } },
        env,
      ).state;
      const plan = planBlock(state, 6n);
      const witness = smt.proveTransitionSync(plan.writes.map((x) => x.key));
      const stateRoot = transitionRoot(state.head.stateRoot, plan.writes, witness)!;
      const input = { type: 'seal' as const, timestamp: 6n, stateRoot, transition: witness };
      expect(checkSeal(state, input)).toBe(true);
      const before = cloneState(state);
      const out = apply(state, input, env);
      expect(out.outputs[0]!.type).toBe('blockSealed');
      // Applying the same input to a copy gives the same header.
      const again = apply(before, input, env);
      expect(toHex(again.state.headHash)).toBe(toHex(out.state.headHash));
    } finally {
      Date.now = realNow;
      Math.random = realRandom;
    }
  });

  it('checkSeal catches a root its proof does not support; a stale timestamp is refused, state unchanged', async () => {
    const d = await makeDomain('refuse');
    let state = genesis(smallConfig('refuse', d.id), d.keySet, 100n);
    const w = new Wallet(d);
    const env = { logics: builtinRegistry() };
    state = apply(
      state,
      {
        type: 'submit',
        tx: w.mintTx(alice.publicKey, 3n).tx,
        reads: { spentNullifiers: [], existingCommitments: [] },
      },
      env,
    ).state;
    const snapshot = String([state.height, state.mempool.length, toHex(state.headHash)]);
    const smt = Smt.inMemory();
    await smt.apply(genesisWrites(d.keySet));
    const plan = planBlock(state, 200n);
    const { root, transition } = await smt.apply(plan.writes, { proveTransition: true });
    const good = { type: 'seal' as const, timestamp: 200n, stateRoot: root, transition: transition! };
    expect(checkSeal(state, good)).toBe(true);
    const lyingRoot = { ...good, stateRoot: new Uint8Array(32).fill(7) };
    expect(checkSeal(state, lyingRoot)).toBe(false);
    expect(checkSeal(state, { ...good, transition: { steps: [{ t: 'empty' }] } })).toBe(false);
    const e = (() => {
      try {
        apply(state, { ...good, timestamp: 50n }, env);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(WeftError);
    expect((e as WeftError).code).toBe('BAD_TIMESTAMP');
    expect(String([state.height, state.mempool.length, toHex(state.headHash)])).toBe(snapshot);
  });
});

describe('signature checks shared between the pool and the calling thread', () => {
  it('preverifyBatch answers exactly as inline verification, forged signatures included', async () => {
    const { SignatureVerifierPool, toHex: hex } = await import('../src/crypto/index.js');
    const { preverifyBatch, verifyTransactionSignatures } = await import('../src/tx/index.js');
    const d = await makeDomain('preverify');
    const w = new Wallet(d);
    const txs = Array.from({ length: 300 }, (_, i) => w.mintTx(alice.publicKey, BigInt(i + 1)).tx);
    const forged = txs[137]!;
    const sig = forged.signatures[0]!;
    const bytes = sig.signature.bytes.slice();
    bytes[5]! ^= 1;
    txs[137] = { ...forged, signatures: [{ ...sig, signature: { ...sig.signature, bytes } }] };
    const pool = SignatureVerifierPool.create({ threads: 1 });
    try {
      const shared = await preverifyBatch(txs, pool);
      const inline = txs.map((t) => verifyTransactionSignatures(t));
      expect(shared.map((r) => r?.valid)).toEqual(inline.map((r) => r.valid));
      expect(shared.map((r) => hex(r!.txId))).toEqual(inline.map((r) => hex(r.txId)));
      expect(shared[137]!.valid).toEqual([false]);
      // The pool alone (a domain's way: its thread admits meanwhile) answers the same.
      let sent = 0;
      const counting = {
        threads: pool.threads,
        verify: (checks: Parameters<typeof pool.verify>[0]) => {
          sent += checks.length;
          return pool.verify(checks);
        },
      } as unknown as typeof pool;
      const poolOnly = await preverifyBatch(txs, counting, { shareCaller: false });
      expect(sent).toBe(txs.length); // every signature went to the pool
      expect(poolOnly.map((r) => r?.valid)).toEqual(inline.map((r) => r.valid));
      expect(poolOnly.map((r) => hex(r!.txId))).toEqual(inline.map((r) => hex(r.txId)));
      // And a domain admitting with the pool refuses the forged one, with the same code as inline.
      const dp = await Domain.create({
        name: 'preverify-pool',
        signers: [key('secp256k1', 'pp')],
        verifier: pool,
      });
      const wp = new Wallet(dp);
      const bad = wp.mintTx(alice.publicKey, 1n).tx;
      const b2 = bad.signatures[0]!;
      const fb = b2.signature.bytes.slice();
      fb[9]! ^= 2;
      const r = await dp.submit({
        ...bad,
        signatures: [{ ...b2, signature: { ...b2.signature, bytes: fb } }],
      });
      expect(r.status).toMatchObject({ status: 'rejected' });
      const inlineDomain = await makeDomain('preverify-inline');
      const wi = new Wallet(inlineDomain);
      const bad2 = wi.mintTx(alice.publicKey, 1n).tx;
      const b3 = bad2.signatures[0]!;
      const fb3 = b3.signature.bytes.slice();
      fb3[9]! ^= 2;
      const r2 = await inlineDomain.submit({
        ...bad2,
        signatures: [{ ...b3, signature: { ...b3.signature, bytes: fb3 } }],
      });
      expect((r.status as { code: string }).code).toBe((r2.status as { code: string }).code);
    } finally {
      await pool.close();
    }
  });
});

describe('checkInput', () => {
  it('throws exactly what apply would refuse, and changes nothing', async () => {
    const { checkInput, headerHash: hh } = await import('../src/domain/index.js');
    const d = await makeDomain('check-input');
    const other = await makeDomain('check-input-peer');
    await new Wallet(other).mint(alice.publicKey, 1n);
    let state = genesis(smallConfig('check-input', d.id), d.keySet, 1n);
    const env = { logics: builtinRegistry() };
    const inputs: DomainInput[] = [
      { type: 'acceptRemoteHeader', header: d.header(0n)!.header }, // its own header
      { type: 'freezeRemote', domainId: other.id, fromHeight: 1n }, // no view yet
      { type: 'changeKeySet', keySet: d.keySet, approvals: [] }, // no approvals
      {
        type: 'reinitRemote',
        domainId: other.id,
        header: other.header(1n)!.header,
        by: 'ops',
        evidence: new Uint8Array(32),
      }, // no view to re-initialise
    ];
    for (const input of inputs) {
      const before = toHex(hh(state.head)) + state.remotes.size;
      const viaCheck = (() => {
        try {
          checkInput(state, input);
        } catch (e) {
          return (e as WeftError).code;
        }
        return 'ok';
      })();
      const viaApply = (() => {
        try {
          apply(cloneState(state), input, env);
        } catch (e) {
          return (e as WeftError).code;
        }
        return 'ok';
      })();
      expect(viaCheck).not.toBe('ok');
      expect(viaCheck).toBe(viaApply);
      expect(toHex(hh(state.head)) + state.remotes.size).toBe(before);
    }
    // An acceptable input passes the check, and apply then takes it.
    const ok: DomainInput = { type: 'acceptRemoteHeader', header: other.header(1n)!.header };
    expect(() => checkInput(state, ok)).not.toThrow();
    state = apply(state, ok, env).state;
    expect(() => checkInput(state, ok)).toThrowError(/not above the accepted/);
    const reinit: DomainInput = {
      type: 'reinitRemote',
      domainId: other.id,
      header: other.header(1n)!.header,
      by: 'ops',
      evidence: new Uint8Array(32),
    };
    expect(() => checkInput(state, reinit)).toThrowError(expect.objectContaining({ code: 'NOT_FROZEN' }));
  });
});
