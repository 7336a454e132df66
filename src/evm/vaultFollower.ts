// Following a vault from a Weft node's side: what a node in the `evm` verification mode reads
// over JSON-RPC. Roots come from the vault's `Locked` events in blocks at least `confirmations`
// deep, rebuilt into the commitment tree here (each event's root must match the rebuild, and the
// contract's own `rootAt` at that block must too); nullifiers are read at a chosen block.
// With `stateProofs` (the default) the contract's count and root are also proven with
// `eth_getProof` against the state root of the block's header, whose hash is recomputed here.
// Trust: the JSON-RPC endpoint reports the canonical chain's block headers, and the chain does
// not reorganise deeper than `confirmations` blocks (docs/evm.md, "What each part trusts").
import type { Address, Hex, PublicClient } from 'viem';
import { bytesToBigInt, parseEventLogs } from 'viem';
import { equalBytes, fromHex, toHex, WeftError } from '../crypto/index.js';
import { weftVaultAbi, weftVaultStorageLayout } from './artifacts.js';
import { getVerifiedBlockHeader } from './blockHeader.js';
import { getProvenStorage, mappingSlot } from './storageProof.js';
import { VaultCommitmentTree } from './vault.js';

/** Blocks a vault event must be buried under before a follower believes it, by default. */
export const VAULT_CONFIRMATIONS_DEFAULT = 12n;
/** Most blocks one `getLogs` call spans. */
export const VAULT_LOG_BLOCKS_MAX = 5_000n;
/** Roots the vault keeps (ROOT_HISTORY in WeftVault): the root after n leaves is `_roots[n % 256]`. */
const VAULT_ROOT_HISTORY = 256n;

/** The vault as of one confirmed block: what a Weft node records like a remote header. */
export type VaultView = {
  blockNumber: bigint;
  blockHash: Uint8Array;
  /** the block's timestamp in milliseconds (Weft's unit for deadlines) */
  timestampMs: bigint;
  commitmentCount: bigint;
  root: Uint8Array;
};

export type VaultFollowerOptions = {
  confirmations?: bigint;
  fromBlock?: bigint;
  /**
   * Check every block header's hash over its fields and prove the vault's `commitmentCount` and
   * root (and `nullifierUsed`) with `eth_getProof` under the header's state root (default true).
   * Off, the follower believes the endpoint's `eth_call` answers: only for endpoints without
   * `eth_getProof`, and docs/evm.md says what that trusts.
   */
  stateProofs?: boolean;
};

/** A block as the follower read it; `stateRoot` only from a header whose hash it recomputed. */
type FollowedBlock = {
  number: bigint;
  hash: Uint8Array;
  timestamp: bigint;
  stateRoot: Uint8Array | undefined;
};

/**
 * One lock as the chain recorded it: the vault after its `count`-th commitment, in the block that
 * appended it. What `vaultHeader` turns into the "header" a Weft node records in `evm` mode: every
 * node following the vault derives the same one, whenever it reads it.
 */
export type VaultLockFacts = {
  /** commitments in the vault after this lock (its leaf index + 1) */
  count: bigint;
  commitment: Uint8Array;
  /** the vault's root after it */
  root: Uint8Array;
  blockNumber: bigint;
  blockHash: Uint8Array;
  /** that block's timestamp in milliseconds */
  timestampMs: bigint;
};

/**
 * Follows one vault's commitment tree from its events.
 *
 * @example
 * const follower = new VaultFollower(evm.public, vault, { confirmations: 12n });
 * const view = await follower.sync();          // the vault as of a block 12 deep
 * const { index, path } = follower.commitmentPath(cm)!;
 */
export class VaultFollower {
  private readonly tree = new VaultCommitmentTree();
  private readonly indexOf = new Map<string, number>();
  private nextBlock: bigint;
  private readonly confirmations: bigint;
  private readonly stateProofs: boolean;
  private last: VaultView | undefined;
  private readonly lockFacts: VaultLockFacts[] = [];

  constructor(
    private readonly client: PublicClient,
    private readonly vault: Address,
    opts: VaultFollowerOptions = {},
  ) {
    this.confirmations = opts.confirmations ?? VAULT_CONFIRMATIONS_DEFAULT;
    this.nextBlock = opts.fromBlock ?? 0n;
    this.stateProofs = opts.stateProofs ?? true;
    if (this.confirmations < 0n) throw new WeftError('BAD_INPUT', 'confirmations must be at least 0');
  }

