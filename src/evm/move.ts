// A Weft transaction that moves a token to the vault: the coin is consumed on its home domain
// and re-created homed on the vault's DomainId, owned by a secp256k1 key — the key whose
// Ethereum address the vault pays when the moved resource is claimed (docs/evm.md, value layout).
import { type KeyPair, type PublicKey, WeftError } from '../crypto/index.js';
import {
  createResource,
  defaultRandom,
  nkCommitment,
  type Random,
  type ResourceParts,
  tokenData,
} from '../resource/index.js';
import { signTransaction, type Transaction } from '../tx/index.js';

export type MoveToVaultParameters = {
  /** the coin to move, with its value and label preimages and nullifier key */
  coin: ResourceParts & { nk: Uint8Array };
  /** the coin's owner, who signs */
  owner: KeyPair;
  /** the vault's DomainId */
  vault: Uint8Array;
  /** the new owner on the vault: a secp256k1 key (its Ethereum address receives the ERC-20) */
  evmOwner: PublicKey;
  /**
   * A deadline (ms, the chain's block time) for the vault's claim; past it the vault refuses the
   * claim and anyone holding the resource may `expire` it there, and the source refunds it
   * (docs/evm.md). Absent: none (no refund).
   */
  deadline?: bigint;
  /** the moved resource's nullifier key (default: fresh random bytes) */
  nk?: Uint8Array;
  random?: Random;
};

/**
 * The signed move (a network transaction: its home fills in the coin's commitment proof) and
 * the moved resource with its nullifier key, which the claim on the vault needs.
 *
 * @example
 * const { tx, moved } = moveToVaultTx({ coin, owner, vault: vaultId, evmOwner: key.publicKey });
 * await client.submit(tx);
 */
export function moveToVaultTx(p: MoveToVaultParameters): {
  tx: Transaction;
  moved: ResourceParts & { nk: Uint8Array };
} {
  if (p.evmOwner?.type !== 'secp256k1') {
    throw new WeftError(
      'BAD_INPUT',
      'the owner on the vault must be a secp256k1 key: it has an Ethereum address',
    );
  }
  const random = p.random ?? defaultRandom;
  const nk = p.nk ?? random(32);
  const moved = createResource({
    logicRef: p.coin.resource.logicRef,
    label: p.coin.label,
    quantity: p.coin.resource.quantity,
    home: p.vault,
    data: tokenData(p.evmOwner),
    nkCommitment: nkCommitment(nk),
    ...(p.deadline !== undefined ? { deadline: p.deadline } : {}),
    random,
  });
  const tx = signTransaction(
    {
      actions: [
        {
          consumed: [
            {
              resource: p.coin.resource,
              value: p.coin.value,
              label: p.coin.label,
              nk: p.coin.nk,
              commitmentProof: null,
            },
          ],
          created: [{ resource: moved.resource, value: moved.value, label: moved.label }],
        },
      ],
      appData: new Uint8Array(),
      signatures: [],
    },
    [p.owner],
  );
  return { tx, moved: { ...moved, nk } };
}
