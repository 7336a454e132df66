// `weft up` / `weft down`: a local network of node processes and a NATS server, all on loopback,
// described by files in one directory so other commands (`weft status`, `weft transfer`,
// `weft proof`) and `weft down` find it again.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeftError } from '../crypto/index.js';
import { freePort, startNatsServer } from '../net/index.js';
import { formatNetworkFile, type NetworkMember, readNetworkFile } from '../node/index.js';
import { openDomainNode } from '../store/index.js';
import { mintDevWallet } from './devWallet.js';
import { signerKey } from './runNode.js';

export const UP_USAGE = `usage: weft up [--domains N] [--dir DIR] [--mode MODE]

Starts a local network in the background: a NATS server (Debian's nats-server, JetStream storage
under DIR/nats) and N \`weft node\` processes (domain-a, domain-b, ...), each with its store in
DIR/<name>, its HTTP API on a free loopback port and its log in DIR/<name>/node.log. Writes
DIR/network.json (the domains and their APIs) and DIR/up.json (the processes). Running it again
on a stopped network restarts the same domains from their stores.

options:
  --domains N   number of domains, 2..16 (default 3; ignored when DIR already holds a network)
  --dir DIR     where the network lives (default ./.weft)
  --mode MODE   how nodes verify each other's root updates: signatures, transition (default), full
  --help        show this text

Then: weft status, weft transfer --from domain-a --to domain-b --wait, weft down.`;

export const DOWN_USAGE = `usage: weft down [--dir DIR] [--purge]

Stops the network \`weft up\` started in DIR (default ./.weft): every node (SIGTERM: each finishes
what it is doing and closes its store), then the NATS server.

options:
  --purge   also delete DIR (stores, keys, wallet, logs)
  --help    show this text`;

/** How long `weft up` waits for every node's API to answer. */
export const UP_READY_TIMEOUT_MS = 60_000;
/** How long `weft down` waits for a process to exit after SIGTERM before SIGKILL. */
export const DOWN_STOP_TIMEOUT_MS = 15_000;

export type UpState = {
  version: 1;
  mode: string;
  nats: { pid: number; url: string };
  nodes: { name: string; pid: number; api: string }[];
};

const binWeft = (): string => resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'weft.mjs');

export function upFile(dir: string): string {
  return join(dir, 'up.json');
}