  /** The last view `sync` produced. */
  get view(): VaultView | undefined {
    return this.last;
  }

  /**
   * Reads every `Locked` event up to the latest block at least `confirmations` deep, checks each
   * against the rebuilt tree and the contract's root at that block, and returns the view there.
   * Throws BAD_RESPONSE when the endpoint's answers do not agree with each other.
   */
  async sync(): Promise<VaultView> {
    const head = await this.client.getBlockNumber({ cacheTime: 0 });
    const target = head >= this.confirmations ? head - this.confirmations : 0n;
    for (let from = this.nextBlock; from <= target; from += VAULT_LOG_BLOCKS_MAX) {
      const to = from + VAULT_LOG_BLOCKS_MAX - 1n < target ? from + VAULT_LOG_BLOCKS_MAX - 1n : target;
      const logs = await this.client.getLogs({ address: this.vault, fromBlock: from, toBlock: to });
      // Leaves come from locks and from expiry markers (`expire`), in index order.
      const locked = parseEventLogs({ abi: weftVaultAbi, logs, eventName: ['Locked', 'Expired'] })
        .map((e) => ({
          blockNumber: e.blockNumber,
          blockHash: e.blockHash,
          args: {
            index: e.args.index,
            root: e.args.root,
            commitment: e.eventName === 'Locked' ? e.args.commitment : e.args.marker,
          },
        }))
        .sort((a, b) => Number(a.args.index - b.args.index));
      const stamps = new Map<bigint, bigint>();
      for (const e of locked) {
        if (e.args.index !== BigInt(this.tree.size)) {
          throw new WeftError(
            'BAD_RESPONSE',
            `vault event for leaf ${e.args.index} arrived as leaf ${this.tree.size}`,
          );
        }
        const cm = fromHex(e.args.commitment, 32);
        this.indexOf.set(toHex(cm), this.tree.append(cm));
        const root = this.tree.root();
        if (!equalBytes(root, fromHex(e.args.root, 32))) {
          throw new WeftError(
            'BAD_RESPONSE',
            `the vault's root after leaf ${e.args.index} does not match its commitments`,
          );
        }
        if (e.blockNumber === null || e.blockHash === null)
          throw new WeftError('BAD_RESPONSE', `vault event for leaf ${e.args.index} names no block`);
        let stamp = stamps.get(e.blockNumber);
        if (stamp === undefined) {
          const b = await this.block(e.blockNumber);
          if (!equalBytes(b.hash, fromHex(e.blockHash, 32)))
            throw new WeftError('BAD_RESPONSE', `block ${e.blockNumber}'s hash differs from its event's`);
          stamp = b.timestamp * 1000n;
          stamps.set(e.blockNumber, stamp);
        }
        this.lockFacts.push({
          count: e.args.index + 1n,
          commitment: cm,
          root,
          blockNumber: e.blockNumber,
          blockHash: fromHex(e.blockHash, 32),
          timestampMs: stamp,
        });
      }
    }
    this.nextBlock = target + 1n;
    const block = await this.block(target);
    // A block before the vault was deployed: nothing locked yet (and nothing to ask it).
    const code = await this.client.getCode({ address: this.vault, blockNumber: target });
    if (code === undefined || code === '0x') {
      if (this.tree.size !== 0)
        throw new WeftError('BAD_RESPONSE', `the vault has no code at block ${target}, yet events before it`);
      this.last = {
        blockNumber: target,
        blockHash: block.hash,
        timestampMs: block.timestamp * 1000n,
        commitmentCount: 0n,
        root: this.tree.root(),
      };
      return this.last;
    }
    const count = await this.client.readContract({
      address: this.vault,
      abi: weftVaultAbi,
      functionName: 'commitmentCount',
      blockNumber: target,
    });
    if (count !== BigInt(this.tree.size)) {
      throw new WeftError(
        'BAD_RESPONSE',
        `the vault holds ${count} commitments at block ${target}, its events ${this.tree.size}`,
      );
    }
    const root = this.tree.root();
    const onChain = await this.client.readContract({
      address: this.vault,
      abi: weftVaultAbi,
      functionName: 'currentRoot',
      blockNumber: target,
    });
    if (!equalBytes(root, fromHex(onChain, 32))) {
      throw new WeftError('BAD_RESPONSE', `the vault's root at block ${target} does not match its events`);
    }
    if (block.stateRoot !== undefined)
      await this.proveCountAndRoot({ ...block, stateRoot: block.stateRoot }, count, root);
    this.last = {
      blockNumber: target,
      blockHash: block.hash,
      timestampMs: block.timestamp * 1000n,
      commitmentCount: count,
      root,
    };
    return this.last;
  }

