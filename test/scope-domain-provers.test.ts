// A domain with provers: its proven tip moves only when a threshold of its provers attested the
// committed roots, in order; a prover attesting another root is convicted at once (the domain
// executed the block); the proven tip survives a restart of a durable node.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Domain } from '../src/domain/index.js';
import { signAttestation, verifyProverEvidence } from '../src/scope/index.js';
import { openDomainNode } from '../src/store/index.js';
import { alice, key, steppingClock, Wallet } from './helpers/domain.js';

const operator = key('secp256k1', 'provers/operator');
const provers = [key('ed25519', 'prover-1'), key('secp256k1', 'prover-2'), key('ed25519', 'prover-3')];
const proverSet = { provers: provers.map((p) => p.publicKey), threshold: 2 };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function sealed(domain: Domain, blocks: number): Promise<void> {
  const w = new Wallet(domain, 'provers');
  for (let i = 0; i < blocks; i++) await w.mint(alice.publicKey, BigInt(i + 1));
}

function attest(
  domain: Domain,
  prover: number,
  height: bigint,
  stateRoot = domain.header(height)!.header.stateRoot,
) {
  return domain.attest(signAttestation(provers[prover]!, { domain: domain.id, height, stateRoot }));
}

describe('a domain with provers', () => {
  it('proves a height only once a threshold of provers attested it, in order', async () => {
    const domain = await Domain.create({
      name: 'proved',
      signers: [operator],
      clock: steppingClock(),
      provers: proverSet,
    });
    await sealed(domain, 3);
    expect(domain.committedHeight).toBe(3n);
    expect(domain.provenHeight).toBe(0n);
    const proven: bigint[] = [];
    domain.on('proven', (o) => proven.push(o.height));
    await attest(domain, 0, 2n);
    await attest(domain, 1, 2n);
    expect(domain.provenHeight).toBe(0n); // height 1 is not proven yet
    await attest(domain, 0, 1n);
    expect((await attest(domain, 2, 1n)).advancedTo).toBe(2n);
    expect(domain.provenHeight).toBe(2n);
    expect(proven).toEqual([2n]);
    await attest(domain, 1, 3n);
    expect(domain.provenHeight).toBe(2n);
  });

  it('convicts a prover who attests a root the domain did not commit', async () => {
    const domain = await Domain.create({
      name: 'liar',
      signers: [operator],
      clock: steppingClock(),
      provers: proverSet,
    });
    await sealed(domain, 1);
    const out = await attest(domain, 2, 1n, new Uint8Array(32).fill(0xee));
    expect(out.mismatch).toBe(true);
    expect(out.evidence?.kind).toBe('reexecution');
    expect(verifyProverEvidence(out.evidence!)).toBe(true);
    expect(domain.proverEvidence()).toHaveLength(1);
    await expect(attest(domain, 2, 1n)).rejects.toMatchObject({ code: 'PROVER_EXCLUDED' });
    await attest(domain, 0, 1n);
    await attest(domain, 1, 1n);
    expect(domain.provenHeight).toBe(1n);
  });

  it('refuses attestations when no provers are configured (each seal proves its own block)', async () => {
    const domain = await Domain.create({ name: 'unproved', signers: [operator], clock: steppingClock() });
    await sealed(domain, 1);
    expect(domain.provenHeight).toBe(1n);
    await expect(attest(domain, 0, 1n)).rejects.toMatchObject({ code: 'NOT_ENABLED' });
  });

  it('keeps the proven tip across a restart of a durable node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-provers-'));
    dirs.push(dir);
    const open = (create: boolean) =>
      openDomainNode(dir, {
        signers: [operator],
        clock: steppingClock(1_800_000_000_000n),
        provers: proverSet,
        ...(create ? { create: { name: 'durable-proved', genesisTimestamp: 1_700_000_000_000n } } : {}),
      });
    const n1 = await open(true);
    await sealed(n1.domain, 2);
    await attest(n1.domain, 0, 1n);
    await attest(n1.domain, 1, 1n);
    await attest(n1.domain, 0, 2n); // pending: lost with the process, sent again by its prover
    expect(n1.domain.provenHeight).toBe(1n);
    await n1.close();
    const n2 = await open(false);
    expect(n2.domain.provenHeight).toBe(1n);
    expect(n2.domain.committedHeight).toBe(2n);
    await attest(n2.domain, 0, 2n);
    await attest(n2.domain, 2, 2n);
    expect(n2.domain.provenHeight).toBe(2n);
    await n2.close();
  });
});
