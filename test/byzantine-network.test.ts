// A domain whose signers are Byzantine, in a network of domains verifying in full mode (the
// default): it seals a block minting a token homed on another domain out of nothing and claims it
// there. The receivers refuse the block and freeze their view of it with the evidence, the claim
// never lands, honest transfers still confirm, and no honest domain's supply changes.
// Domains in process over the in-process bus, with the node's router (issue 13, item 1); the same
// attack on real node processes over NATS is test/byzantine-cluster.test.ts.
import { describe, expect, it } from 'vitest';
import { equalBytes, sha256 } from '../src/crypto/index.js';
import { type Domain, headerHash } from '../src/domain/index.js';
import { commitment, decodeValue, nullifier } from '../src/resource/index.js';
import { encodeRootUpdate, VERIFICATION_MODE_DEFAULT } from '../src/sync/index.js';
import { MemoryTransferStore, planTransfer } from '../src/transfer/index.js';
import { commitmentKey, encodeHeight, nullifierKey } from '../src/tx/index.js';
import { alice, bob, makeDomain, Wallet } from './helpers/domain.js';
import { testNet } from './helpers/network.js';
import { forge, operatorOf, replicaAt } from './helpers/sync.js';

/** Whether `domain`'s committed tree holds commitment key `0x01 || cm` or nullifier key `0x02 || nf`. */
function holds(domain: Domain, key: Uint8Array): boolean {
  const id = key.subarray(1);
  return (key[0] === 1 ? domain.proveCommitment(id) : domain.proveNullifier(id)).value !== null;
}

describe('a Byzantine domain minting on another domain, under the default verification mode', () => {
  it('is frozen by every honest receiver with evidence; its claim never lands; honest transfers confirm', async () => {
    expect(VERIFICATION_MODE_DEFAULT).toBe('full');
    const store = new MemoryTransferStore();
    const t = await testNet([], {
      store,
      mode: VERIFICATION_MODE_DEFAULT,
      domains: [await makeDomain('byzc-a'), await makeDomain('byzc-b'), await makeDomain('byzc-c')],
    });
    const [a, b, c] = t.domains as [Domain, Domain, Domain];
    const walletA = new Wallet(a, 'byzc-a');
    const walletB = new Wallet(b, 'byzc-b');
    const real = await walletA.mint(alice.publicKey, 100n);
    const honestCoin = await walletB.mint(bob.publicKey, 40n);
    await t.round();
    await t.round();

    // The lie: a commitment of a token homed on B, written with no transaction (no move consumed
    // `real`), signed by A's own key set and sent to B and C as A's next block.
    const plan = await planTransfer({ from: a, to: b, resource: real, owner: alice });
    const minted = commitmentKey(commitment(plan.moved.resource));
    const parent = a.committedHeight;
    const writes = [{ key: minted, value: encodeHeight(parent + 1n) }];
    const forged = await forge(a, parent, { writes, signers: [operatorOf('byzc-a')] });
    const attacker = t.bus.endpoint(a.id);
    const body = encodeRootUpdate(forged);
    for (const to of [b, c]) await attacker.send(to.id, { kind: 'rootUpdate', id: 'byzc-forged', body });
    await t.bus.idle();

    // Both receivers froze their view of A from the forged height, keeping the evidence.
    for (const observer of [b, c]) {
      const frozen = observer.remoteView(a.id)!.frozen!;
      expect(frozen.fromHeight).toBe(parent + 1n);
      expect(frozen.evidence).toBeNull();
      const ev = frozen.invalidBlock!;
      expect(equalBytes(headerHash(ev.signed.header), headerHash(forged.signed.header))).toBe(true);
      expect(equalBytes(ev.updateHash, sha256(body))).toBe(true);
      expect(ev.reason).toMatch(/none of its transactions implies/);
      expect(observer.remoteHeader(a.id)!.height).toBeLessThan(parent + 1n);
    }

    // The claim of the minted token, proven under the forged root, is refused by B and never lands.
    const smt = await replicaAt(a, parent);
    await smt.apply(writes);
    expect(equalBytes(smt.root(), forged.signed.header.stateRoot)).toBe(true);
    const proof = await smt.prove(minted);
    const consumed = plan.claim.actions[0]!.consumed[0]!;
    const claim = {
      ...plan.claim,
      actions: [
        {
          ...plan.claim.actions[0]!,
          consumed: [
            {
              ...consumed,
              commitmentProof: { anchor: forged.signed.header.stateRoot, height: parent + 1n, proof },
            },
          ],
        },
      ],
    };
    const submitted = await b.submit(claim);
    expect(submitted.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });
    const spentKey = nullifierKey(nullifier(plan.moved.resource, plan.moved.nk));
    const landed = commitmentKey(commitment(plan.claim.actions[0]!.created[0]!.resource));

    // An honest transfer B -> C still confirms, and A's earlier state stays usable elsewhere.
    const h = await t.driver.transfer({ from: b, to: c, resource: honestCoin, owner: bob });
    await t.settle();
    expect((await h.done).phase).toBe('confirmed');
    for (let i = 0; i < 3; i++) await t.round();
    expect(holds(b, spentKey)).toBe(false);
    expect(holds(b, landed)).toBe(false);
    expect(holds(c, minted)).toBe(false);
    expect(holds(a, minted)).toBe(false); // A's real chain never held it either
    // Supplies: the 40 B minted left B and landed on C (40 in all, as before); the 1 token A
    // invented exists on no honest domain.
    const honestPlan = store.get(h.id)!.plan;
    const landedOnC = honestPlan.claim.actions[0]!.created[0]!;
    expect(holds(b, nullifierKey(nullifier(honestCoin.resource, honestCoin.nk)))).toBe(true);
    expect(holds(c, commitmentKey(commitment(landedOnC.resource)))).toBe(true);
    expect(landedOnC.resource.quantity).toBe(honestCoin.resource.quantity);
    expect(equalBytes(decodeValue(landedOnC.value).home, c.id)).toBe(true);
    expect(c.remoteView(b.id)!.frozen).toBeNull();
    expect(b.remoteView(c.id)!.frozen).toBeNull();
    t.net.close();
  });
});
