// weft/evm: Weft on an EVM chain — the contracts' artifacts typed for viem, the proof and
// header encodings they read, deploy helpers, and the light client's TypeScript driver.

export {
  weftLightClientAbi,
  weftLightClientBytecode,
  weftLightClientStorageLayout,
  weftTestTokenAbi,
  weftTestTokenBytecode,
  weftTestTokenStorageLayout,
  weftVaultAbi,
  weftVaultBytecode,
  weftVaultStorageLayout,
} from './artifacts.js';
export type { VerifiedBlockHeader } from './blockHeader.js';
export { BLOCK_EXTRA_DATA_BYTES_MAX, blockHeaderHash, getVerifiedBlockHeader } from './blockHeader.js';
export type { EvmConnection } from './chain.js';
export { connectEvm, EVM_RPC_TIMEOUT_MS, parsePrivateKey } from './chain.js';
export {
  deployContract,
  deployLightClient,
  EvmRevertError,
  revertReason,
  sendContract,
} from './contracts.js';
export type { DevChain, DevChainOptions } from './devChain.js';
export { DEV_CHAIN_ID, DEV_CHAIN_KEYS, DEV_CHAIN_START_TIMEOUT_MS, startDevChain } from './devChain.js';
export type { EvmHeaderArgs } from './header.js';
export { headerForEvm } from './header.js';
export {
  EVM_HEADER_BATCH_MAX,
  evmAddressOf,
  registerDomain,
  signerAddresses,
  submitHeaders,
  submitMisbehaviour,
  updateKeySet,
} from './lightClient.js';
export type { MoveToVaultParameters } from './move.js';
export { moveToVaultTx } from './move.js';
export { encodeProofForEvm } from './proof.js';
export type { HeaderSource, RelayedDomain, RelayPass } from './relayer.js';
export { EvmRelayer, RELAY_HEADERS_PER_PASS_MAX, RELAY_INTERVAL_MS_DEFAULT } from './relayer.js';
export type { ProofClient } from './storageProof.js';
export {
  getProvenStorage,
  MPT_PROOF_NODE_BYTES_MAX,
  MPT_PROOF_NODES_MAX,
  mappingSlot,
  STORAGE_PROOF_SLOTS_MAX,
  verifyStorageProof,
} from './storageProof.js';
export type { DeployVaultParameters, VaultClaim, VaultExpiry, VaultLock, VaultRefund } from './vault.js';
export {
  claimOnVault,
  createdHeightValue,
  deployTestToken,
  deployVault,
  expireOnVault,
  lockOnVault,
  refundOnVault,
  VAULT_TREE_DEPTH,
  VaultCommitmentTree,
  vaultClaimArgs,
  vaultNullifierKey,
  vaultTreeKeys,
  verifyVaultCommitment,
} from './vault.js';
export type { VaultFollowerOptions, VaultLockFacts, VaultView } from './vaultFollower.js';
export { VAULT_CONFIRMATIONS_DEFAULT, VAULT_LOG_BLOCKS_MAX, VaultFollower } from './vaultFollower.js';
export { vaultHeader, vaultHeaders } from './vaultHeader.js';
