// Worker threads for wave execution: each worker loads the programs from a module and runs jobs
// with runTx; the calling thread runs a share of every wave itself, so one worker uses two cores.
import { Worker } from 'node:worker_threads';
import { WeftError } from '../crypto/index.js';
import { runTx, type TxJob, type TxOutcome } from './execute.js';
import type { WaveRunner } from './parallel.js';
import type { ProgramLookup } from './program.js';

/** Most worker threads one runner starts. */
export const WAVE_WORKERS_MAX = 16;
/** Waves smaller than this run on the calling thread: cloning jobs would cost more than it saves. */
export const WAVE_PARALLEL_JOBS_MIN = 8;

export type WorkerWaveRunnerOptions = {
  /** URL of an ES module exporting the programs as an array (the same programs as `programs`) */
  programsModule: string;
  /** name of that export (default `programs`) */
  programsExport?: string;
  /** the programs, for the calling thread's share */
  programs: ProgramLookup;
  threads: number;
};

type Pending = { resolve: (o: TxOutcome[]) => void; reject: (e: unknown) => void };

/** A WaveRunner over worker threads. Close it when done. */
export class WorkerWaveRunner implements WaveRunner {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly programs: ProgramLookup;

  constructor(opts: WorkerWaveRunnerOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 0 || opts.threads > WAVE_WORKERS_MAX) {
      throw new WeftError('BAD_INPUT', `threads must be 0 to ${WAVE_WORKERS_MAX}`);
    }
    this.programs = opts.programs;
    for (let i = 0; i < opts.threads; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: {
          programsModule: opts.programsModule,
          programsExport: opts.programsExport ?? 'programs',
        },
      });
      w.on('message', (msg: { id: number; outcomes?: TxOutcome[]; error?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (this.pending.size === 0) for (const x of this.workers) x.unref();
        if (msg.outcomes) p.resolve(msg.outcomes);
        else p.reject(new WeftError('BAD_INPUT', `wave worker failed: ${msg.error}`));
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      w.unref();
      this.workers.push(w);
    }
  }

  async run(jobs: TxJob[]): Promise<TxOutcome[]> {
    if (this.workers.length === 0 || jobs.length < WAVE_PARALLEL_JOBS_MIN)
      return jobs.map((j) => runTx(j, this.programs));
    const parts = this.workers.length + 1;
    const size = Math.ceil(jobs.length / parts);
    const sent = this.workers.map((w, i) => this.send(w, jobs.slice((i + 1) * size, (i + 2) * size)));
    const mine = jobs.slice(0, size).map((j) => runTx(j, this.programs));
    const theirs = await Promise.all(sent);
    return [...mine, ...theirs.flat()];
  }

  private send(worker: Worker, jobs: TxJob[]): Promise<TxOutcome[]> {
    if (jobs.length === 0) return Promise.resolve([]);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Idle workers do not keep the process alive; a worker with a job in flight does.
      worker.ref();
      worker.postMessage({ id, jobs });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
