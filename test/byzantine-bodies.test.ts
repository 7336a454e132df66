// Blocks a Byzantine destination signs whose bodies break "a claim and a refusal of one transfer
// exclude each other" across blocks: the refusal of a claim it already took, and a claim of a
// resource it already refused. Either would let the source refund what landed on the destination.
// A full-mode verifier needs what the old tree held on keys the block does not write: the update's
// exclusion proofs (docs/sync.md, "Claims and refusals exclude each other").
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../src/crypto/index.js';
import { Domain, type SignedHeader, verifyHeaderSignatures } from '../src/domain/index.js';
import { commitment, LogicRegistry, nullifier, trivialLogic } from '../src/resource/index.js';
import { acceptRootUpdate, acceptRootUpdates, type RootUpdate, trustRemote } from '../src/sync/index.js';
import { commitmentKey, encodeHeight, encodeRefusal, nullifierKey, refusalKey } from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import {
  claimOf,
  clockedDomain,
  ManualClock,
  type Moving,
  move,
  movedNullifier,
  operatorKey,
  T0,
} from './helpers/refund.js';
import { forge, updatesFrom } from './helpers/sync.js';
import { expectCode, seededRandom } from './support.js';

const DEADLINE = T0 + 10_000n;

async function accepting(to: Domain, from: Domain): Promise<void> {
  const have = to.remoteHeader(from.id)?.height ?? 0n;
  for (let h = have + 1n; h <= from.committedHeight; h++) await to.acceptRemoteHeader(from.header(h)!);
}

/** A verifier in full mode that follows x (vouching for its headers) and z. */
function verifierOf(x: Domain, z: Domain) {
  const xView = acceptRootUpdates(
    trustRemote(x.header(0n)!, x.keySet),
    updatesFrom(x, 1n),
    'transition',
  ).view;
  const vouchFor = (sh: SignedHeader) =>
    equalBytes(sh.header.domain, x.id) ? verifyHeaderSignatures(sh, xView.keySet!) : undefined;
  const zView = acceptRootUpdates(trustRemote(z.header(0n)!, z.keySet), updatesFrom(z, 1n), 'full', {
    vouchFor,
  }).view;
  return { zView, vouchFor };
}

async function setup(tag: string, z: (clock: ManualClock) => Promise<Domain>, deadline?: bigint) {
  const clock = new ManualClock();
  const x = await clockedDomain(`${tag}-x`, clock);
  const d = await z(clock);
  const coin = await new Wallet(x, tag).mint(alice.publicKey, 9n);
  const m: Moving = await move(x, d, coin, deadline, seededRandom(`${tag}/move`));
  await accepting(d, x);
  return { clock, x, z: d, m };
}

describe('a byzantine destination', () => {
  it('that records the refusal of a claim it took in an earlier block is refused: the update cannot prove the nullifier absent', async () => {
    const { clock, x, z, m } = await setup('bb-rac', (c) => clockedDomain('bb-rac-z', c), DEADLINE);
    const claim = claimOf(m, x);
    expect((await z.submit(claim)).status.status).toBe('pending');
    await z.sealBlock();
    clock.ms = DEADLINE + 1_000n;
    const { zView, vouchFor } = verifierOf(x, z);
    const h = z.committedHeight + 1n;
    const forged = await forge(z, z.committedHeight, {
      writes: [
        {
          key: refusalKey(movedNullifier(m)),
          value: encodeRefusal({ reason: 'DEADLINE_PASSED', height: h }),
        },
      ],
      timestampMs: clock.ms,
      signers: [operatorKey(z.name)],
    });
    // Without proofs, with the proof of another key, or with the nullifier's (present) proof.
    const present = z.proveNullifier(movedNullifier(m)).proof;
    for (const exclusions of [
      [],
      [{ key: nullifierKey(new Uint8Array(32).fill(7)), proof: present }],
      [{ key: nullifierKey(movedNullifier(m)), proof: present }],
    ]) {
      const update: RootUpdate = { ...forged, refused: [claim], exclusions };
      expectCode(() => acceptRootUpdate(zView, update, 'full', { vouchFor }), 'FULL_VALIDATION_FAILED');
    }
  });

  it('that claims a resource it refused in an earlier block is refused: the update cannot prove the refusal absent', async () => {
    const noTokens = (c: ManualClock) =>
      Domain.create({
        name: 'bb-car-z',
        signers: [operatorKey('bb-car-z')],
        clock: c.read,
        genesisTimestamp: T0,
        logics: new LogicRegistry([trivialLogic]),
      });
    const { x, z, m } = await setup('bb-car', noTokens);
    const claim = claimOf(m, x);
    expect((await z.submit(claim)).status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_LOGIC' });
    await z.sealBlock(); // the refusal record: x may now refund by it
    expect(z.proveRefusal(movedNullifier(m)).value).not.toBeNull();
    const { zView, vouchFor } = verifierOf(x, z);
    // z takes the claim anyway, in a block of its own making (the verifier runs the token logic).
    const h = encodeHeight(z.committedHeight + 1n);
    const out = claim.actions[0]!.created[0]!;
    const forged = await forge(z, z.committedHeight, {
      writes: [
        { key: nullifierKey(nullifier(m.plan.moved.resource, m.plan.moved.nk)), value: h },
        { key: commitmentKey(commitment(out.resource)), value: h },
      ],
      txs: [claim],
      signers: [operatorKey(z.name)],
    });
    const refused = z.proveRefusal(movedNullifier(m)).proof;
    for (const exclusions of [[], [{ key: refusalKey(movedNullifier(m)), proof: refused }]]) {
      const err = expectCode(
        () => acceptRootUpdate(zView, { ...forged, exclusions }, 'full', { vouchFor }),
        'FULL_VALIDATION_FAILED',
      );
      expect(err.shortMessage).toMatch(/unrefused|exclusion proof/);
    }
  });

  it('an honest refusal and an honest claim carry their exclusion proofs and are accepted', async () => {
    const { clock, x, z, m } = await setup('bb-ok', (c) => clockedDomain('bb-ok-z', c), DEADLINE);
    const coin = await new Wallet(x, 'bb-ok2').mint(alice.publicKey, 4n);
    const m2 = await move(x, z, coin, undefined, seededRandom('bb-ok/move2'));
    await accepting(z, x);
    expect((await z.submit(claimOf(m2, x))).status.status).toBe('pending');
    await z.sealBlock();
    clock.ms = DEADLINE + 1_000n;
    await z.sealBlock();
    expect((await z.submit(claimOf(m, x))).status).toMatchObject({ code: 'DEADLINE_PASSED' });
    await z.sealBlock();
    const updates = updatesFrom(z, 1n);
    expect(updates.some((u) => (u.refused?.length ?? 0) > 0 && (u.exclusions?.length ?? 0) > 0)).toBe(true);
    const { zView } = verifierOf(x, z);
    expect(zView.head.header.height).toBe(z.committedHeight);
  });
});
