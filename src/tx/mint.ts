// Building a token mint: the issuer consumes an ephemeral token (which only the issuer may do,
// per the token logic) and creates a real one for the owner. The one place that assembles it.
import type { KeyPair, PublicKey } from '../crypto/index.js';
import {
  createToken,
  defaultRandom,
  nkCommitment,
  type Random,
  type ResourceParts,
} from '../resource/index.js';
import { signTransaction } from './signatures.js';
import type { Transaction } from './types.js';

export type MintParameters = {
  issuer: KeyPair;
  symbol: string;
  owner: PublicKey;
  quantity: bigint;
  /** the DomainId the new token is homed on */
  home: Uint8Array;
  /** the new token's nullifier key (default: fresh random bytes) */
  nk?: Uint8Array;
  random?: Random;
};

/**
 * A signed mint transaction and the token it creates (with its nullifier key).
 *
 * @example
 * const { tx, coin } = mintTx({ issuer, symbol: 'USD', owner: alice.publicKey, quantity: 100n, home });
 * await domain.submit(tx);
 */
export function mintTx(p: MintParameters): { tx: Transaction; coin: ResourceParts & { nk: Uint8Array } } {
  const random = p.random ?? defaultRandom;
  const label = { issuer: p.issuer.publicKey, symbol: p.symbol };
  const make = (nk: Uint8Array, isEphemeral: boolean) =>
    createToken({
      label,
      owner: p.owner,
      quantity: p.quantity,
      home: p.home,
      nkCommitment: nkCommitment(nk),
      isEphemeral,
      random,
    });
  const ephNk = random(32);
  const eph = make(ephNk, true);
  const nk = p.nk ?? random(32);
  const coin = { ...make(nk, false), nk };
  const tx = signTransaction(
    {
      actions: [
        {
          consumed: [
            { resource: eph.resource, value: eph.value, label: eph.label, nk: ephNk, commitmentProof: null },
          ],
          created: [{ resource: coin.resource, value: coin.value, label: coin.label }],
        },
      ],
      appData: new Uint8Array(),
      signatures: [],
      // Signed for the coin's home alone: nowhere else does the mint mean anything.
      executor: p.home,
    },
    [p.issuer],
  );
  return { tx, coin };
}
