// A node following an EVM vault in the `evm` verification mode (docs/evm.md, "The evm mode"):
// every `pollMs` it reads the vault's `Locked` events from blocks at least `confirmations` deep
// (weft/evm `VaultFollower`, which cross-checks them against the contract's own roots), derives
// one header per lock (`vaultHeaders`), lets sync decide (`decideVaultAcceptance`) and records
// the accepted ones in the domain like remote headers: their roots become anchors that claims of
// locked resources prove a vault path under. Trusts the endpoint's block headers (the vault's
// storage is proven against them with eth_getProof) and the chain's finality.
// The EVM half (viem and weft/evm) is loaded by `open` (vaultEvm.ts): a node that follows no
// vault never loads it, which keeps its start-up short (issue 17, target 5).
import type { Address } from 'viem';
import { WeftError } from '../crypto/index.js';
import type { Domain, Header } from '../domain/index.js';
import type { VaultFollower, VaultLockFacts } from '../evm/vaultFollower.js';
import { decideVaultAcceptance } from '../sync/index.js';

/** How often a node reads a vault it follows, by default. */
export const VAULT_POLL_MS_DEFAULT = 1_000;

/** Where the vault a node follows is, and how deep its events must be before the node believes them. */
export type EvmFollowOptions = {
  /** the chain's JSON-RPC endpoint (trusted: docs/evm.md) */
  rpcUrl: string;
  /** the WeftVault's address */
  vault: string;
  /** blocks a lock must be buried under (default VAULT_CONFIRMATIONS_DEFAULT, 12) */
  confirmations?: bigint;
  /** how often to read the chain (ms, default VAULT_POLL_MS_DEFAULT) */
  pollMs?: number;
  /**
   * prove the vault's count and root with `eth_getProof` under hash-checked block headers
   * (default true; off trusts the endpoint's `eth_call` answers: docs/evm.md)
   */
  stateProofs?: boolean;
};

/**
 * One vault followed by one domain.
 *
 * @example
 * const watch = await VaultWatch.open(domain, { rpcUrl, vault, confirmations: 2n });
 * await watch.poll(); // records every confirmed lock not recorded yet
 */
export class VaultWatch {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | null = null;
  /** the last refusal, if the endpoint's answers were refused (cleared by the next good poll) */
  lastError: WeftError | undefined;

  private constructor(
    readonly domain: Domain,
    readonly vaultId: Uint8Array,
    readonly vault: Address,
    readonly follower: VaultFollower,
    private readonly headersOf: (vaultId: Uint8Array, locks: readonly VaultLockFacts[]) => Header[],
    private readonly clock: () => bigint,
    private readonly onError: (e: Error) => void,
  ) {}

  /**
   * Reads the vault's DomainId from the contract; UNAVAILABLE when the endpoint does not answer.
   * With `stateProofs` (the default) it also proves the vault's count at the latest block once,
   * so that an endpoint that cannot serve the cross-check is refused at start, not at every poll.
   */
  static async open(
    domain: Domain,
    opts: EvmFollowOptions,
    p: { clock?: () => bigint; onError?: (e: Error) => void } = {},
  ): Promise<VaultWatch> {
    const evm = await import('./vaultEvm.js');
    const { vaultId, vault, follower } = await evm.connectVault(opts);
    return new VaultWatch(
      domain,
      vaultId,
      vault,
      follower,
      evm.vaultHeaders,
      p.clock ?? (() => BigInt(Date.now())),
      p.onError ?? (() => {}),
    );
  }

  /** Polls every `pollMs` until `close`. */
  start(pollMs = VAULT_POLL_MS_DEFAULT): void {
    this.timer = setInterval(() => void this.poll().catch(() => {}), pollMs);
    this.timer.unref();
    void this.poll().catch(() => {});
  }

  /**
   * Reads the chain once and records every confirmed lock the domain has not recorded. Throws
   * (and reports to `onError`) what the endpoint's answers break: BAD_RESPONSE (events and
   * contract disagree), or the refusal of `decideVaultAcceptance`.
   */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    try {
      await this.follower.sync();
      const verdict = decideVaultAcceptance(
        this.domain.remoteView(this.vaultId),
        this.headersOf(this.vaultId, this.follower.locks()),
      );
      if (verdict.kind === 'refuse') throw new WeftError(verdict.code, verdict.message);
      for (const h of verdict.record)
        await this.domain.acceptRemoteHeader(h, { mode: 'evm', atMs: this.clock() });
      this.lastError = undefined;
    } catch (e) {
      const err =
        e instanceof WeftError ? e : new WeftError('UNAVAILABLE', String((e as Error)?.message ?? e));
      this.lastError = err;
      this.onError(err);
      throw err;
    }
  }

  /** Stops polling and waits for a poll in progress. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling?.catch(() => {});
  }
}
