// Fixtures for domain tests: deterministic keys and clocks, and a wallet that mints and moves
// token resources through a Domain (local form, with proofs from the domain's tree).
import { type KeyPair, keyPairFromSeed, type PublicKey, sha256, utf8 } from '../../src/crypto/index.js';
import { Domain, type DomainLimits } from '../../src/domain/index.js';
import { commitment, createToken, nkCommitment, type ResourceParts } from '../../src/resource/index.js';
import {
  type Consumed,
  type Created,
  decodeHeight,
  mintTx,
  signTransaction,
  type Transaction,
} from '../../src/tx/index.js';
import { seededRandom } from '../support.js';

export function key(type: 'secp256k1' | 'ed25519', name: string): KeyPair {
  return keyPairFromSeed(type, sha256(utf8(`key/${name}`)));
}

export const issuer = key('ed25519', 'issuer');
export const alice = key('ed25519', 'alice');
export const bob = key('ed25519', 'bob');
export const carol = key('secp256k1', 'carol');

/** A clock that moves one second per reading, from a fixed start. */
export function steppingClock(startMs = 1_700_000_000_000n): () => bigint {
  let t = startMs;
  return () => {
    t += 1000n;
    return t;
  };
}

export async function makeDomain(
  name: string,
  opts: { limits?: DomainLimits; signers?: KeyPair[]; threshold?: number } = {},
): Promise<Domain> {
  const signers = opts.signers ?? [key('secp256k1', `${name}/operator`)];
  return Domain.create({
    name,
    signers,
    limits: opts.limits,
    clock: steppingClock(),
    genesisTimestamp: 1_700_000_000_000n,
  });
}

/** A token resource someone holds: its parts and nullifier key. */
export type Coin = ResourceParts & { nk: Uint8Array };

/** Makes and moves USD tokens on one domain; randomness is seeded, so runs repeat exactly. */
export class Wallet {
  private readonly random;
  constructor(
    readonly domain: Domain,
    seed = 'wallet',
  ) {
    this.random = seededRandom(`${domain.name}/${seed}`);
  }

  coin(owner: PublicKey, quantity: bigint, isEphemeral = false): Coin {
    const nk = this.random(32);
    const parts = createToken({
      label: { issuer: issuer.publicKey, symbol: 'USD' },
      owner,
      quantity,
      home: this.domain.id,
      nkCommitment: nkCommitment(nk),
      isEphemeral,
      random: this.random,
    });
    return { ...parts, nk };
  }

  /** A mint (weft/tx `mintTx`): the issuer creates a real token for `owner`. */
  mintTx(owner: PublicKey, quantity: bigint): { tx: Transaction; coin: Coin } {
    return mintTx({ issuer, symbol: 'USD', owner, quantity, home: this.domain.id, random: this.random });
  }

  /** Mints and seals, returning a coin committed on the domain. */
  async mint(owner: PublicKey, quantity: bigint): Promise<Coin> {
    const { tx, coin } = this.mintTx(owner, quantity);
    const r = await this.domain.submit(tx);
    if (r.status.status !== 'pending') throw new Error(`mint refused: ${JSON.stringify(r.status)}`);
    await this.domain.sealBlock();
    return coin;
  }

  /** The consumed entry for a coin, proven against the domain's tree now (local form). */
  consume(c: Coin, opts: { network?: boolean; height?: bigint } = {}): Consumed {
    if (opts.network)
      return { resource: c.resource, value: c.value, label: c.label, nk: c.nk, commitmentProof: null };
    const p = this.domain.proveCommitment(commitment(c.resource), opts.height);
    if (p.value === null) throw new Error('coin is not committed');
    const height = decodeHeight(p.value);
    return {
      resource: c.resource,
      value: c.value,
      label: c.label,
      nk: c.nk,
      commitmentProof: { anchor: p.root, height, proof: p.proof },
    };
  }

  /** Spends `c` (owned by `owner`) into `amount` for `to` and the change back to the owner. */
  transferTx(
    c: Coin,
    owner: KeyPair,
    to: PublicKey,
    amount: bigint,
    opts: { network?: boolean; height?: bigint } = {},
  ): { tx: Transaction; out: Coin; change: Coin | null } {
    const out = this.coin(to, amount);
    const rest = c.resource.quantity - amount;
    const change = rest > 0n ? this.coin(owner.publicKey, rest) : null;
    const createdList = [created(out), ...(change ? [created(change)] : [])];
    const tx = signTransaction(
      {
        actions: [{ consumed: [this.consume(c, opts)], created: createdList }],
        appData: new Uint8Array(),
        signatures: [],
      },
      [owner],
    );
    return { tx, out, change };
  }
}

export function created(p: ResourceParts): Created {
  return { resource: p.resource, value: p.value, label: p.label };
}
