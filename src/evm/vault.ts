// Driving WeftVault from TypeScript: deploying it (and a test ERC-20), claiming resources Weft
// domains moved to it, locking tokens out to a Weft domain, refunding unclaimed locks, and a
// mirror of its append-only commitment tree for Weft nodes that anchor claims on its roots.
import type { Address, Hex, TransactionReceipt } from 'viem';
import { parseEventLogs } from 'viem';
import { concatBytes, fromHex, sha256, toHex, WeftError } from '../crypto/index.js';
import {
  commitment,
  encodeResource,
  labelRef,
  nullifier,
  type ResourceParts,
  type TokenLabel,
  tokenLabel,
  tokenLogic,
} from '../resource/index.js';
import type { Proof } from '../smt/index.js';
import { commitmentKey, encodeHeight, nullifierKey, VAULT_TREE_DEPTH, verifyVaultPath } from '../tx/index.js';
import { weftTestTokenAbi, weftTestTokenBytecode, weftVaultAbi, weftVaultBytecode } from './artifacts.js';
import type { EvmConnection } from './chain.js';
import { deployContract, sendContract } from './contracts.js';
import { encodeProofForEvm } from './proof.js';

const hex = (b: Uint8Array): Hex => toHex(b) as Hex;

/** Levels of the vault's commitment tree (TREE_DEPTH in WeftVault). */
export { VAULT_TREE_DEPTH };

export type DeployVaultParameters = {
  lightClient: Address;
  token: Address;
  /** the vault's DomainId: resources homed on it are claimed on it */
  domainId: Uint8Array;
  /** the Weft token kind the ERC-20 stands for: its label, or the label's encoded preimage */
  label: TokenLabel | Uint8Array;
};

/**
 * Deploys WeftVault for one ERC-20 and one Weft token kind (the built-in token logic with
 * `label`).
 *
 * @example
 * const vault = await deployVault(evm, { lightClient, token, domainId: domainId('evm-1337'), label });
 */
export async function deployVault(evm: EvmConnection, p: DeployVaultParameters): Promise<Address> {
  const label = p.label instanceof Uint8Array ? p.label : tokenLabel(p.label);
  const args = [p.lightClient, p.token, hex(p.domainId), hex(tokenLogic.ref), hex(labelRef(label))];
  return (await deployContract(evm, weftVaultAbi, weftVaultBytecode, args)).address;
}

/** Deploys the test ERC-20 (its deployer mints). */
export async function deployTestToken(
  evm: EvmConnection,
  name = 'Weft Test',
  symbol = 'WEFT',
): Promise<Address> {
  return (await deployContract(evm, weftTestTokenAbi, weftTestTokenBytecode, [name, symbol])).address;
}

export type VaultClaim = {
  /** the Weft domain whose tree holds the moved resource's commitment */
  source: Uint8Array;
  /** an accepted height of `source` whose root holds it */
  height: bigint;
  /** the height the commitment was created at (its tree value) */
  createdHeight: bigint;
  /** the moved resource, homed on the vault */
  moved: ResourceParts;
  nk: Uint8Array;
  /** proof of `0x01 ‖ cm` under `source`'s root at `height` */
  proof: Proof;
};

/** The `claim` arguments of a moved resource. */
export function vaultClaimArgs(c: VaultClaim) {
  return [
    hex(c.source),
    c.height,
    c.createdHeight,
    hex(encodeResource(c.moved.resource)),
    hex(c.moved.value),
    hex(c.nk),
    hex(encodeProofForEvm(c.proof)),
  ] as const;
}

/** Claims a resource a Weft domain moved to the vault: the ERC-20 goes to its owner's address. */
export async function claimOnVault(
  evm: EvmConnection,
  vault: Address,
  c: VaultClaim,
): Promise<TransactionReceipt> {
  return sendContract(evm, {
    address: vault,
    abi: weftVaultAbi,
    functionName: 'claim',
    args: vaultClaimArgs(c),
  });
}

/** The vault's commitment and nullifier keys of a resource, as a Weft tree holds them. */
export function vaultTreeKeys(parts: ResourceParts, nk: Uint8Array) {
  const cm = commitment(parts.resource);
  return { cm, nf: nullifier(parts.resource, nk, cm), commitmentKey: commitmentKey(cm) };
}

export type VaultLock = {
  commitment: Uint8Array;
  index: bigint;
  root: Uint8Array;
  receipt: TransactionReceipt;
};

/**
 * Locks `out.resource.quantity` tokens of the caller (approving the vault first) into `out`, a
 * resource homed on a Weft domain; returns its commitment, leaf index and the vault's new root.
 */
export async function lockOnVault(
  evm: EvmConnection,
  vault: Address,
  token: Address,
  out: ResourceParts,
): Promise<VaultLock> {
  await sendContract(evm, {
    address: token,
    abi: weftTestTokenAbi,
    functionName: 'approve',
    args: [vault, out.resource.quantity],
  });
  const receipt = await sendContract(evm, {
    address: vault,
    abi: weftVaultAbi,
    functionName: 'lock',
    args: [hex(encodeResource(out.resource)), hex(out.value)],
  });
  const [event] = parseEventLogs({ abi: weftVaultAbi, logs: receipt.logs, eventName: 'Locked' });
  if (!event) throw new WeftError('BAD_RESPONSE', 'the lock landed without a Locked event');
  return {
    commitment: fromHex(event.args.commitment, 32),
    index: event.args.index,
    root: fromHex(event.args.root, 32),
    receipt,
  };
}

