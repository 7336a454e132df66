// Provers: attestations and their bytes, a proven tip that advances in order once a threshold of
// configured provers attested the committed root, and provers caught signing a wrong root.
import { describe, expect, it } from 'vitest';
import { keyPairFromSeed, sha256, toHex, utf8 } from '../src/crypto/index.js';
import {
  attestationHash,
  counterId,
  counterTx,
  decodeProverEvidence,
  decodeSignedAttestation,
  encodeAttestation,
  encodeProverEvidence,
  encodeSignedAttestation,
  examplePrograms,
  ProgramRegistry,
  ProvenTip,
  type ProvingJob,
  proverEvidenceHash,
  ReexecutionProver,
  ScopeExecutor,
  type ScopeTx,
  signAttestation,
  verifyAttestation,
  verifyProverEvidence,
} from '../src/scope/index.js';
import { expectCode } from './support.js';

const domain = sha256(utf8('alpha'));
const keys = [1, 2, 3, 4].map((i) =>
  keyPairFromSeed(i % 2 ? 'secp256k1' : 'ed25519', new Uint8Array(32).fill(i)),
);
const root = (n: number) => new Uint8Array(32).fill(n);

function tracker(committed: Map<bigint, Uint8Array>, threshold = 2) {
  return new ProvenTip({
    domain,
    provers: { provers: keys.slice(0, 3).map((k) => k.publicKey), threshold },
    committedRoot: (h) => committed.get(h),
  });
}

describe('attestations', () => {
  it('have fixed canonical bytes and a tagged hash that the prover signs', () => {
    const a = { domain, height: 5n, stateRoot: root(9) };
    const bytes = encodeAttestation(a);
    expect(bytes.length).toBe(73);
    expect(bytes[0]).toBe(1);
    expect(toHex(bytes.subarray(33, 41))).toBe('0x0000000000000005');
    expect(attestationHash(a)).toEqual(sha256(new Uint8Array([...utf8('weft.attestation'), ...bytes])));
    const signed = signAttestation(keys[0]!, a);
    expect(verifyAttestation(signed)).toBe(true);
    expect(decodeSignedAttestation(encodeSignedAttestation(signed))).toEqual(signed);
    expect(verifyAttestation({ ...signed, attestation: { ...a, stateRoot: root(8) } })).toBe(false);
    expectCode(
      () => decodeSignedAttestation(new Uint8Array([...encodeSignedAttestation(signed), 0])),
      'CODEC',
    );
    expectCode(() => encodeAttestation({ ...a, height: 0n }), 'BAD_INPUT');
  });
});

describe('proven tip', () => {
  it('advances when a threshold of provers attested the committed root, in order', () => {
    const committed = new Map([
      [1n, root(1)],
      [2n, root(2)],
      [3n, root(3)],
    ]);
    const tip = tracker(committed);
    // Height 2 first: nothing moves until height 1 is proven.
    expect(
      tip.add(signAttestation(keys[0]!, { domain, height: 2n, stateRoot: root(2) })).advancedTo,
    ).toBeNull();
    expect(
      tip.add(signAttestation(keys[1]!, { domain, height: 2n, stateRoot: root(2) })).advancedTo,
    ).toBeNull();
    expect(
      tip.add(signAttestation(keys[0]!, { domain, height: 1n, stateRoot: root(1) })).advancedTo,
    ).toBeNull();
    expect(tip.height).toBe(0n);
    expect(tip.add(signAttestation(keys[2]!, { domain, height: 1n, stateRoot: root(1) })).advancedTo).toBe(
      2n,
    );
    expect(tip.height).toBe(2n);
    // One prover twice is one attestation.
    tip.add(signAttestation(keys[0]!, { domain, height: 3n, stateRoot: root(3) }));
    expect(
      tip.add(signAttestation(keys[0]!, { domain, height: 3n, stateRoot: root(3) })).advancedTo,
    ).toBeNull();
    expect(tip.height).toBe(2n);
  });

  it('does not count attestations of a root other than the committed one', () => {
    const tip = tracker(new Map([[1n, root(1)]]));
    const out = tip.add(signAttestation(keys[0]!, { domain, height: 1n, stateRoot: root(7) }));
    expect(out).toMatchObject({ counted: false, mismatch: true });
    tip.add(signAttestation(keys[1]!, { domain, height: 1n, stateRoot: root(7) }));
    expect(tip.height).toBe(0n);
  });

  it('refuses another domain, a key outside the set, a bad signature and heights past its window', () => {
    const tip = tracker(new Map());
    expectCode(
      () => tip.add(signAttestation(keys[0]!, { domain: root(5), height: 1n, stateRoot: root(1) })),
      'ATTESTATION_WRONG_DOMAIN',
    );
    expectCode(
      () => tip.add(signAttestation(keys[3]!, { domain, height: 1n, stateRoot: root(1) })),
      'PROVER_UNKNOWN',
    );
    const forged = {
      ...signAttestation(keys[0]!, { domain, height: 1n, stateRoot: root(1) }),
      prover: keys[1]!.publicKey,
    };
    expectCode(() => tip.add(forged), 'BAD_SIGNATURE');
    expectCode(
      () => tip.add(signAttestation(keys[0]!, { domain, height: 5000n, stateRoot: root(1) })),
      'ATTESTATION_TOO_FAR',
    );
  });

  it('convicts a prover who signs two roots for one height, and stops counting it', () => {
    const committed = new Map([[1n, root(1)]]);
    const tip = tracker(committed);
    tip.add(signAttestation(keys[0]!, { domain, height: 1n, stateRoot: root(6) }));
    const out = tip.add(signAttestation(keys[0]!, { domain, height: 1n, stateRoot: root(1) }));
    expect(out.evidence?.kind).toBe('conflict');
    expect(verifyProverEvidence(out.evidence!)).toBe(true);
    expect(tip.isExcluded(keys[0]!.publicKey)).toBe(true);
    expectCode(
      () => tip.add(signAttestation(keys[0]!, { domain, height: 1n, stateRoot: root(1) })),
      'PROVER_EXCLUDED',
    );
    tip.add(signAttestation(keys[1]!, { domain, height: 1n, stateRoot: root(1) }));
    expect(tip.height).toBe(0n);
    tip.add(signAttestation(keys[2]!, { domain, height: 1n, stateRoot: root(1) }));
    expect(tip.height).toBe(1n);
    expect(tip.evidence().map(proverEvidenceHash)).toEqual([proverEvidenceHash(out.evidence!)]);
  });
});