  /** A block's number, hash and time: from a header whose hash was recomputed, with `stateProofs`. */
  private async block(blockNumber: bigint): Promise<FollowedBlock> {
    if (this.stateProofs) return getVerifiedBlockHeader(this.client, blockNumber);
    const b = await this.client.getBlock({ blockNumber });
    if (b.hash === null) throw new WeftError('BAD_RESPONSE', `block ${blockNumber} has no hash`);
    return {
      number: blockNumber,
      hash: fromHex(b.hash as Hex, 32),
      timestamp: b.timestamp,
      stateRoot: undefined,
    };
  }

  /**
   * Proves the vault's `commitmentCount` and the root `currentRoot` returns (`_roots[count % 256]`)
   * against the block's state root: the endpoint would have to forge the header to lie about them.
   */
  private async proveCountAndRoot(
    block: FollowedBlock & { stateRoot: Uint8Array },
    count: bigint,
    root: Uint8Array,
  ): Promise<void> {
    const layout = weftVaultStorageLayout;
    const slots = [layout.commitmentCount.slot, layout._roots.slot + (count % VAULT_ROOT_HISTORY)];
    const proven = await getProvenStorage(this.client, this.vault, slots, block);
    if (proven === null)
      throw new WeftError('BAD_RESPONSE', `the state of block ${block.number} proves no vault account`);
    if (proven[0] !== count)
      throw new WeftError(
        'BAD_RESPONSE',
        `the vault's storage proves ${proven[0]} commitments at block ${block.number}, its events ${count}`,
      );
    if (proven[1] !== bytesToBigInt(root))
      throw new WeftError('BAD_RESPONSE', `the vault's storage proves another root at block ${block.number}`);
  }

  /** Every lock read so far (confirmed), in lock order: `locks()[i].count === i + 1`. */
  locks(): readonly VaultLockFacts[] {
    return this.lockFacts;
  }

  /** Where a locked commitment sits and its path under the followed root; undefined if not locked (yet). */
  commitmentPath(
    cm: Uint8Array,
    count = this.tree.size,
  ): { index: number; path: Uint8Array[]; root: Uint8Array } | undefined {
    const index = this.indexOf.get(toHex(cm));
    if (index === undefined || index >= count || count > this.tree.size) return undefined;
    return { index, path: this.tree.path(index, count), root: this.tree.root(count) };
  }

  /**
   * Whether the vault had recorded nullifier `nf` (claimed or refunded) as of `blockNumber`
   * (default: the followed block). A Weft domain refunds a transfer into the vault only when
   * this is false at a block stamped past the transfer's deadline.
   */
  async nullifierUsed(nf: Uint8Array, blockNumber = this.last?.blockNumber): Promise<boolean> {
    if (blockNumber === undefined) throw new WeftError('BAD_INPUT', 'sync first, or name a block');
    if (nf.length !== 32) throw new WeftError('BAD_INPUT', 'a nullifier is 32 bytes');
    if (this.stateProofs) {
      const header = await getVerifiedBlockHeader(this.client, blockNumber);
      const slot = mappingSlot(nf, weftVaultStorageLayout.nullifierUsed.slot);
      const proven = await getProvenStorage(this.client, this.vault, [slot], header);
      const used = proven?.[0] ?? 0n;
      if (used > 1n)
        throw new WeftError('BAD_RESPONSE', `the vault's nullifier slot holds ${used}, not a bool`);
      return used === 1n;
    }
    return this.client.readContract({
      address: this.vault,
      abi: weftVaultAbi,
      functionName: 'nullifierUsed',
      args: [toHex(nf) as Hex],
      blockNumber,
    });
  }
}
