// Regression tests for what the fuzzer found (docs/fuzzing.md, "Findings"): each named for the
// bug, each on the smallest input that showed it.
import { beforeAll, describe, expect, it } from 'vitest';
import { CODEC_LENGTH_MAX, Reader, utf8, WeftError, Writer } from '../src/crypto/index.js';
import {
  type DomainState,
  decodeInput,
  decodeState,
  decodeStatus,
  encodeInput,
  encodeState,
  encodeStatus,
} from '../src/domain/index.js';
import { decodeMessage, encodeMessage } from '../src/net/index.js';
import { decodeTokenLabel } from '../src/resource/index.js';
import { decodeTransferRecord, encodeTransferRecord } from '../src/transfer/index.js';
import { decodeTransaction, encodeTransaction } from '../src/tx/index.js';
import { buildCorpus, type Corpus } from './fuzz/corpus.js';

const BOM = [0xef, 0xbb, 0xbf];
const INVALID_UTF8 = [0xc3, 0x28];

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof WeftError) return e.code;
    return `untyped ${(e as Error).name}`;
  }
  return 'decoded';
}

/** A rejected status whose code field holds `code` as raw bytes. */
function rejectedStatus(code: number[], reason: number[] = [...utf8('why')]): Uint8Array {
  return new Writer().u8(2).bytes(Uint8Array.from(code), 4096).bytes(Uint8Array.from(reason), 4096).finish();
}

let corpus: Corpus;
beforeAll(async () => {
  corpus = await buildCorpus();
}, 120_000);

describe('fuzz finding: string fields of stored records', () => {
  it('refuses invalid UTF-8 in a status, a re-initialisation or a transfer record with CODEC, never a TypeError', () => {
    expect(codeOf(() => decodeStatus(rejectedStatus(INVALID_UTF8)))).toBe('CODEC');
    const reinit = corpus['domain.input']!.find((b) => b[0] === 7)!;
    const input = decodeInput(reinit);
    if (input.type !== 'reinitRemote') throw new Error('the corpus lost its reinitRemote input');
    // `by` is the last string before the 32-byte evidence: overwrite its first byte with 0xff.
    const broken = reinit.slice();
    broken[broken.length - 32 - utf8(input.by).length] = 0xff;
    expect(codeOf(() => decodeInput(broken))).toBe('CODEC');
    const record = corpus['transfer.record']![0]!.slice();
    // The id string starts after the format byte and its u32 length.
    record[5] = 0xff;
    expect(codeOf(() => decodeTransferRecord(record))).toBe('CODEC');
  });

  it('keeps a leading U+FEFF, so a status, a record id and a message id re-encode to their bytes', () => {
    // A code is one of the table's, so the BOM goes into the reason; a code behind one is refused.
    const status = rejectedStatus([...utf8('BAD_PROOF')], [...BOM, ...utf8('X')]);
    expect(encodeStatus(decodeStatus(status))).toEqual(status);
    expect(codeOf(() => decodeStatus(rejectedStatus([...BOM, ...utf8('BAD_PROOF')])))).toBe('CODEC');
    const rec = decodeTransferRecord(corpus['transfer.record']![0]!);
    const withBom = encodeTransferRecord({
      ...rec,
      transfer: { ...rec.transfer, id: `\ufeff${rec.transfer.id}` },
    });
    expect(encodeTransferRecord(decodeTransferRecord(withBom))).toEqual(withBom);
    const msg = new Writer()
      .u8(1)
      .u8(0)
      .bytes(Uint8Array.from([...BOM, 0x41]), 256)
      .bytes(new Uint8Array(1), 1)
      .finish();
    expect(decodeMessage(msg).id).toBe('\ufeffA');
    expect(encodeMessage(decodeMessage(msg))).toEqual(msg);
  });

  it('refuses a token symbol behind a U+FEFF instead of reading it as the bare symbol', () => {
    const label = corpus['resource.tokenLabel']![0]!;
    const symbol = decodeTokenLabel(label).symbol;
    const prefix = label.subarray(0, label.length - 4 - symbol.length);
    const withBom = new Writer()
      .fixed(prefix, prefix.length)
      .bytes(Uint8Array.from([...BOM, ...utf8(symbol)]), 64)
      .finish();
    expect(codeOf(() => decodeTokenLabel(withBom))).toBe('CODEC');
  });
});

