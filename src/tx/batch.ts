// Validating many independent transactions against one context, with signature checks on a
// worker pool. The calling thread validates chunks whose signatures the pool has answered and,
// rather than wait for the pool, validates whole chunks itself from the back of the batch, so
// both the pool and the caller stay busy. Each outcome equals validateTransaction's (same
// checks in the same order, same error code), whichever thread checked the signatures.
import { type SignatureVerifierPool, WeftError } from '../crypto/index.js';
import type { TxHashMemo } from './hashMemo.js';
import { preverifySignatures, type SignatureResults, verifyTransactionSignatures } from './signatures.js';
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
  const validate = (start: number, end: number, answers?: (SignatureResults | undefined)[]): void => {
    for (let i = start; i < end; i++) {
      const signatureResults = answers?.[i - start];
      outcomes[i] = outcomeOf(() =>
        validateTransaction(txs[i]!, ctx, signatureResults === undefined ? {} : { signatureResults }),
      );
    }
  };
  if (opts.pool === undefined) validate(0, txs.length);
  else await shareWithPool(txs, opts.pool, validate, (start, end) => validate(start, end));
  return outcomes;
}

/**
 * Checks the signatures of many transactions, on the pool and on the calling thread at once:
 * the same sharing as `validateBatch`, for callers that validate later themselves (a domain's
 * pure apply). `result[i]` answers `txs[i]`, or is undefined for one that cannot be encoded.
 * With `shareCaller: false` the calling thread takes no chunk of its own (it checks here only
 * what the pool failed to answer): for a caller whose thread has other serial work to do
 * meanwhile — a domain admits and seals on it while the pool checks the next submissions. Then
 * every chunk goes to the pool at once (nothing here would feed it later while that thread is
 * busy). `hashes`: a memo the caller's admission created (never one from a submitter), into which
 * each id and signature witness is derived, for validation given the same memo.
 */
export async function preverifyBatch(
  txs: readonly Transaction[],
  pool: SignatureVerifierPool,
  opts: { shareCaller?: boolean; hashes?: TxHashMemo } = {},
): Promise<(SignatureResults | undefined)[]> {
  if (!Array.isArray(txs)) throw new WeftError('BAD_INPUT', 'txs must be an array of transactions');
  const out = new Array<SignatureResults | undefined>(txs.length);
  const answered = (start: number, end: number, answers?: (SignatureResults | undefined)[]): void => {
    for (let i = start; i < end; i++) out[i] = answers?.[i - start] ?? inlineAnswer(txs[i]!);
  };
  const inline =
    opts.shareCaller === false ? undefined : (start: number, end: number) => answered(start, end);
  await shareWithPool(txs, pool, answered, inline, opts.hashes);
  return out;
}

function inlineAnswer(tx: Transaction): SignatureResults | undefined {
  try {
    return verifyTransactionSignatures(tx);
  } catch {
    return undefined;
  }
}

/**
 * Splits `txs` into chunks: the pool checks signatures from the front, the calling thread handles
 * whole chunks from the back rather than wait (unless `inline` is absent: then every chunk is
 * sent at once and it waits), and `answered` gets each front chunk once its answers are in
 * (without answers when the pool failed: no verdict, check here instead).
 */
async function shareWithPool(
  txs: readonly Transaction[],
  pool: SignatureVerifierPool,
  answered: (start: number, end: number, answers?: (SignatureResults | undefined)[]) => void,
  inline: ((start: number, end: number) => void) | undefined,
  hashes?: TxHashMemo,
): Promise<void> {
  const chunks: Chunk[] = [];
  for (let start = 0; start < txs.length; start += BATCH_CHUNK_TXS) {
    chunks.push({ start, end: Math.min(txs.length, start + BATCH_CHUNK_TXS) });
  }
  // Sharing with the caller keeps a few chunks per worker in flight, so the caller's chunks come
  // off the back; a caller that only waits sends every chunk now: the workers then have the whole
  // batch queued, and stay busy while the caller's thread does other work.
  const inFlightMax =
    inline === undefined ? chunks.length : Math.max(1, pool.threads * BATCH_CHUNKS_IN_FLIGHT_PER_THREAD);
  let front = 0; // next chunk to send to the pool
  let back = chunks.length; // chunks at [back, length) are handled inline
  let oldest = 0; // oldest chunk sent and not yet answered
  const sent: Promise<void>[] = [];
  const send = (): void => {
    const c = chunks[front++]!;
    sent.push(
      preverifySignatures(txs.slice(c.start, c.end), pool, hashes).then(
        (answers) => {
          c.answers = answers;
        },
        (e: unknown) => {
          c.failed = e;
        },
      ),
    );
  };
  while (oldest < back) {
    while (front < back && front - oldest < inFlightMax) send();
    const c = chunks[oldest]!;
    if (c.answers !== undefined || c.failed !== undefined) {
      answered(c.start, c.end, c.answers);
      oldest++;
    } else if (front < back && inline !== undefined) {
      const d = chunks[--back]!;
      inline(d.start, d.end);
      await yieldToEvents();
    } else {
      await sent[oldest];
    }
  }
}