describe('persistence', () => {
  it('restores a proven tip with its pending attestations and evidence', () => {
    const committed = new Map([
      [1n, root(1)],
      [2n, root(2)],
    ]);
    const tip = tracker(committed);
    tip.add(signAttestation(keys[0]!, { domain, height: 1n, stateRoot: root(1) }));
    tip.add(signAttestation(keys[1]!, { domain, height: 1n, stateRoot: root(1) }));
    tip.add(signAttestation(keys[1]!, { domain, height: 2n, stateRoot: root(2) }));
    tip.add(signAttestation(keys[2]!, { domain, height: 2n, stateRoot: root(9) }));
    const { evidence } = tip.add(signAttestation(keys[2]!, { domain, height: 2n, stateRoot: root(2) }));
    expect(decodeProverEvidence(encodeProverEvidence(evidence!))).toEqual(evidence);
    const bytes = tip.snapshot();
    const back = ProvenTip.restore(
      {
        domain,
        provers: { provers: keys.slice(0, 3).map((k) => k.publicKey), threshold: 2 },
        committedRoot: (h) => committed.get(h),
      },
      bytes,
    );
    expect(back.height).toBe(1n);
    expect(back.snapshot()).toEqual(bytes);
    expect(back.isExcluded(keys[2]!.publicKey)).toBe(true);
    // The restored tracker still counts the pending attestation of height 2.
    expect(back.add(signAttestation(keys[0]!, { domain, height: 2n, stateRoot: root(2) })).advancedTo).toBe(
      2n,
    );
    expectCode(() => decodeProverEvidence(Uint8Array.of(3)), 'CODEC');
  });
});

describe('re-executing provers', () => {
  const programs = new ProgramRegistry(examplePrograms);
  type Block = { txs: ScopeTx[]; history: ScopeTx[][] };
  // Stateless re-execution: rebuild the object state from the job's history, then run the block.
  const reexecute = (job: ProvingJob<Block>) => {
    const ex = new ScopeExecutor({ programs });
    for (const [i, txs] of job.block.history.entries()) ex.executeBlock(BigInt(i + 1), txs);
    return ex.executeBlock(job.height, job.block.txs).root;
  };

  it('advance the proven tip of a real executor, and a lying prover is caught by re-execution', async () => {
    const c = counterId('p');
    const g = { localGas: 10_000n, scopeGas: 1_000_000n };
    const blocks = [[counterTx(c, 1n, g)], [counterTx(c, 2n, g)]];
    const ex = new ScopeExecutor({ programs });
    for (const [i, txs] of blocks.entries()) ex.executeBlock(BigInt(i + 1), txs);
    const committed = new Map([
      [1n, ex.root(1n)],
      [2n, ex.root(2n)],
    ]);
    const tip = tracker(committed);
    const honest = [0, 1].map((i) => new ReexecutionProver<Block>(keys[i]!, reexecute));
    const liar = new ReexecutionProver<Block>(keys[2]!, () => root(0xee));
    for (const [h, txs] of blocks.entries()) {
      const job: ProvingJob<Block> = {
        domain,
        height: BigInt(h + 1),
        prevRoot: ex.root(BigInt(h)),
        block: { txs, history: blocks.slice(0, h) },
      };
      const lie = await liar.prove(job);
      if (h === 0) {
        expect(tip.add(lie)).toMatchObject({ counted: false, mismatch: true });
        // A full-mode verifier re-executes and convicts it.
        const evidence = tip.checkReexecution(lie, reexecute(job));
        expect(evidence?.kind).toBe('reexecution');
        expect(verifyProverEvidence(evidence!)).toBe(true);
        expect(tip.isExcluded(keys[2]!.publicKey)).toBe(true);
      } else {
        expectCode(() => tip.add(lie), 'PROVER_EXCLUDED');
      }
      for (const p of honest) tip.add(await p.prove(job));
      expect(tip.height).toBe(BigInt(h + 1));
    }
    // An honest attestation is not evidence against anyone.
    const good = await honest[0]!.prove({
      domain,
      height: 1n,
      prevRoot: ex.root(0n),
      block: { txs: blocks[0]!, history: [] },
    });
    expect(tip.checkReexecution(good, ex.root(1n))).toBeNull();
  });
});