describe('fuzz finding: transactions the encoder refuses', () => {
  it('refuses a transaction without actions, an empty action and a signature listed twice with TX_MALFORMED', () => {
    const none = new Writer().u8(1).u32(0).u32(0).u32(0).finish();
    expect(codeOf(() => decodeTransaction(none))).toBe('TX_MALFORMED');
    const empty = new Writer().u8(1).u32(1).u32(0).u32(0).u32(0).u32(0).finish();
    expect(codeOf(() => decodeTransaction(empty))).toBe('TX_MALFORMED');
    const signed = corpus['tx.transaction']!.find((b) => decodeTransaction(b).signatures.length === 1)!;
    const sigBytes = 1 + decodeTransaction(signed).signatures[0]!.publicKey.bytes.length + 64;
    const head = signed.subarray(0, signed.length - 4 - sigBytes);
    const sig = signed.subarray(signed.length - sigBytes);
    const twice = new Writer()
      .fixed(head, head.length)
      .u32(2)
      .fixed(sig, sig.length)
      .fixed(sig, sig.length)
      .finish();
    expect(codeOf(() => decodeTransaction(twice))).toBe('TX_MALFORMED');
    // the canonical form still round-trips
    expect(encodeTransaction(decodeTransaction(signed))).toEqual(signed);
  });
});

describe('fuzz finding: a checkpoint state listing an entry twice', () => {
  /** Encodes `state` with `field` listing its first entry twice (the encoder only sees a Map). */
  function twice(state: DomainState, field: 'remotes' | 'statuses' | 'roots'): Uint8Array {
    if (field === 'roots') {
      // A view's roots are its window of headers (one per height): list the first one twice.
      const [id, view] = [...state.remotes][0]!;
      const entries = [...view.recent.values()];
      const recent = {
        values: () => [entries[0]!, ...entries][Symbol.iterator](),
      } as unknown as typeof view.recent;
      return encodeState({ ...state, remotes: new Map([[id, { ...view, recent }]]) });
    }
    if (field === 'remotes') {
      const v = [...state.remotes.values()][0]!;
      const doubled = { values: () => [v, v][Symbol.iterator]() } as unknown as DomainState['remotes'];
      return encodeState({ ...state, remotes: doubled });
    }
    const entries = [...state.statuses];
    return encodeState({
      ...state,
      statuses: [...entries, entries[0]!] as unknown as DomainState['statuses'],
    });
  }

  it('refuses a remote view, a remote root or a transaction status listed twice (CODEC) instead of collapsing it', () => {
    const state = decodeState(corpus['domain.state']![0]!);
    expect(state.remotes.size).toBeGreaterThan(0);
    expect([...state.remotes.values()][0]!.roots.size).toBeGreaterThan(0);
    expect(state.statuses.size).toBeGreaterThan(0);
    for (const field of ['remotes', 'statuses', 'roots'] as const) {
      expect(
        codeOf(() => decodeState(twice(state, field))),
        field,
      ).toBe('CODEC');
    }
    expect(encodeState(decodeState(corpus['domain.state']![0]!))).toEqual(corpus['domain.state']![0]);
  });
});

describe('fuzz finding: the codec names the limit it applies', () => {
  it('reports CODEC_LENGTH_MAX, not the larger maximum the caller asked for', () => {
    const bytes = new Writer().u32(CODEC_LENGTH_MAX + 1).finish();
    expect(() => new Reader(bytes).bytes(1 << 30)).toThrow(`exceeds its maximum of ${CODEC_LENGTH_MAX}`);
  });
});

describe('the fuzz corpus', () => {
  it('holds every kind of domain input, each round-tripping', () => {
    const kinds = new Set<number>();
    for (const b of corpus['domain.input']!) {
      kinds.add(b[0]!);
      expect(encodeInput(decodeInput(b))).toEqual(b);
    }
    expect(kinds.size).toBe(7);
  });
});
