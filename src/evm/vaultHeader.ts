// The "headers" of a vault as a Weft node records them in `evm` mode (docs/evm.md, "The evm
// mode"): one per lock, derived from the chain alone so that every node following the vault
// derives the same one — whichever block it read it at — and a full-mode verifier can vouch for
// another domain's record of it. Pure.
import { type Header, headerHash } from '../domain/index.js';
import type { VaultLockFacts } from './vaultFollower.js';

/**
 * The header of the vault after its `lock.count`-th commitment:
 * `domain` the vault's DomainId, `height` the commitment count, `prevHash` the previous such
 * header's hash (32 zero bytes for the first lock), `stateRoot` the vault's commitment root,
 * `txRoot` the hash of the block that holds the lock, `timestamp` that block's (ms).
 */
export function vaultHeader(domainId: Uint8Array, lock: VaultLockFacts, prevHash: Uint8Array): Header {
  return {
    domain: domainId,
    height: lock.count,
    prevHash,
    stateRoot: lock.root,
    txRoot: lock.blockHash,
    timestamp: lock.timestampMs,
  };
}

/** The headers of every lock in `locks` (in lock order, from the first), each linked to the one before. */
export function vaultHeaders(domainId: Uint8Array, locks: readonly VaultLockFacts[]): Header[] {
  const out: Header[] = [];
  let prev: Uint8Array = new Uint8Array(32);
  for (const lock of locks) {
    const h = vaultHeader(domainId, lock, prev);
    out.push(h);
    prev = headerHash(h);
  }
  return out;
}
