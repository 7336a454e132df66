// `weft up` / `weft down` / `weft restart`: a local network of node processes and a NATS server,
// all on loopback, described by files in one directory so other commands (`weft status`,
// `weft transfer`, `weft proof`) find it again. Every PID read from a file is checked to be the
// process it claims to be (/proc/PID/cmdline) before it is trusted or signalled.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hexKey, WeftError } from '../crypto/index.js';
import {
  freePort,
  NATS_STREAM_DEFAULT,
  NATS_SUBJECT_PREFIX_DEFAULT,
  type NatsServerUser,
  NatsTransport,
  natsNodePermissions,
  natsServerConfigFile,
  startNatsServer,
} from '../net/index.js';
import { formatNetworkFile, type NetworkMember, readNetworkFile } from '../node/index.js';
import { openDomainNode } from '../store/index.js';
import { mintDevWallet } from './devWallet.js';
import { healthFrom } from './health.js';
import { findPids, isNatsArgs, isNodeArgs, isPidAlive, pidIs } from './processes.js';
import { readNodePidFile, signerKey } from './runNode.js';

export const UP_USAGE = `usage: weft up [--domains N] [--dir DIR] [--mode MODE] [--follow POLICY]

Starts a local network in the background: a NATS server (Debian's nats-server, JetStream storage
under DIR/nats, one user per node) and N \`weft node\` processes (domain-a, domain-b, ...), each with
its store in DIR/<name>, its HTTP API on a free loopback port and its log in DIR/<name>/node.log.
Writes DIR/network.json (the domains and their APIs), DIR/credentials/ (NATS passwords, mode 0600)
and DIR/up.json (the processes).

On a network that is partly running it starts only what is down: a process counts as running
when its PID is alive, its command line is that node (or that NATS server), and the node's
/health answer comes from that very process. Exit code 0 when everything is up.

options:
  --domains N   number of domains, 2..16 (default 3; ignored when DIR already holds a network)
  --dir DIR     where the network lives (default ./.weft)
  --mode MODE   how nodes verify each other's root updates: signatures, transition, full (default)
  --follow POLICY  which peers each node follows: everyone (default) or interested (only those
                its transfers need, and those the network file marks "alwaysFollowed";
                weft node --follow, docs/sync.md "Who follows whom"); in full mode, claims
                from a domain a node does not follow are checked against the key set the
                network file gives for it
  --help        show this text

Then: weft status, weft transfer --from domain-a --to domain-b --wait, weft down.`;

export const DOWN_USAGE = `usage: weft down [--dir DIR] [--purge]

Stops the network \`weft up\` started in DIR (default ./.weft): every node (SIGTERM: each finishes
what it is doing and closes its store; SIGKILL after 15 s), then the NATS server. It stops what
really runs: the recorded processes, and nodes or a NATS server restarted by hand on this
directory's stores and configuration. It prints one line per process it stopped and names what
it could not stop (exit code 1 then).

options:
  --purge   also delete DIR (stores, keys, credentials, wallet, logs)
  --help    show this text`;

export const RESTART_USAGE = `usage: weft restart NAME|nats [--dir DIR]

Stops one node (NAME, e.g. domain-a) or the NATS server of the network in DIR (default ./.weft)
if it runs, and starts it again with the same store, port and credentials. Nodes reconnect to a
restarted NATS server by themselves.`;

/** How long `weft up` waits for every node's API to answer. */
export const UP_READY_TIMEOUT_MS = 60_000;
/** How long `weft down` waits for a process to exit after SIGTERM before SIGKILL. */
export const DOWN_STOP_TIMEOUT_MS = 15_000;
/** Where `weft up` keeps the NATS credentials (one file per node, and the administrator's). */
export const CREDENTIALS_DIR = 'credentials';
/** The NATS user that makes the stream (`weft up` itself). */
export const NATS_ADMIN_USER = 'weft-admin';
/** Health checks of a node process that runs before `weft up` calls it not answering. */
const RUNNING_CHECKS = 3;
const RUNNING_CHECK_PAUSE_MS = 300;
/** Bytes of a node's log quoted when it fails to start. */
const LOG_TAIL_BYTES = 1_500;

