// The transcript: an append-only, hash-chained log of every input given to the domain's apply,
// durable before the input is applied (docs/storage.md).
//
//   key   = seq (u64, from 1)
//   value = u32 length || input (encodeInput) || prevHash 32 || entryHash 32
//   entryHash = SHA256("weft.transcript" || u64 seq || prevHash || input); entry 1 chains to zeros.
import { equalBytes, sha256, toHex, utf8, WeftError, Writer } from '../crypto/index.js';
import { type DomainInput, decodeInput } from '../domain/index.js';
import { type Db, readU64Key, u64Key } from './env.js';

const TAG = utf8('weft.transcript');
export const GENESIS_LINK = new Uint8Array(32);

export type TranscriptEntry = { seq: bigint; input: Uint8Array; prevHash: Uint8Array; hash: Uint8Array };

export function entryHash(seq: bigint, prevHash: Uint8Array, input: Uint8Array): Uint8Array {
  const w = new Writer(TAG.length + 40 + input.length);
  w.fixed(TAG, TAG.length).u64(seq).fixed(prevHash, 32).fixed(input, input.length);
  return sha256(w.finish());
}

export function encodeEntry(
  seq: bigint,
  prevHash: Uint8Array,
  input: Uint8Array,
): { value: Uint8Array; hash: Uint8Array } {
  const hash = entryHash(seq, prevHash, input);
  const value = new Uint8Array(4 + input.length + 64);
  new DataView(value.buffer).setUint32(0, input.length);
  value.set(input, 4);
  value.set(prevHash, 4 + input.length);
  value.set(hash, 4 + input.length + 32);
  return { value, hash };
}

/** Why an entry cannot be trusted; `torn` means shorter than it claims (a partial write). */
export type EntryFault = {
  seq: bigint;
  kind: 'torn' | 'corrupt' | 'broken-chain' | 'gap' | 'undecodable';
  message: string;
};

/** Parses and checks one stored entry against the hash it must chain to. */
export function checkEntry(
  seq: bigint,
  value: Uint8Array,
  expectPrev: Uint8Array,
): { entry: TranscriptEntry } | { fault: EntryFault } {
  if (value.length < 4)
    return {
      fault: {
        seq,
        kind: 'torn',
        message: `entry ${seq} is ${value.length} bytes, shorter than its length field`,
      },
    };
  const n = new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
  if (value.length < 4 + n + 64) {
    return {
      fault: {
        seq,
        kind: 'torn',
        message: `entry ${seq} holds ${value.length} bytes of the ${4 + n + 64} it claims`,
      },
    };
  }
  if (value.length > 4 + n + 64) {
    return {
      fault: {
        seq,
        kind: 'corrupt',
        message: `entry ${seq} has ${value.length - (4 + n + 64)} bytes past its end`,
      },
    };
  }
  const input = value.subarray(4, 4 + n);
  const prevHash = value.subarray(4 + n, 4 + n + 32);
  const hash = value.subarray(4 + n + 32);
  if (!equalBytes(entryHash(seq, prevHash, input), hash)) {
    return {
      fault: {
        seq,
        kind: 'corrupt',
        message: `entry ${seq} does not match its own hash (its bytes changed)`,
      },
    };
  }
  if (!equalBytes(prevHash, expectPrev)) {
    return {
      fault: {
        seq,
        kind: 'broken-chain',
        message: `entry ${seq} links to ${toHex(prevHash)}, but entry ${seq - 1n} hashes to ${toHex(expectPrev)}`,
      },
    };
  }
  return { entry: { seq, input: input.slice(), prevHash: prevHash.slice(), hash: hash.slice() } };
}

/**
 * Reads entries after `fromSeq` (whose hash is `fromHash`), checking the chain. Stops at the
 * first fault and returns it with the entries before it.
 */
export function readEntries(
  db: Db,
  fromSeq: bigint,
  fromHash: Uint8Array,
): { entries: TranscriptEntry[]; fault: EntryFault | null; lastSeq: bigint } {
  const entries: TranscriptEntry[] = [];
  let expect = fromHash;
  let next = fromSeq + 1n;
  let lastSeq = fromSeq;
  for (const { key, value } of db.getRange({ start: u64Key(fromSeq + 1n) })) {
    const seq = readU64Key(key as Uint8Array);
    lastSeq = seq;
    if (seq !== next)
      return {
        entries,
        fault: { seq, kind: 'gap', message: `entry ${next} is missing (found ${seq} next)` },
        lastSeq,
      };
    const checked = checkEntry(seq, value as Uint8Array, expect);
    if ('fault' in checked) return { entries, fault: checked.fault, lastSeq };
    entries.push(checked.entry);
    expect = checked.entry.hash;
    next++;
  }
  return { entries, fault: null, lastSeq };
}

/** Decodes an entry's input, naming the entry when it cannot. */
export function entryInput(e: TranscriptEntry): DomainInput {
  try {
    return decodeInput(e.input);
  } catch (err) {
    throw new WeftError(
      'TRANSCRIPT_CORRUPT',
      `transcript entry ${e.seq} does not decode: ${(err as Error).message}`,
    );
  }
}