export type VaultRefund = {
  /** the accepted header of the destination (the resource's home) stamped past the deadline */
  height: bigint;
  out: ResourceParts;
  nk: Uint8Array;
  /** proof that `0x02 ‖ nf` is absent under that header's root */
  proof: Proof;
};

/** Refunds a lock its destination did not claim by the deadline. */
export async function refundOnVault(
  evm: EvmConnection,
  vault: Address,
  r: VaultRefund,
): Promise<TransactionReceipt> {
  return sendContract(evm, {
    address: vault,
    abi: weftVaultAbi,
    functionName: 'refund',
    args: [
      r.height,
      hex(encodeResource(r.out.resource)),
      hex(r.out.value),
      hex(r.nk),
      hex(encodeProofForEvm(r.proof)),
    ],
  });
}

export type VaultExpiry = {
  nullifier: Uint8Array;
  /** the leaf appended: `vaultExpiredMarker(nullifier)` */
  marker: Uint8Array;
  index: bigint;
  root: Uint8Array;
  receipt: TransactionReceipt;
};

/**
 * Expires a resource moved to the vault that was not claimed by its deadline (WeftVault
 * `expire`): its nullifier is recorded there and its marker appended to the commitment tree,
 * where its source domain finds it and refunds the resource (docs/evm.md).
 */
export async function expireOnVault(
  evm: EvmConnection,
  vault: Address,
  moved: ResourceParts,
  nk: Uint8Array,
): Promise<VaultExpiry> {
  const receipt = await sendContract(evm, {
    address: vault,
    abi: weftVaultAbi,
    functionName: 'expire',
    args: [hex(encodeResource(moved.resource)), hex(moved.value), hex(nk)],
  });
  const [event] = parseEventLogs({ abi: weftVaultAbi, logs: receipt.logs, eventName: 'Expired' });
  if (!event) throw new WeftError('BAD_RESPONSE', 'the expiry landed without an Expired event');
  return {
    nullifier: fromHex(event.args.nullifier, 32),
    marker: fromHex(event.args.marker, 32),
    index: event.args.index,
    root: fromHex(event.args.root, 32),
    receipt,
  };
}

/** The key a refund proves absent, and a claim writes on a Weft domain: `0x02 ‖ nf`. */
export function vaultNullifierKey(parts: ResourceParts, nk: Uint8Array): Uint8Array {
  return nullifierKey(vaultTreeKeys(parts, nk).nf);
}

/** The tree value of a commitment created at `height` (u64 big-endian). */
export function createdHeightValue(height: bigint): Uint8Array {
  return encodeHeight(height);
}

/**
 * The vault's commitment tree off-chain: depth 32, leaves the commitments in lock order,
 * `node = SHA256(left ‖ right)`, absent leaves 32 zero bytes. Rebuilt from `Locked` events, it
 * gives the roots the vault emits and the paths a Weft domain checks a claim against.
 */
export class VaultCommitmentTree {
  private readonly leaves: Uint8Array[] = [];
  private static readonly zeros: Uint8Array[] = (() => {
    const z: Uint8Array[] = [new Uint8Array(32)];
    for (let i = 0; i < VAULT_TREE_DEPTH; i++) z.push(sha256(concatBytes(z[i]!, z[i]!)));
    return z;
  })();

  get size(): number {
    return this.leaves.length;
  }

  append(cm: Uint8Array): number {
    if (!(cm instanceof Uint8Array) || cm.length !== 32)
      throw new WeftError('BAD_INPUT', 'a commitment is 32 bytes');
    this.leaves.push(cm.slice());
    return this.leaves.length - 1;
  }

  /** The root over the first `count` leaves (default all). */
  root(count = this.leaves.length): Uint8Array {
    let level = this.leaves.slice(0, count);
    for (let d = 0; d < VAULT_TREE_DEPTH; d++) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < level.length; i += 2) {
        next.push(sha256(concatBytes(level[i]!, level[i + 1] ?? VaultCommitmentTree.zeros[d]!)));
      }
      level = next;
    }
    return level[0] ?? VaultCommitmentTree.zeros[VAULT_TREE_DEPTH]!;
  }

  /** The 32 siblings of leaf `index`, bottom first, in the tree of the first `count` leaves. */
  path(index: number, count = this.leaves.length): Uint8Array[] {
    if (!Number.isInteger(index) || index < 0 || index >= count)
      throw new WeftError('BAD_INPUT', 'no such leaf');
    const out: Uint8Array[] = [];
    let level = this.leaves.slice(0, count);
    let i = index;
    for (let d = 0; d < VAULT_TREE_DEPTH; d++) {
      out.push(level[i ^ 1] ?? VaultCommitmentTree.zeros[d]!);
      const next: Uint8Array[] = [];
      for (let j = 0; j < level.length; j += 2) {
        next.push(sha256(concatBytes(level[j]!, level[j + 1] ?? VaultCommitmentTree.zeros[d]!)));
      }
      level = next;
      i >>= 1;
    }
    return out;
  }
}

/** Whether `path` (bottom first) proves `cm` at leaf `index` under the vault root `root` (weft/tx `verifyVaultPath`). */
export function verifyVaultCommitment(
  root: Uint8Array,
  cm: Uint8Array,
  index: number,
  path: Uint8Array[],
): boolean {
  return verifyVaultPath(root, cm, index, path);
}
