// The EVM half of `VaultWatch` (vaultWatch.ts), loaded only when a node follows a vault: viem and
// weft/evm cost a quarter of a second to load, which a node without a vault should not pay.
import { type Address, createPublicClient, type Hex, http, isAddress, type PublicClient } from 'viem';
import { fromHex, WeftError } from '../crypto/index.js';
import { weftVaultAbi, weftVaultStorageLayout } from '../evm/artifacts.js';
import { getVerifiedBlockHeader } from '../evm/blockHeader.js';
import { EVM_RPC_TIMEOUT_MS } from '../evm/chain.js';
import { getProvenStorage } from '../evm/storageProof.js';
import { VAULT_CONFIRMATIONS_DEFAULT, VaultFollower } from '../evm/vaultFollower.js';
import type { EvmFollowOptions } from './vaultWatch.js';

export { vaultHeaders } from '../evm/vaultHeader.js';

/** Refuses an endpoint whose latest header does not hash to its name or that answers no proof. */
async function canProve(client: PublicClient, vault: Address, rpcUrl: string): Promise<void> {
  try {
    const header = await getVerifiedBlockHeader(client, await client.getBlockNumber({ cacheTime: 0 }));
    if (
      (await getProvenStorage(client, vault, [weftVaultStorageLayout.commitmentCount.slot], header)) === null
    )
      throw new WeftError('BAD_RESPONSE', `the latest state proves no account at ${vault}`);
  } catch (e) {
    const code = e instanceof WeftError ? e.code : 'UNAVAILABLE';
    throw new WeftError(
      code,
      `the vault's storage cannot be proven over ${rpcUrl} (the evm mode checks it with eth_getProof against block headers): ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * The vault at `opts.vault`, reached over `opts.rpcUrl`: its DomainId read from the contract
 * (UNAVAILABLE when the endpoint does not answer) and a follower of its locks. With `stateProofs`
 * (the default) it also proves the vault's count at the latest block once, so that an endpoint
 * that cannot serve the cross-check is refused at start, not at every poll.
 */
export async function connectVault(
  opts: EvmFollowOptions,
): Promise<{ vaultId: Uint8Array; vault: Address; follower: VaultFollower }> {
  if (!isAddress(opts.vault, { strict: false }))
    throw new WeftError('BAD_INPUT', `the vault address '${opts.vault}' is not an EVM address`);
  const client = createPublicClient({
    transport: http(opts.rpcUrl, { timeout: EVM_RPC_TIMEOUT_MS, retryCount: 3 }),
  }) as PublicClient;
  let id: Hex;
  try {
    id = await client.readContract({
      address: opts.vault as Address,
      abi: weftVaultAbi,
      functionName: 'domainId',
    });
  } catch (e) {
    throw new WeftError(
      'UNAVAILABLE',
      `no vault answers at ${opts.vault} over ${opts.rpcUrl}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const stateProofs = opts.stateProofs ?? true;
  if (stateProofs) await canProve(client, opts.vault as Address, opts.rpcUrl);
  const follower = new VaultFollower(client, opts.vault as Address, {
    confirmations: opts.confirmations ?? VAULT_CONFIRMATIONS_DEFAULT,
    stateProofs,
  });
  return { vaultId: fromHex(id, 32), vault: opts.vault as Address, follower };
}
