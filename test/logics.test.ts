// The worked example of docs/resource-logics.md: an escrow released by either of two keys.
// The logic below is the one the document shows, line for line.
import { describe, expect, it } from 'vitest';
import {
  decodeAll,
  type KeyPair,
  keyPairFromSeed,
  type PublicKey,
  readPublicKey,
  utf8,
  Writer,
  writePublicKey,
} from '../src/crypto/index.js';
import {
  accept,
  builtinRegistry,
  createResource,
  defineLogic,
  type LogicInput,
  type LogicVerdict,
  logicRef,
  nkCommitment,
  type ResourceParts,
  reject,
} from '../src/resource/index.js';
import { signTransaction, type Transaction, validateTransaction } from '../src/tx/index.js';
import { bytes32, created, expectCode, type Held, Ledger, seededRandom } from './support.js';

// --- the escrow logic (docs/resource-logics.md) ---

/** Label: who may deposit, and what the escrow is for. Part of the kind. */
function escrowLabel(depositor: PublicKey, purpose: string): Uint8Array {
  const w = new Writer(128);
  writePublicKey(w, depositor);
  return w.bytes(utf8(purpose), 64).finish();
}

/** Value data: the two keys that may release. */
function escrowData(a: PublicKey, b: PublicKey): Uint8Array {
  const w = new Writer(68);
  writePublicKey(w, a);
  writePublicKey(w, b);
  return w.finish();
}

function checkEscrow({ self, role, isSignedBy }: LogicInput): LogicVerdict {
  let depositor: PublicKey;
  let releasers: [PublicKey, PublicKey];
  try {
    depositor = decodeAll(self.label, (r) => {
      const pk = readPublicKey(r);
      r.bytes(64);
      return pk;
    });
    releasers = decodeAll(self.value.data, (r) => [readPublicKey(r), readPublicKey(r)]);
  } catch {
    return reject('not an escrow label and value');
  }
  const released = isSignedBy(releasers[0]) || isSignedBy(releasers[1]);
  if (role === 'consumed' && self.resource.isEphemeral) {
    return isSignedBy(depositor) ? accept() : reject('only the depositor may fund this escrow');
  }
  if (role === 'consumed' || self.resource.isEphemeral) {
    return released ? accept() : reject('either release key must sign');
  }
  return accept();
}

const escrowLogic = defineLogic({ name: 'example.escrow', version: 1, check: checkEscrow });

// --- the tests ---

const depositor = keyPairFromSeed('ed25519', bytes32(11));
const keyA = keyPairFromSeed('secp256k1', bytes32(12));
const keyB = keyPairFromSeed('ed25519', bytes32(13));
const stranger = keyPairFromSeed('ed25519', bytes32(14));

function escrow(
  ledger: Ledger,
  quantity: bigint,
  isEphemeral: boolean,
  random: ReturnType<typeof seededRandom>,
): Held {
  const nk = random(32);
  const parts: ResourceParts = createResource({
    logicRef: escrowLogic.ref,
    label: escrowLabel(depositor.publicKey, 'rent deposit'),
    quantity,
    home: ledger.id,
    data: escrowData(keyA.publicKey, keyB.publicKey),
    nkCommitment: nkCommitment(nk),
    isEphemeral,
    random,
  });
  return { ...parts, nk };
}

async function funded() {
  const logics = builtinRegistry().register(escrowLogic);
  const ledger = new Ledger('alpha', { logics });
  const random = seededRandom('escrow');
  // Funding: consume an ephemeral escrow (the depositor signs), create the real one.
  const source = escrow(ledger, 500n, true, random);
  const held = escrow(ledger, 500n, false, random);
  const fund = signTransaction(
    {
      actions: [{ consumed: [await ledger.consume(source)], created: [created(held)] }],
      appData: new Uint8Array(),
      signatures: [],
    },
    [depositor],
  );
  await ledger.apply(fund);
  return { ledger, random, held };
}

/** Releasing: consume the escrow, create an ephemeral one to balance it away. */
async function release(
  ledger: Ledger,
  held: Held,
  random: ReturnType<typeof seededRandom>,
  signers: KeyPair[],
): Promise<Transaction> {
  const gone = escrow(ledger, held.resource.quantity, true, random);
  return signTransaction(
    {
      actions: [{ consumed: [await ledger.consume(held)], created: [created(gone)] }],
      appData: new Uint8Array(),
      signatures: [],
    },
    signers,
  );
}

describe('a custom logic: the escrow of docs/resource-logics.md', () => {
  it('has the ref SHA256("weft.logic" || name || version) of its name and version', () => {
    expect(escrowLogic.ref).toEqual(logicRef('example.escrow', 1));
  });

  it('is unknown to a domain that has not registered it (UNKNOWN_LOGIC)', async () => {
    const { ledger, held, random } = await funded();
    const plain = new Ledger('alpha');
    plain.acceptRemote(ledger);
    const tx = await release(ledger, held, random, [keyA]);
    expectCode(() => validateTransaction(tx, plain.context()), 'UNKNOWN_LOGIC');
  });

  it('is funded only by the depositor', async () => {
    const logics = builtinRegistry().register(escrowLogic);
    const ledger = new Ledger('alpha', { logics });
    const random = seededRandom('fund');
    const source = escrow(ledger, 5n, true, random);
    const tx = signTransaction(
      {
        actions: [
          { consumed: [await ledger.consume(source)], created: [created(escrow(ledger, 5n, false, random))] },
        ],
        appData: new Uint8Array(),
        signatures: [],
      },
      [stranger],
    );
    const e = expectCode(() => validateTransaction(tx, ledger.context()), 'LOGIC_REJECTED');
    expect(e.message).toContain('only the depositor may fund this escrow');
  });

  it('is released by the first key', async () => {
    const { ledger, held, random } = await funded();
    await ledger.apply(await release(ledger, held, random, [keyA]));
    expect(ledger.isSpent(held)).toBe(true);
  });

  it('is released by the second key', async () => {
    const { ledger, held, random } = await funded();
    await ledger.apply(await release(ledger, held, random, [keyB]));
    expect(ledger.isSpent(held)).toBe(true);
  });

  it('is not released by the depositor or anyone else', async () => {
    const { ledger, held, random } = await funded();
    for (const who of [depositor, stranger]) {
      const tx = await release(ledger, held, random, [who]);
      const e = expectCode(() => validateTransaction(tx, ledger.context()), 'LOGIC_REJECTED');
      expect(e.message).toContain('either release key must sign');
    }
  });
});
