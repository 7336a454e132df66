// The small sync messages besides root updates: asking a domain for the headers a view is
// missing (gap filling over a transport), and telling a domain how far an observer has accepted.
import {
  assertBytes,
  check,
  decodeAll,
  type Reader,
  WeftError,
  type WeftErrorCode,
  Writer,
} from '../crypto/index.js';
import type { Domain } from '../domain/index.js';
import { exclusionsOf } from './exclusions.js';
import { UPDATE_CHAIN_MAX } from './limits.js';
import { scopeWitnessOf } from './scopes.js';
import { type RootUpdate, recordedHeaders, rootUpdateFromBlock } from './update.js';

export const HEADER_REQUEST_FORMAT = 0x01;
export const SYNC_CONFIRMATION_FORMAT = 0x01;
export const SYNC_INTEREST_FORMAT = 0x01;

/** "Send me `domainId`'s root updates for heights from..to (inclusive)." At most UPDATE_CHAIN_MAX heights. */
export type HeaderRequest = { domainId: Uint8Array; fromHeight: bigint; toHeight: bigint; withTxs: boolean };

/**
 * "`observer` has accepted `domainId` up to `height` (header `headerHash`)." A claim of the
 * observer, for flow control and retries; the verifiable form is the `0x03 || domainId` record
 * in the observer's own tree, provable under its next root.
 */
export type SyncConfirmation = {
  observer: Uint8Array;
  domainId: Uint8Array;
  height: bigint;
  headerHash: Uint8Array;
};

function checkSpan(from: bigint, to: bigint, code: WeftErrorCode): void {
  if (
    typeof from !== 'bigint' ||
    typeof to !== 'bigint' ||
    from < 0n ||
    to < from ||
    to - from >= BigInt(UPDATE_CHAIN_MAX)
  ) {
    throw new WeftError(code, `a header request spans 1..${UPDATE_CHAIN_MAX} heights, from <= to`);
  }
}

/** u8 format || domainId 32 || u64 fromHeight || u64 toHeight || bool withTxs. */
export function encodeHeaderRequest(r: HeaderRequest): Uint8Array {
  assertBytes(r.domainId, 32, 'domainId');
  checkSpan(r.fromHeight, r.toHeight, 'BAD_INPUT');
  return new Writer(50)
    .u8(HEADER_REQUEST_FORMAT)
    .fixed(r.domainId, 32)
    .u64(r.fromHeight)
    .u64(r.toHeight)
    .bool(r.withTxs)
    .finish();
}

export function decodeHeaderRequest(bytes: Uint8Array): HeaderRequest {
  return decodeAll(bytes, (r: Reader) => {
    const format = r.u8();
    check(format === HEADER_REQUEST_FORMAT, 'CODEC', `unknown header request format ${format}`);
    const req = { domainId: r.fixed(32).slice(), fromHeight: r.u64(), toHeight: r.u64(), withTxs: r.bool() };
    checkSpan(req.fromHeight, req.toHeight, 'CODEC');
    return req;
  });
}

/**
 * The root updates `domain` has for a request, in height order (heights it has not committed are
 * left out). UNKNOWN_DOMAIN when the request names another domain.
 */
export function answerHeaderRequest(domain: Domain, req: HeaderRequest): RootUpdate[] {
  assertBytes(req.domainId, 32, 'domainId');
  checkSpan(req.fromHeight, req.toHeight, 'BAD_INPUT');
  if (Buffer.compare(req.domainId, domain.id) !== 0) {
    throw new WeftError('UNKNOWN_DOMAIN', 'the request names another domain');
  }
  const out: RootUpdate[] = [];
  for (let h = req.fromHeight; h <= req.toHeight && h <= domain.committedHeight; h++) {
    const block = domain.block(h);
    const signed = domain.header(h);
    if (!block || !signed) break;
    // A full receiver (the one asking for transactions) also checks the block's records.
    const remoteHeaders = req.withTxs ? recordedHeaders(domain, block) : [];
    const scopeWitness = req.withTxs ? scopeWitnessOf(domain, block) : undefined;
    out.push(
      rootUpdateFromBlock(block, signed, {
        withTxs: req.withTxs,
        remoteHeaders,
        ...(req.withTxs ? { exclusions: exclusionsOf(domain, block) } : {}),
        ...(scopeWitness ? { scopeWitness } : {}),
      }),
    );
  }
  return out;
}

/** u8 format || observer 32 || domainId 32 || u64 height || headerHash 32. */
export function encodeSyncConfirmation(c: SyncConfirmation): Uint8Array {
  return new Writer(105)
    .u8(SYNC_CONFIRMATION_FORMAT)
    .fixed(c.observer, 32)
    .fixed(c.domainId, 32)
    .u64(c.height)
    .fixed(c.headerHash, 32)
    .finish();
}

export function decodeSyncConfirmation(bytes: Uint8Array): SyncConfirmation {
  return decodeAll(bytes, (r: Reader) => {
    const format = r.u8();
    check(format === SYNC_CONFIRMATION_FORMAT, 'CODEC', `unknown sync confirmation format ${format}`);
    return {
      observer: r.fixed(32).slice(),
      domainId: r.fixed(32).slice(),
      height: r.u64(),
      headerHash: r.fixed(32).slice(),
    };
  });
}

/**
 * "`observer` follows `domainId`: send it your root updates" (docs/sync.md, "Who follows whom").
 * `height` is the observer's accepted head of `domainId` (0 when it starts from genesis): the
 * sender answers with its latest block and the observer's gap requests fetch what lies between.
 * `followBack` asks the sender to follow the observer too: the two have transfers with each other
 * (a claim needs the source's root at the destination, a refund the destination's at the source).
 */
export type SyncInterest = {
  observer: Uint8Array;
  domainId: Uint8Array;
  height: bigint;
  followBack: boolean;
};

/** u8 format || observer 32 || domainId 32 || u64 height || bool followBack. */
export function encodeSyncInterest(i: SyncInterest): Uint8Array {
  assertBytes(i.observer, 32, 'observer');
  assertBytes(i.domainId, 32, 'domainId');
  return new Writer(74)
    .u8(SYNC_INTEREST_FORMAT)
    .fixed(i.observer, 32)
    .fixed(i.domainId, 32)
    .u64(i.height)
    .bool(i.followBack)
    .finish();
}

export function decodeSyncInterest(bytes: Uint8Array): SyncInterest {
  return decodeAll(bytes, (r: Reader) => {
    const format = r.u8();
    check(format === SYNC_INTEREST_FORMAT, 'CODEC', `unknown sync interest format ${format}`);
    return {
      observer: r.fixed(32).slice(),
      domainId: r.fixed(32).slice(),
      height: r.u64(),
      followBack: r.bool(),
    };
  });
}
