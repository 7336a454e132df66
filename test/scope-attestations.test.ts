// Attestations across domains (docs/provers.md, "Across domains"): a domain's provers' attestations
// travel the transport like root updates; a follower counts them against the prover set the
// domain published and learns its proven tip; a follower that re-executed a block (full mode)
// convicts a prover who signed another root and keeps the evidence; pending attestations survive
// a restart with the checkpoint; a follower may refuse claims anchored on unproven heights.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Domain } from '../src/domain/index.js';
import { InProcessBus } from '../src/net/index.js';
import { SyncRouter } from '../src/node/index.js';
import {
  encodeSignedAttestation,
  type SignedAttestation,
  signAttestation,
  verifyProverEvidence,
} from '../src/scope/index.js';
import { openDomainNode, verifyStore } from '../src/store/index.js';
import { alice, key, steppingClock, Wallet } from './helpers/domain.js';
import { claimOf, move, syncHeaders } from './helpers/refund.js';

const provers = [key('ed25519', 'att/p1'), key('secp256k1', 'att/p2'), key('ed25519', 'att/p3')];
const proverSet = { provers: provers.map((p) => p.publicKey), threshold: 2 };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function attestation(domain: Domain, p: number, height: bigint, root?: Uint8Array): SignedAttestation {
  return signAttestation(provers[p]!, {
    domain: domain.id,
    height,
    stateRoot: root ?? domain.header(height)!.header.stateRoot,
  });
}

async function proved(name: string): Promise<Domain> {
  return Domain.create({
    name,
    signers: [key('secp256k1', `${name}/operator`)],
    clock: steppingClock(),
    provers: proverSet,
  });
}

async function mintBlocks(domain: Domain, n: number): Promise<void> {
  const w = new Wallet(domain, 'att');
  for (let i = 0; i < n; i++) await w.mint(alice.publicKey, BigInt(i + 1));
}

describe('attestations over the transport', () => {
  it("teach a follower the domain's proven tip, and convict a prover who signs a wrong root", async () => {
    const alpha = await proved('att-alpha');
    const beta = await Domain.create({
      name: 'att-beta',
      signers: [key('secp256k1', 'att-beta/op')],
      clock: steppingClock(),
    });
    const bus = new InProcessBus();
    const router = new SyncRouter({ endpoint: (id) => bus.endpoint(id), mode: 'full', announceEveryMs: 0 });
    const seen: { height: bigint; provenHeight: bigint; convicted: boolean }[] = [];
    router.on('attestation', (a) => {
      if (Buffer.from(a.at).equals(Buffer.from(beta.id)))
        seen.push({ height: a.height, provenHeight: a.provenHeight, convicted: a.evidence !== null });
    });
    await router.join(alpha);
    await router.join(beta);
    await mintBlocks(alpha, 3);
    await bus.idle();
    expect(beta.remoteView(alpha.id)!.head.header.height).toBe(3n);
    expect(beta.remoteProvenHeight(alpha.id)).toBe(0n);

    // Two provers attest heights 1 and 2 to alpha; alpha relays what it counted.
    for (const h of [1n, 2n]) for (const p of [0, 2]) await alpha.attest(attestation(alpha, p, h));
    await bus.idle();
    expect(alpha.provenHeight).toBe(2n);
    expect(beta.remoteProvenHeight(alpha.id)).toBe(2n);

    // Prover 2 signs a wrong root for height 3 and sends it to beta directly: beta re-executed
    // block 3 in full mode, so it convicts the prover and keeps the evidence.
    const lie = attestation(alpha, 1, 3n, new Uint8Array(32).fill(0xab));
    await bus
      .endpoint(alpha.id)
      .send(beta.id, { kind: 'attestation', id: 'lie', body: encodeSignedAttestation(lie) });
    await bus.idle();
    const evidence = beta.remoteProverEvidence(alpha.id);
    expect(evidence).toHaveLength(1);
    expect(evidence[0]!.kind).toBe('reexecution');
    expect(verifyProverEvidence(evidence[0]!)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ height: 3n, convicted: true });
    // Excluded from the count: its honest-looking attestation of 3 is refused, so one honest
    // prover is not enough, and the tip moves only with a second honest one.
    expect(() => beta.acceptRemoteAttestation(attestation(alpha, 1, 3n))).toThrow(/excluded/);
    expect(beta.acceptRemoteAttestation(attestation(alpha, 0, 3n)).provenHeight).toBe(2n);
    expect(beta.acceptRemoteAttestation(attestation(alpha, 2, 3n)).provenHeight).toBe(3n);
    router.close();
  });

  it('convict on a header accepted later, and only when the follower re-executed it', async () => {
    const alpha = await proved('att-late');
    await mintBlocks(alpha, 2);
    const full = await Domain.create({
      name: 'att-full',
      signers: [key('secp256k1', 'att-full/op')],
      clock: steppingClock(),
    });
    const light = await Domain.create({
      name: 'att-light',
      signers: [key('secp256k1', 'att-light/op')],
      clock: steppingClock(),
    });
    for (const [d, mode] of [
      [full, 'full'],
      [light, 'transition'],
    ] as const) {
      await d.trustRemote(alpha.header(0n)!, alpha.keySet, { mode });
      d.followProvers(alpha.id, proverSet);
      // Before the header at 1 is known: kept, not judged.
      const out = d.acceptRemoteAttestation(attestation(alpha, 1, 1n, new Uint8Array(32).fill(1)));
      expect(out.mismatch).toBe(false);
      await d.acceptRemoteHeader(alpha.header(1n)!, { mode });
    }
    expect(full.remoteProverEvidence(alpha.id)).toHaveLength(1);
    // A follower that did not re-execute cannot tell who lies: it keeps the attestation, uncounted.
    expect(light.remoteProverEvidence(alpha.id)).toHaveLength(0);
    const out = light.acceptRemoteAttestation(attestation(alpha, 0, 1n, new Uint8Array(32).fill(2)));
    expect(out).toMatchObject({ mismatch: true, counted: false, evidence: null });
    // An attestation for a domain whose prover set nobody told it about is refused.
    expect(() => full.acceptRemoteAttestation(attestation(light, 0, 1n, new Uint8Array(32)))).toThrow(
      /no prover set/,
    );
  });

  it('keep pending attestations with the checkpoint across a restart', async () => {
    const alpha = await proved('att-source');
    await mintBlocks(alpha, 1);
    const dir = mkdtempSync(join(tmpdir(), 'weft-att-'));
    dirs.push(dir);
    const signers = [key('secp256k1', 'att-durable/op')];
    const provedSigners = [key('secp256k1', 'att-proved/op')];
    const proverDir = mkdtempSync(join(tmpdir(), 'weft-att-own-'));
    dirs.push(proverDir);
    // A follower and a domain with provers, each holding one of two attestations needed.
    let node = await openDomainNode(dir, { signers, create: { name: 'att-durable' } });
    let own = await openDomainNode(proverDir, {
      signers: provedSigners,
      provers: proverSet,
      create: { name: 'att-proved' },
    });
    await node.domain.trustRemote(alpha.header(0n)!, alpha.keySet, { mode: 'full' });
    node.domain.followProvers(alpha.id, proverSet);
    await node.domain.acceptRemoteHeader(alpha.header(1n)!, { mode: 'full' });
    expect(node.domain.acceptRemoteAttestation(attestation(alpha, 0, 1n)).counted).toBe(true);
    await node.domain.sealBlock(); // the checkpoint keeps it
    await new Wallet(own.domain, 'own').mint(alice.publicKey, 1n);
    await own.domain.attest(attestation(own.domain, 2, 1n));
    await own.domain.sealBlock();
    await node.close();
    await own.close();
    // An offline check accepts the provers' state kept beside the checkpoint.
    for (const d of [dir, proverDir]) expect((await verifyStore(d)).faults).toEqual([]);

    node = await openDomainNode(dir, { signers });
    own = await openDomainNode(proverDir, { signers: provedSigners, provers: proverSet });
    try {
      node.domain.followProvers(alpha.id, proverSet);
      expect(node.domain.remoteProvenHeight(alpha.id)).toBe(0n);
      expect(node.domain.acceptRemoteAttestation(attestation(alpha, 1, 1n)).provenHeight).toBe(1n);
      expect(own.domain.provenHeight).toBe(0n);
      expect((await own.domain.attest(attestation(own.domain, 0, 1n))).advancedTo).toBe(1n);
      expect(own.domain.provenHeight).toBe(1n);
    } finally {
      await node.close();
      await own.close();
    }
  });
});

