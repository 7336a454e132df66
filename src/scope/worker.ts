// Worker-thread side of WorkerWaveRunner: loads the programs module once and runs jobs with runTx.
import { parentPort, workerData } from 'node:worker_threads';
import { runTx, type TxJob } from './execute.js';
import { type Program, ProgramRegistry } from './program.js';

const data = workerData as { programsModule: string; programsExport: string };
const mod = (await import(data.programsModule)) as Record<string, readonly Program[]>;
const registry = new ProgramRegistry(mod[data.programsExport] ?? []);

parentPort!.on('message', (msg: { id: number; jobs: TxJob[] }) => {
  try {
    parentPort!.postMessage({ id: msg.id, outcomes: msg.jobs.map((j) => runTx(j, registry)) });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