export function readUpState(dir: string): UpState | null {
  const file = upFile(dir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as UpState;
  } catch (e) {
    throw new WeftError('BAD_CONFIG', `${file} is not readable JSON: ${(e as Error).message}`);
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates (or finds) the domains' stores and the network file, starts NATS and the nodes, and
 * waits until every node answers.
 */
export async function up(
  opts: { domains: number; dir: string; mode: string },
  progress: (line: string) => void,
): Promise<UpState> {
  const dir = resolve(opts.dir);
  const running = readUpState(dir);
  if (running && [running.nats.pid, ...running.nodes.map((n) => n.pid)].some(isRunning)) {
    throw new WeftError(
      'ALREADY_UP',
      `a network is already running in ${dir}; stop it first with weft down --dir ${opts.dir}`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const networkPath = join(dir, 'network.json');
  let members: NetworkMember[];
  if (existsSync(networkPath)) {
    members = readNetworkFile(networkPath).domains;
    progress(`restarting the ${members.length} domains of ${networkPath}`);
  } else {
    members = [];
    for (let i = 0; i < opts.domains; i++) {
      const name = `domain-${String.fromCharCode(97 + i)}`;
      const data = join(dir, name);
      const node = await openDomainNode(data, { signers: [signerKey(data, true)], create: { name } });
      const api = `http://127.0.0.1:${await freePort()}`;
      members.push({
        name,
        id: node.domain.id,
        keySet: node.domain.keySet,
        genesis: node.domain.header(0n)!,
        api,
      });
      await node.close();
      progress(`created ${name}`);
    }
    writeFileSync(networkPath, formatNetworkFile(members));
  }
  const nats = await startNatsServer({
    storeDir: join(dir, 'nats'),
    logFile: join(dir, 'nats', 'nats-server.log'),
    detached: true,
  });
  progress(`NATS on ${nats.url} (pid ${nats.pid})`);
  const state: UpState = { version: 1, mode: opts.mode, nats: { pid: nats.pid, url: nats.url }, nodes: [] };
  for (const m of members) state.nodes.push({ name: m.name, pid: spawnNode(dir, m, state), api: m.api });
  writeFileSync(upFile(dir), `${JSON.stringify(state, null, 2)}\n`);
  for (const n of state.nodes) {
    await waitHealthy(dir, n);
    progress(`${n.name} up on ${n.api} (pid ${n.pid})`);
  }
  await mintDevWallet({ dir, members }, progress);
  return state;
}

/** Starts one node process of the network in `dir` (detached, logging to its node.log). */
function spawnNode(dir: string, m: NetworkMember, state: UpState): number {
  const data = join(dir, m.name);
  const log = openSync(join(data, 'node.log'), 'a');
  const args = ['node', '--domain', m.name, '--data', data, '--listen', new URL(m.api).host];
  args.push('--nats', state.nats.url, '--network', join(dir, 'network.json'), '--mode', state.mode);
  try {
    const child = spawn(process.execPath, [binWeft(), ...args], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    return child.pid!;
  } finally {
    closeSync(log); // the child holds its own copy
  }
}

async function waitHealthy(dir: string, n: UpState['nodes'][number]): Promise<void> {
  const deadline = Date.now() + UP_READY_TIMEOUT_MS;
  for (;;) {
    const ok = await fetch(`${n.api}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (!isRunning(n.pid))
      throw new WeftError(
        'NODE_FAILED',
        `${n.name} exited during start; see ${join(dir, n.name, 'node.log')}`,
      );
    if (Date.now() > deadline)
      throw new WeftError(
        'NODE_FAILED',
        `${n.name} did not answer on ${n.api} within ${UP_READY_TIMEOUT_MS} ms; see its node.log`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

function requireUp(dir: string): UpState {
  const state = readUpState(resolve(dir));
  if (!state) throw new WeftError('NOT_UP', `no network was started in ${resolve(dir)} (no up.json)`);
  return state;
}

/** Starts node `name` of the network in `dir` again (after it stopped or was killed). */
export async function restartNode(dir: string, name: string): Promise<UpState['nodes'][number]> {
  const abs = resolve(dir);
  const state = requireUp(abs);
  const m = readNetworkFile(join(abs, 'network.json')).domains.find((d) => d.name === name);
  const n = state.nodes.find((x) => x.name === name);
  if (!m || !n) throw new WeftError('BAD_INPUT', `no domain '${name}' in ${abs}`);
  if (isRunning(n.pid)) throw new WeftError('ALREADY_UP', `${name} is running (pid ${n.pid})`);
  n.pid = spawnNode(abs, m, state);
  writeFileSync(upFile(abs), `${JSON.stringify(state, null, 2)}\n`);
  await waitHealthy(abs, n);
  return n;
}

/** Starts the NATS server of the network in `dir` again, on its port, with its streams. */
export async function restartNats(dir: string): Promise<void> {
  const abs = resolve(dir);
  const state = requireUp(abs);
  if (isRunning(state.nats.pid)) throw new WeftError('ALREADY_UP', `NATS is running (pid ${state.nats.pid})`);
  const nats = await startNatsServer({
    storeDir: join(abs, 'nats'),
    logFile: join(abs, 'nats', 'nats-server.log'),
    port: Number(new URL(state.nats.url).port),
    detached: true,
  });
  state.nats.pid = nats.pid;
  writeFileSync(upFile(abs), `${JSON.stringify(state, null, 2)}\n`);
}

async function stopPid(pid: number): Promise<void> {
  if (!isRunning(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + DOWN_STOP_TIMEOUT_MS;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
}

/** Stops what `up` started in `dir`: nodes first (they flush their stores), then NATS. */
/** Stops one process of the network (`signal` SIGKILL to simulate a crash). */
export async function stopProcess(
  dir: string,
  which: string,
  signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM',
): Promise<void> {
  const state = requireUp(dir);
  const pid = which === 'nats' ? state.nats.pid : state.nodes.find((n) => n.name === which)?.pid;
  if (pid === undefined) throw new WeftError('BAD_INPUT', `no process '${which}' in ${resolve(dir)}`);
  if (signal === 'SIGKILL') {
    if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    while (isRunning(pid)) await new Promise((r) => setTimeout(r, 20));
  } else await stopPid(pid);
}

export async function down(
  opts: { dir: string; purge: boolean },
  progress: (line: string) => void,
): Promise<void> {
  const dir = resolve(opts.dir);
  const state = readUpState(dir);
  if (!state && !opts.purge) throw new WeftError('NOT_UP', `no network was started in ${dir} (no up.json)`);
  if (state) {
    await Promise.all(
      state.nodes.map(async (n) => {
        await stopPid(n.pid);
        progress(`${n.name} stopped`);
      }),
    );
    await stopPid(state.nats.pid);
    progress('NATS stopped');
    rmSync(upFile(dir), { force: true });
  }
  if (opts.purge) {
    rmSync(dir, { recursive: true, force: true });
    progress(`removed ${dir}`);
  }
}
