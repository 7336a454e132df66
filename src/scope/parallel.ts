// Parallel execution: declared sets split a block into waves of transactions that touch no common
// object written by one of them; each wave runs side by side, results commit in order, and the
// outcome is identical to executeBlock's.
import { hexKey, WeftError } from '../crypto/index.js';
import type { TxMeta } from './dag.js';
import { isRead } from './declaration.js';
import {
  type BlockResult,
  commitOutcome,
  type ExecuteBlockInput,
  jobFor,
  offDagResult,
  runTx,
  type TxJob,
  type TxOutcome,
  type TxResult,
  treeWrites,
} from './execute.js';
import { BLOCK_SCOPED_TXS_MAX } from './limits.js';
import type { ProgramLookup } from './program.js';

/** Runs a wave's jobs (independent by construction) and answers their outcomes in order. */
export interface WaveRunner {
  run(jobs: TxJob[]): Promise<TxOutcome[]>;
}

/** Runs every job on the calling thread, one after another: the reference runner. */
export function inlineRunner(programs: ProgramLookup): WaveRunner {
  return { run: async (jobs) => jobs.map((j) => runTx(j, programs)) };
}

/**
 * Groups the on-DAG transactions of `metas` into waves (indices into `metas`, in order): a
 * transaction goes one wave after every earlier one it conflicts with — one writes an object the
 * other reads or writes. Off-DAG transactions touch nothing and are left out.
 */
export function conflictWaves(metas: readonly TxMeta[]): number[][] {
  const lastWrite = new Map<string, number>();
  const lastRead = new Map<string, number>();
  const waves: number[][] = [];
  for (const [i, meta] of metas.entries()) {
    if (!meta.onDag) continue;
    let wave = 0;
    for (const e of meta.entries) {
      const w = lastWrite.get(e.objectKey) ?? -1;
      wave = Math.max(wave, w + 1);
      if (e.seq !== null) wave = Math.max(wave, (lastRead.get(e.objectKey) ?? -1) + 1);
    }
    for (const e of meta.entries) {
      if (e.seq !== null) lastWrite.set(e.objectKey, Math.max(lastWrite.get(e.objectKey) ?? -1, wave));
      if (isRead(e.access)) lastRead.set(e.objectKey, Math.max(lastRead.get(e.objectKey) ?? -1, wave));
    }
    (waves[wave] ??= []).push(i);
  }
  return waves;
}

/**
 * executeBlock with each wave handed to `runner` (worker threads, or inline). The DAG is appended
 * in order first (metadata only), then waves run one after another and commit in order.
 */
export async function executeBlockParallel(
  input: ExecuteBlockInput,
  runner: WaveRunner,
): Promise<BlockResult> {
  if (input.txs.length > BLOCK_SCOPED_TXS_MAX) {
    throw new WeftError(
      'LIMIT_EXCEEDED',
      `a block hands at most ${BLOCK_SCOPED_TXS_MAX} transactions to the executor`,
    );
  }
  const metas = input.txs.map((tx) => input.dag.append(tx.id, tx.declaration, input.height));
  const results: (TxResult | undefined)[] = metas.map((m) => (m.onDag ? undefined : offDagResult(m)));
  const touched = new Set<string>();
  for (const wave of conflictWaves(metas)) {
    const jobs = wave.map((i) => jobFor(input.txs[i]!, metas[i]!, input.table));
    const outcomes = await runner.run(jobs);
    if (outcomes.length !== jobs.length)
      throw new WeftError('BAD_INPUT', 'a wave runner answered the wrong number of outcomes');
    for (const [k, i] of wave.entries()) {
      const result = commitOutcome(metas[i]!, jobs[k]!, outcomes[k]!, input.table);
      for (const v of result.vertices) touched.add(hexKey(v.object));
      results[i] = result;
    }
  }
  return { results: results as TxResult[], writes: treeWrites(input.table, touched) };
}