describe('the proven-anchor policy', () => {
  it('refuses a claim anchored on an unproven height until the proof arrives', async () => {
    const alpha = await proved('anchor-alpha');
    const beta = await Domain.create({
      name: 'anchor-beta',
      signers: [key('secp256k1', 'anchor-beta/op')],
      clock: steppingClock(),
      requireProvenAnchors: true,
    });
    const coin = await new Wallet(alpha, 'anchor').mint(alice.publicKey, 50n);
    await beta.trustRemote(alpha.header(0n)!, alpha.keySet, { mode: 'full' });
    const m = await move(alpha, beta, coin, undefined);
    await syncHeaders(alpha, beta);
    const claim = claimOf(m, alpha);
    // The prover set is not known yet: nothing is proven.
    expect((await beta.submit(claim)).status).toMatchObject({ status: 'rejected', code: 'ANCHOR_UNPROVEN' });
    beta.followProvers(alpha.id, proverSet);
    expect((await beta.submit(claim)).status).toMatchObject({ status: 'rejected', code: 'ANCHOR_UNPROVEN' });
    for (let h = 1n; h <= m.moveHeight; h++) {
      beta.acceptRemoteAttestation(attestation(alpha, 0, h));
      beta.acceptRemoteAttestation(attestation(alpha, 1, h));
    }
    expect(beta.remoteProvenHeight(alpha.id)).toBe(m.moveHeight);
    expect((await beta.submit(claim)).status.status).toBe('pending');
    await beta.sealBlock();
    expect(beta.status((await beta.submit(claim)).txId)?.status).toBe('included');
  });

  it('counts every committed height as proven for a domain without provers', async () => {
    const plain = await Domain.create({
      name: 'anchor-plain',
      signers: [key('secp256k1', 'anchor-plain/op')],
      clock: steppingClock(),
    });
    const beta = await Domain.create({
      name: 'anchor-beta2',
      signers: [key('secp256k1', 'anchor-beta2/op')],
      clock: steppingClock(),
      requireProvenAnchors: true,
    });
    const coin = await new Wallet(plain, 'anchor').mint(alice.publicKey, 50n);
    await beta.trustRemote(plain.header(0n)!, plain.keySet, { mode: 'full' });
    beta.followProvers(plain.id, null);
    const m = await move(plain, beta, coin, undefined);
    await syncHeaders(plain, beta);
    expect((await beta.submit(claimOf(m, plain))).status.status).toBe('pending');
  });
});
