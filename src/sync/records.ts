// What a domain's tree says about other domains: `0x03 || DomainId -> headerHash || u64 height`,
// written when it accepts a remote header. Others read these records to prove what it knew.
import { assertBytes, check } from '../crypto/index.js';
import { remoteHeaderKey } from '../domain/index.js';
import type { Write } from '../smt/index.js';
import { encodeHeight } from '../tx/index.js';

export const REMOTE_HEADER_KEY_PREFIX = 0x03;
/** Bytes of a remote-header key: the prefix and a DomainId. */
export const REMOTE_HEADER_KEY_BYTES = 33;
/** Bytes of a remote-header record: header hash (32) and height (u64). */
export const REMOTE_HEADER_RECORD_BYTES = 40;

/** A remote header as a domain's tree records it. */
export type RemoteHeaderRecord = { domainId: Uint8Array; headerHash: Uint8Array; height: bigint };

export function encodeRemoteHeaderRecord(headerHash: Uint8Array, height: bigint): Uint8Array {
  assertBytes(headerHash, 32, 'headerHash');
  const out = new Uint8Array(REMOTE_HEADER_RECORD_BYTES);
  out.set(headerHash, 0);
  out.set(encodeHeight(height), 32);
  return out;
}

/** Whether a tree write has the shape of a remote-header record (key 33 bytes, value 40). */
export function isRemoteHeaderWrite(w: Write): boolean {
  return (
    w.key.length === REMOTE_HEADER_KEY_BYTES &&
    w.key[0] === REMOTE_HEADER_KEY_PREFIX &&
    w.value !== null &&
    w.value.length === REMOTE_HEADER_RECORD_BYTES
  );
}

/** Decodes a remote-header write; throws BAD_INPUT when it is not one. */
export function decodeRemoteHeaderWrite(w: Write): RemoteHeaderRecord {
  check(
    isRemoteHeaderWrite(w),
    'BAD_INPUT',
    'not a remote-header record (0x03 key of 33 bytes, 40-byte value)',
  );
  const v = w.value!;
  return {
    domainId: w.key.slice(1),
    headerHash: v.slice(0, 32),
    height: new DataView(v.buffer, v.byteOffset + 32, 8).getBigUint64(0),
  };
}

/** The remote-header records among `writes` (last write to a key wins). */
export function remoteHeaderRecords(writes: Write[]): RemoteHeaderRecord[] {
  const byDomain = new Map<string, RemoteHeaderRecord>();
  for (const w of writes) {
    if (!isRemoteHeaderWrite(w)) continue;
    const rec = decodeRemoteHeaderWrite(w);
    byDomain.set(Buffer.from(rec.domainId).toString('hex'), rec);
  }
  return [...byDomain.values()];
}

/** The write recording `rec` in a tree (what `Domain.acceptRemoteHeader` queues). */
export function remoteHeaderWrite(rec: RemoteHeaderRecord): Write {
  assertBytes(rec.domainId, 32, 'domainId');
  return { key: remoteHeaderKey(rec.domainId), value: encodeRemoteHeaderRecord(rec.headerHash, rec.height) };
}
