// Following a vault from a Weft node's side: what a node in the `evm` verification mode reads
// over JSON-RPC. Roots come from the vault's `Locked` events in blocks at least `confirmations`
// deep, rebuilt into the commitment tree here (each event's root must match the rebuild, and the
// contract's own `rootAt` at that block must too); nullifiers are read at a chosen block.
// Trust: the JSON-RPC endpoint reports the canonical chain, and the chain does not reorganise
// deeper than `confirmations` blocks (docs/evm.md, "What each part trusts").
import type { Address, Hex, PublicClient } from 'viem';
import { parseEventLogs } from 'viem';
import { equalBytes, fromHex, toHex, WeftError } from '../crypto/index.js';
import { weftVaultAbi } from './artifacts.js';
import { VaultCommitmentTree } from './vault.js';

/** Blocks a vault event must be buried under before a follower believes it, by default. */
export const VAULT_CONFIRMATIONS_DEFAULT = 12n;
/** Most blocks one `getLogs` call spans. */
export const VAULT_LOG_BLOCKS_MAX = 5_000n;

/** The vault as of one confirmed block: what a Weft node records like a remote header. */
export type VaultView = {
  blockNumber: bigint;
  blockHash: Uint8Array;
  /** the block's timestamp in milliseconds (Weft's unit for deadlines) */
  timestampMs: bigint;
  commitmentCount: bigint;
  root: Uint8Array;
};

export type VaultFollowerOptions = { confirmations?: bigint; fromBlock?: bigint };

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
  private last: VaultView | undefined;
  private readonly lockFacts: VaultLockFacts[] = [];

  constructor(
    private readonly client: PublicClient,
    private readonly vault: Address,
    opts: VaultFollowerOptions = {},
  ) {
    this.confirmations = opts.confirmations ?? VAULT_CONFIRMATIONS_DEFAULT;
    this.nextBlock = opts.fromBlock ?? 0n;
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
          const b = await this.client.getBlock({ blockNumber: e.blockNumber });
          if (b.hash !== e.blockHash)
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
    const block = await this.client.getBlock({ blockNumber: target });
    // A block before the vault was deployed: nothing locked yet (and nothing to ask it).
    const code = await this.client.getCode({ address: this.vault, blockNumber: target });
    if (code === undefined || code === '0x') {
      if (this.tree.size !== 0)
        throw new WeftError('BAD_RESPONSE', `the vault has no code at block ${target}, yet events before it`);
      this.last = {
        blockNumber: target,
        blockHash: fromHex(block.hash as Hex, 32),
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
    this.last = {
      blockNumber: target,
      blockHash: fromHex(block.hash as Hex, 32),
      timestampMs: block.timestamp * 1000n,
      commitmentCount: count,
      root,
    };
    return this.last;
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
    return this.client.readContract({
      address: this.vault,
      abi: weftVaultAbi,
      functionName: 'nullifierUsed',
      args: [toHex(nf) as Hex],
      blockNumber,
    });
  }
}
