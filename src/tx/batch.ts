// Validating many independent transactions against one context, with signature checks on a
// worker pool. The calling thread validates chunks whose signatures the pool has answered and,
// rather than wait for the pool, validates whole chunks itself from the back of the batch, so
// both the pool and the caller stay busy. Each outcome equals validateTransaction's (same
// checks in the same order, same error code), whichever thread checked the signatures.
import { type SignatureVerifierPool, WeftError } from '../crypto/index.js';
import { preverifySignatures, type SignatureResults } from './signatures.js';
import type { Transaction } from './types.js';
import { type ValidationContext, type ValidTransaction, validateTransaction } from './validate.js';

/** Transactions per chunk: enough to amortize a round trip to the pool. */
export const BATCH_CHUNK_TXS = 64;
/** Chunks on the pool at once per worker thread. */
export const BATCH_CHUNKS_IN_FLIGHT_PER_THREAD = 4;
/** Most transactions one call validates. */
export const BATCH_TXS_MAX = 1_000_000;

export type BatchOutcome = { ok: true; valid: ValidTransaction } | { ok: false; error: WeftError };

type Chunk = { start: number; end: number; answers?: (SignatureResults | undefined)[]; failed?: unknown };

function outcomeOf(fn: () => ValidTransaction): BatchOutcome {
  try {
    return { ok: true, valid: fn() };
  } catch (e) {
    if (e instanceof WeftError) return { ok: false, error: e };
    throw e;
  }
}

/** Lets worker replies (macrotasks) be delivered before the next chunk. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Validates `txs` independently against `ctx` (they must not depend on each other: a batch with
 * non-overlapping nullifiers, all checked against the same state), returning one outcome per
 * transaction in order. With a pool, signatures are checked on its workers; without one, this
 * is validateTransaction in a loop. `ctx` must not change until the promise settles.
 *
 * @example
 * const outcomes = await validateBatch(txs, ctx, { pool });
 * const valid = outcomes.filter((o) => o.ok);
 */
export async function validateBatch(
  txs: readonly Transaction[],
  ctx: ValidationContext,
  opts: { pool?: SignatureVerifierPool } = {},
): Promise<BatchOutcome[]> {
  if (!Array.isArray(txs)) throw new WeftError('BAD_INPUT', 'txs must be an array of transactions');
  if (txs.length > BATCH_TXS_MAX) {
    throw new WeftError(
      'LIMIT_EXCEEDED',
      `at most ${BATCH_TXS_MAX} transactions per batch, got ${txs.length}`,
    );
  }
  const outcomes = new Array<BatchOutcome>(txs.length);
  const pool = opts.pool;
  if (pool === undefined) {
    for (let i = 0; i < txs.length; i++) outcomes[i] = outcomeOf(() => validateTransaction(txs[i]!, ctx));
    return outcomes;
  }
  const chunks: Chunk[] = [];
  for (let start = 0; start < txs.length; start += BATCH_CHUNK_TXS) {
    chunks.push({ start, end: Math.min(txs.length, start + BATCH_CHUNK_TXS) });
  }
  const inFlightMax = Math.max(1, pool.threads * BATCH_CHUNKS_IN_FLIGHT_PER_THREAD);
  let front = 0; // next chunk to send to the pool
  let back = chunks.length; // chunks at [back, length) are validated inline
  let oldest = 0; // oldest chunk sent and not yet validated
  const sent: Promise<void>[] = [];
  const send = (): void => {
    const c = chunks[front++]!;
    sent.push(
      preverifySignatures(txs.slice(c.start, c.end), pool).then(
        (answers) => {
          c.answers = answers;
        },
        (e: unknown) => {
          c.failed = e;
        },
      ),
    );
  };
  const validateChunk = (c: Chunk, answers?: (SignatureResults | undefined)[]): void => {
    for (let i = c.start; i < c.end; i++) {
      const signatureResults = answers?.[i - c.start];
      outcomes[i] = outcomeOf(() =>
        validateTransaction(txs[i]!, ctx, signatureResults === undefined ? {} : { signatureResults }),
      );
    }
  };
  while (oldest < back) {
    while (front < back && front - oldest < inFlightMax) send();
    const c = chunks[oldest]!;
    if (c.answers !== undefined || c.failed !== undefined) {
      // A pool failure is no verdict: check that chunk's signatures here instead.
      validateChunk(c, c.answers);
      oldest++;
    } else if (front < back) {
      validateChunk(chunks[--back]!);
      await yieldToEvents();
    } else {
      await sent[oldest];
    }
  }
  return outcomes;
}