export type UpNode = { name: string; pid: number; api: string; instance?: string };
export type UpState = {
  version: 2;
  mode: string;
  /** each node's --follow (absent: the node's default) */
  follow?: string;
  nats: { pid: number; url: string };
  nodes: UpNode[];
};

/** What `up` did for each process. */
export type UpReport = { state: UpState; started: string[]; running: string[] };

const binWeft = (): string => resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'weft.mjs');

export function upFile(dir: string): string {
  return join(dir, 'up.json');
}

export function readUpState(dir: string): UpState | null {
  const file = upFile(dir);
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Omit<UpState, 'version'> & { version: number };
    return { ...s, version: 2 };
  } catch (e) {
    throw new WeftError('BAD_CONFIG', `${file} is not readable JSON: ${(e as Error).message}`);
  }
}

function writeUpState(dir: string, state: UpState): void {
  writeFileSync(upFile(dir), `${JSON.stringify(state, null, 2)}\n`);
}

const natsStoreDir = (dir: string) => join(dir, 'nats');
const natsConfig = (dir: string) => natsServerConfigFile(natsStoreDir(dir));
const isOurNats = (dir: string) => (args: string[]) => isNatsArgs(args, natsConfig(dir));
const isOurNode = (dir: string, name: string) => (args: string[]) => isNodeArgs(args, join(dir, name));

// ---- credentials ------------------------------------------------------------------------------

export type NatsCredentials = { user: string; password: string; inboxPrefix?: string };

/** The file holding `who`'s NATS credentials (`who` a domain name, or NATS_ADMIN_USER). */
export function credentialsFile(dir: string, who: string): string {
  return join(dir, CREDENTIALS_DIR, `${who}.nats.json`);
}

function loadOrMakeCredentials(dir: string, who: string, inboxPrefix?: string): NatsCredentials {
  const file = credentialsFile(dir, who);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as NatsCredentials;
  const c: NatsCredentials = {
    user: who,
    password: Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url'),
    ...(inboxPrefix ? { inboxPrefix } : {}),
  };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  return c;
}

/** Every user of the network's NATS server: the administrator, and one per node limited to its own subjects. */
function natsUsers(dir: string, members: NetworkMember[]): NatsServerUser[] {
  const admin = loadOrMakeCredentials(dir, NATS_ADMIN_USER);
  const users: NatsServerUser[] = [{ user: admin.user, password: admin.password }];
  for (const m of members) {
    const h = hexKey(m.id);
    const c = loadOrMakeCredentials(dir, m.name, `_INBOX_${h.slice(0, 16)}`);
    users.push({
      user: c.user,
      password: c.password,
      ...natsNodePermissions({
        domainHex: h,
        stream: NATS_STREAM_DEFAULT,
        subjectPrefix: NATS_SUBJECT_PREFIX_DEFAULT,
        inboxPrefix: c.inboxPrefix!,
      }),
    });
  }
  return users;
}

// ---- NATS -------------------------------------------------------------------------------------

