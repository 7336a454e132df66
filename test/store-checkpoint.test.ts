// A checkpoint the node writes must be readable again, whatever its size within the named bound:
// the fuzzer found states over the codec's 16 MiB default written but refused on reading.
import { describe, expect, it } from 'vitest';
import { CODEC_LENGTH_MAX, keyPairFromSeed } from '../src/crypto/index.js';
import { encodeState, genesis, makeKeySet } from '../src/domain/index.js';
import { domainId } from '../src/resource/index.js';
import { CHECKPOINT_STATE_BYTES_MAX, decodeCheckpoint, encodeCheckpoint } from '../src/store/index.js';

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

describe('checkpoint size', () => {
  it('reads back a checkpoint whose state is larger than the codec default', () => {
    const config = {
      name: 'big',
      domainId: domainId('big'),
      batchTxsMax: 10,
      blockBatchesMax: 2,
      mempoolTxsMax: 100,
      anchorWindow: 8,
      mempoolTtlBlocks: 8,
      remoteRootsMax: 8,
    };
    const signer = keyPairFromSeed('secp256k1', new Uint8Array(32).fill(7));
    const state = genesis(config, makeKeySet(1, [signer.publicKey]), 0n);
    // Statuses of rejected transactions with long reasons: enough to pass CODEC_LENGTH_MAX.
    const reason = 'x'.repeat(4000);
    for (let i = 0; i < Math.ceil(CODEC_LENGTH_MAX / 4000) + 100; i++) {
      state.statuses.set(i.toString(16).padStart(64, '0'), { status: 'rejected', code: 'BAD_PROOF', reason });
    }
    const bytes = encodeState(state);
    expect(bytes.length).toBeGreaterThan(CODEC_LENGTH_MAX);
    expect(bytes.length).toBeLessThan(CHECKPOINT_STATE_BYTES_MAX);
    const cp = decodeCheckpoint(encodeCheckpoint(1n, 2n, new Uint8Array(32), bytes));
    expect(cp.height).toBe(1n);
    expect(cp.seq).toBe(2n);
    expect(cp.state.statuses.size).toBe(state.statuses.size);
    expect(same(encodeState(cp.state), bytes)).toBe(true);
  }, 60_000);
});