function configuredPort(dir: string): number | null {
  try {
    const m = /^port: (\d+)$/m.exec(readFileSync(natsConfig(dir), 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The running NATS server of `dir` (recorded, or restarted by hand on its config), or null. */
function runningNats(dir: string, recorded: UpState['nats'] | undefined): UpState['nats'] | null {
  const ours = isOurNats(dir);
  if (recorded && pidIs(recorded.pid, ours)) return recorded;
  const found = findPids(ours);
  const port = configuredPort(dir);
  if (found.length > 0 && port !== null) return { pid: found[0]!, url: `nats://127.0.0.1:${port}` };
  return null;
}

async function startNats(
  dir: string,
  members: NetworkMember[],
  port: number | null,
): Promise<UpState['nats']> {
  const server = await startNatsServer({
    storeDir: natsStoreDir(dir),
    logFile: join(natsStoreDir(dir), 'nats-server.log'),
    detached: true,
    users: natsUsers(dir, members),
    ...(port === null ? {} : { port }),
  });
  return { pid: server.pid, url: server.url };
}

/** Makes the stream as the administrator: nodes may use it, not create or change it. */
async function ensureStream(dir: string, url: string): Promise<void> {
  const admin = loadOrMakeCredentials(dir, NATS_ADMIN_USER);
  const nats = await NatsTransport.connect({
    servers: url,
    name: 'weft-up',
    auth: { user: admin.user, password: admin.password },
  });
  await nats.close();
}

// ---- nodes ------------------------------------------------------------------------------------

/** Starts one node process of the network in `dir` (detached, logging to its node.log). */
function spawnNode(dir: string, m: NetworkMember, state: UpState): number {
  const data = join(dir, m.name);
  const log = openSync(join(data, 'node.log'), 'a');
  const args = ['node', '--domain', m.name, '--data', data, '--listen', new URL(m.api).host];
  args.push('--nats', state.nats.url, '--nats-creds', credentialsFile(dir, m.name));
  args.push('--network', join(dir, 'network.json'), '--mode', state.mode);
  if (state.follow) args.push('--follow', state.follow);
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

function logTail(dir: string, name: string): string {
  try {
    const text = readFileSync(join(dir, name, 'node.log'), 'utf8');
    return text.slice(-LOG_TAIL_BYTES).trim();
  } catch {
    return '';
  }
}

/** Waits until node `n` (process `n.pid`) answers on its API itself; returns its instance id. */
async function waitHealthy(dir: string, n: UpNode): Promise<string | null> {
  const deadline = Date.now() + UP_READY_TIMEOUT_MS;
  let last = '';
  for (;;) {
    if (!isPidAlive(n.pid))
      throw new WeftError(
        'NODE_FAILED',
        `${n.name} (pid ${n.pid}) exited during start${last ? ` (${last})` : ''}`,
        {
          details: `The end of ${join(dir, n.name, 'node.log')}:\n${logTail(dir, n.name)}`,
        },
      );
    const h = await healthFrom(n.api, n.pid, join(dir, n.name));
    if (h.ok) return h.instance;
    last = h.why;
    if (Date.now() > deadline)
      throw new WeftError(
        'NODE_FAILED',
        `${n.name} (pid ${n.pid}) did not answer on ${n.api} within ${UP_READY_TIMEOUT_MS} ms: ${last}`,
        {
          details: `See ${join(dir, n.name, 'node.log')}.`,
        },
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The processes running node `name` of `dir`: the recorded one, the one in its pid file, and any started by hand. */
function nodePids(dir: string, name: string, recorded?: number): number[] {
  const ours = isOurNode(dir, name);
  const pids = new Set<number>();
  if (recorded !== undefined && pidIs(recorded, ours)) pids.add(recorded);
  const file = readNodePidFile(join(dir, name));
  if (file && pidIs(file.pid, ours)) pids.add(file.pid);
  for (const p of findPids(ours)) pids.add(p);
  return [...pids];
}

/** A running, answering process of node `name`, or null. */
async function runningNode(dir: string, m: NetworkMember, recorded?: UpNode): Promise<UpNode | null> {
  for (const pid of nodePids(dir, m.name, recorded?.pid)) {
    // A node just started answers a moment before its pid file names it: ask a few times.
    for (let attempt = 0; attempt < RUNNING_CHECKS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, RUNNING_CHECK_PAUSE_MS));
      const h = await healthFrom(m.api, pid, join(dir, m.name));
      if (h.ok) return { name: m.name, pid, api: m.api, ...(h.instance ? { instance: h.instance } : {}) };
    }
  }
  return null;
}

async function startNode(dir: string, m: NetworkMember, state: UpState): Promise<UpNode> {
  // A node process that runs but does not answer (hung, or still opening a large store) would
  // hold the store's lock and the port: say so rather than start a second one beside it.
  const stuck = nodePids(dir, m.name);
  if (stuck.length > 0)
    throw new WeftError(
      'NODE_FAILED',
      `${m.name} runs (pid ${stuck.join(', ')}) but does not answer on ${m.api}: stop it (weft restart ${m.name})`,
    );
  const n: UpNode = { name: m.name, pid: spawnNode(dir, m, state), api: m.api };
  const instance = await waitHealthy(dir, n);
  return instance ? { ...n, instance } : n;
}

// ---- up ---------------------------------------------------------------------------------------

async function createNetwork(
  dir: string,
  domains: number,
  progress: (l: string) => void,
): Promise<NetworkMember[]> {
  const members: NetworkMember[] = [];
  for (let i = 0; i < domains; i++) {
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
  writeFileSync(join(dir, 'network.json'), formatNetworkFile(members));
  return members;
}

/**
 * Creates (or finds) the domains' stores and the network file, then starts whatever of NATS and
 * the nodes is not running, and waits until every node answers from its own process.
 */
export async function up(
  opts: { domains: number; dir: string; mode: string; follow?: string },
  progress: (line: string) => void,
): Promise<UpState> {
  return (await upReport(opts, progress)).state;
}

/** `up`, saying which processes it started and which were already running. */
export async function upReport(
  opts: { domains: number; dir: string; mode: string; follow?: string },
  progress: (line: string) => void,
): Promise<UpReport> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const previous = readUpState(dir);
  const networkPath = join(dir, 'network.json');
  const members = existsSync(networkPath)
    ? readNetworkFile(networkPath).domains
    : await createNetwork(dir, opts.domains, progress);
  const started: string[] = [];
  const running: string[] = [];

  let nats = runningNats(dir, previous?.nats);
  if (nats) {
    running.push('nats');
    progress(`NATS already running on ${nats.url} (pid ${nats.pid})`);
  } else {
    nats = await startNats(
      dir,
      members,
      previous ? Number(new URL(previous.nats.url).port) : configuredPort(dir),
    );
    started.push('nats');
    progress(`NATS on ${nats.url} (pid ${nats.pid})`);
  }
  await ensureStream(dir, nats.url);

  // A restart keeps the policy the network was started with unless told another.
  const follow = opts.follow ?? previous?.follow;
  const state: UpState = { version: 2, mode: opts.mode, ...(follow ? { follow } : {}), nats, nodes: [] };
  writeUpState(dir, state);
  for (const m of members) {
    const recorded = previous?.nodes.find((n) => n.name === m.name);
    const live = await runningNode(dir, m, recorded);
    if (live) {
      state.nodes.push(live);
      running.push(m.name);
      progress(`${m.name} already running on ${m.api} (pid ${live.pid})`);
      continue;
    }
    const n = await startNode(dir, m, state);
    state.nodes.push(n);
    started.push(m.name);
    writeUpState(dir, state);
    progress(`${m.name} up on ${m.api} (pid ${n.pid})`);
  }
  writeUpState(dir, state);
  await mintDevWallet({ dir, members }, progress);
  return { state, started, running };
}

function requireUp(dir: string): UpState {
  const state = readUpState(resolve(dir));
  if (!state) throw new WeftError('NOT_UP', `no network was started in ${resolve(dir)} (no up.json)`);
  return state;
}

// ---- stopping ---------------------------------------------------------------------------------

export type StopResult = { pid: number; stopped: boolean; how?: 'SIGTERM' | 'SIGKILL'; error?: string };

/** SIGTERM, then SIGKILL after `timeoutMs`; says whether the process is gone. */
async function stopPid(pid: number, timeoutMs = DOWN_STOP_TIMEOUT_MS): Promise<StopResult> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return { pid, stopped: true };
    return { pid, stopped: false, error: `${code}: ${(e as Error).message}` };
  }
  const deadline = Date.now() + timeoutMs;
  while (isPidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!isPidAlive(pid)) return { pid, stopped: true, how: 'SIGTERM' };
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    return { pid, stopped: false, error: (e as Error).message };
  }
  const killDeadline = Date.now() + 5_000;
  while (isPidAlive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 20));
  return isPidAlive(pid)
    ? { pid, stopped: false, error: 'still running after SIGKILL' }
    : { pid, stopped: true, how: 'SIGKILL' };
}

/** The PIDs that really run `which` (a node name, or `nats`) of the network in `dir`. */
function pidsOf(dir: string, which: string, state: UpState | null): number[] {
  if (which === 'nats') {
    const pids = new Set(findPids(isOurNats(dir)));
    if (state && pidIs(state.nats.pid, isOurNats(dir))) pids.add(state.nats.pid);
    return [...pids];
  }
  return nodePids(dir, which, state?.nodes.find((n) => n.name === which)?.pid);
}

/** Stops one process of the network (`signal` SIGKILL to simulate a crash). */
export async function stopProcess(
  dir: string,
  which: string,
  signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM',
): Promise<void> {
  const abs = resolve(dir);
  const state = requireUp(abs);
  if (which !== 'nats' && !state.nodes.some((n) => n.name === which))
    throw new WeftError('BAD_INPUT', `no process '${which}' in ${abs}`);
  for (const pid of pidsOf(abs, which, state)) {
    if (signal === 'SIGKILL') {
      process.kill(pid, 'SIGKILL');
      while (isPidAlive(pid)) await new Promise((r) => setTimeout(r, 20));
    } else await stopPid(pid);
  }
}

/** Stops what `up` started in `dir`: nodes first (they flush their stores), then NATS. Returns what could not be stopped. */
export async function down(
  opts: { dir: string; purge: boolean },
  progress: (line: string) => void,
): Promise<string[]> {
  const dir = resolve(opts.dir);
  const state = readUpState(dir);
  const networkPath = join(dir, 'network.json');
  if (!state && !existsSync(networkPath) && !opts.purge)
    throw new WeftError('NOT_UP', `no network was started in ${dir} (no up.json)`);
  const names = existsSync(networkPath)
    ? readNetworkFile(networkPath).domains.map((m) => m.name)
    : (state?.nodes.map((n) => n.name) ?? []);
  const failed: string[] = [];
  const stopAll = async (which: string, label: string) => {
    const recorded = which === 'nats' ? state?.nats.pid : state?.nodes.find((n) => n.name === which)?.pid;
    const pids = pidsOf(dir, which, state);
    if (pids.length === 0) {
      const reused = recorded !== undefined && isPidAlive(recorded);
      progress(
        `${label} was not running${reused ? ` (pid ${recorded} is another process now; left alone)` : ''}`,
      );
      return;
    }
    for (const r of await Promise.all(pids.map((p) => stopPid(p)))) {
      if (r.stopped)
        progress(
          `${label} stopped (pid ${r.pid}${r.how === 'SIGKILL' ? ', killed after the SIGTERM timeout' : ''})`,
        );
      else {
        failed.push(`${label} (pid ${r.pid})`);
        progress(`${label} NOT stopped (pid ${r.pid}): ${r.error}`);
      }
    }
  };
  await Promise.all(names.map((name) => stopAll(name, name)));
  await stopAll('nats', 'NATS');
  if (failed.length === 0) rmSync(upFile(dir), { force: true });
  if (opts.purge) {
    if (failed.length > 0)
      throw new WeftError('STOP_FAILED', `not removing ${dir}: ${failed.join(', ')} still running`);
    rmSync(dir, { recursive: true, force: true });
    progress(`removed ${dir}`);
  }
  return failed;
}

// ---- restarting one process -------------------------------------------------------------------

/** Stops node `name` of the network in `dir` if it runs, and starts it again. */
export async function restartNode(dir: string, name: string): Promise<UpNode> {
  const abs = resolve(dir);
  const state = requireUp(abs);
  const m = readNetworkFile(join(abs, 'network.json')).domains.find((d) => d.name === name);
  if (!m) throw new WeftError('BAD_INPUT', `no domain '${name}' in ${abs}`);
  for (const pid of pidsOf(abs, name, state)) {
    const r = await stopPid(pid);
    if (!r.stopped) throw new WeftError('STOP_FAILED', `cannot stop ${name} (pid ${pid}): ${r.error}`);
  }
  if (!pidIs(state.nats.pid, isOurNats(abs))) {
    const nats = runningNats(abs, state.nats);
    if (nats) state.nats = nats;
  }
  const n = await startNode(abs, m, state);
  state.nodes = [...state.nodes.filter((x) => x.name !== name), n];
  writeUpState(abs, state);
  return n;
}

/** Stops the NATS server of the network in `dir` if it runs, and starts it again on its port, with its streams. */
export async function restartNats(dir: string): Promise<void> {
  const abs = resolve(dir);
  const state = requireUp(abs);
  for (const pid of pidsOf(abs, 'nats', state)) {
    const r = await stopPid(pid);
    if (!r.stopped) throw new WeftError('STOP_FAILED', `cannot stop NATS (pid ${pid}): ${r.error}`);
  }
  const members = readNetworkFile(join(abs, 'network.json')).domains;
  state.nats = await startNats(abs, members, Number(new URL(state.nats.url).port));
  await ensureStream(abs, state.nats.url);
  writeUpState(abs, state);
}
