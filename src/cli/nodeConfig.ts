// `weft node` configuration: flags, then environment (WEFT_*), then a JSON config file, then
// defaults — each setting from the first place that has it, all checked before anything starts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLevel } from '../api/index.js';
import { POOL_THREADS_MAX, WeftError } from '../crypto/index.js';
import { BLOCK_INTERVAL_MIN_MS_DEFAULT, type FollowPolicy } from '../node/index.js';
import { parsePublicKeyJson } from '../resource/index.js';
import { PROVERS_MAX, type ProverSet } from '../scope/index.js';
import { ANCHOR_PATH_HOPS_MAX, VERIFICATION_MODE_DEFAULT, type VerificationMode } from '../sync/index.js';

export const NODE_USAGE = `usage: weft node --domain NAME --data DIR [options]

Runs one durable domain as its own process: its LMDB store under DIR (created on first start,
with a new signing key in DIR/signer.key), an HTTP API, and, with --nats, root updates and
transfer messages over NATS JetStream to the other domains of the network file.

options (flag / environment / config file key):
  --domain NAME         WEFT_DOMAIN         domain       the domain's name (required)
  --data DIR            WEFT_DATA           data         its store directory (required)
  --listen HOST:PORT    WEFT_LISTEN         listen       the HTTP API address (default 127.0.0.1:7400)
  --nats URL            WEFT_NATS           nats         a NATS server with JetStream, e.g. nats://127.0.0.1:4222
  --nats-creds FILE     WEFT_NATS_CREDS     natsCreds    NATS credentials: a JSON file {"user", "password",
                                                         "inboxPrefix"} (\`weft up\` writes one per node,
                                                         DIR/credentials/NAME.nats.json) or a NATS .creds file
  --nats-user NAME      WEFT_NATS_USER      natsUser     NATS user name; its password comes from
                                                         WEFT_NATS_PASSWORD only (never a flag: flags
                                                         show in the process list)
  --nats-ca FILE        WEFT_NATS_CA        natsCa       CA certificate to trust for a tls:// NATS server
  --network FILE        WEFT_NETWORK        network      the network file listing the other domains
                                                         (written by \`weft up\`; needs --nats)
  --mode MODE           WEFT_MODE           mode         how root updates are verified: signatures,
                                                         transition or full (default); a weaker
                                                         mode logs one line on what it trusts
  --follow POLICY       WEFT_FOLLOW         follow       which peers of the network file this node
                                                         follows and verifies: everyone (default:
                                                         all of them, from the start) or interested
                                                         (those marked "alwaysFollowed" in the network
                                                         file, those its transfers need, found as
                                                         they are planned or arrive, and those it
                                                         already followed; docs/sync.md); in
                                                         full mode, claims from a peer it does
                                                         not follow are checked against the key
                                                         set the network file gives for that peer
  --block-interval-ms N WEFT_BLOCK_INTERVAL_MS blockIntervalMs  longest wait of work for a block, and
                                                         of a peer's busy block to be recorded
                                                         (default 100)
  --min-block-interval-ms N WEFT_MIN_BLOCK_INTERVAL_MS minBlockIntervalMs  shortest time between the
                                                         starts of two seals: work arriving is sealed
                                                         once the previous seal ended and this passed
                                                         (default 100)
  --heartbeat-ms N      WEFT_HEARTBEAT_MS   heartbeatMs  seal period while idle (default 1000)
  --sig-workers N       WEFT_SIG_WORKERS    sigWorkers   worker threads that check signatures: the
                                                         transactions' while the domain admits them,
                                                         a peer's headers while the node catches up
                                                         (default 1; 0 checks them on the main thread;
                                                         at most 64)
  --trusting-period-ms N WEFT_TRUSTING_PERIOD_MS trustingPeriodMs  how long a remote view may go
                                                         without a newer header before it expires and
                                                         claims on it wait (default 14 days)
  --anchor-max-hops N   WEFT_ANCHOR_MAX_HOPS anchorMaxHops  accept anchors known through up to N other
                                                         domains (default 0: only roots this node
                                                         accepted itself; at most 8)
  --anchor-max-age-ms N WEFT_ANCHOR_MAX_AGE_MS anchorMaxAgeMs  with --anchor-max-hops: the oldest
                                                         header such a path may rest on (ms)
  --require-proven-anchors BOOL WEFT_REQUIRE_PROVEN_ANCHORS requireProvenAnchors  true: refuse a
                                                         claim anchored on a height its domain's
                                                         provers have not proven yet
                                                         (ANCHOR_UNPROVEN; the driver retries it
                                                         once proven); default false
  --token-file FILE     WEFT_API_TOKEN_FILE tokenFile    the API token every POST must carry as
                                                         Authorization: Bearer (default DIR/api.token,
                                                         made on first start, mode 0600; refused if
                                                         group or others may read it)
  --log-level LEVEL     WEFT_LOG_LEVEL      logLevel     fatal, error, warn, info (default), debug,
                                                         trace or silent; JSON lines on stdout
  --provers FILE        WEFT_PROVERS        provers      a JSON file { "threshold": N, "provers":
                                                         [{ "type", "key" }] }: blocks are proven by
                                                         their attestations (weft prover --post),
                                                         not at their seal (docs/provers.md)
  --programs SET        WEFT_PROGRAMS       programs     execute scoped transactions with a set of
                                                         programs: \`examples\` (counter, oracle, pair;
                                                         docs/scopes.md); without it they are refused
  --evm-rpc URL         WEFT_EVM_RPC        evmRpc       follow an EVM vault in the \`evm\` mode: the chain's
                                                         JSON-RPC endpoint (its block headers are
                                                         trusted to be the canonical chain's; the
                                                         vault's state is proven against them with
                                                         eth_getProof; docs/evm.md)
  --evm-vault ADDR      WEFT_EVM_VAULT      evmVault     the WeftVault's address (needs --evm-rpc)
  --evm-confirmations N WEFT_EVM_CONFIRMATIONS evmConfirmations  blocks a vault lock must be buried
                                                         under before claims may anchor on it
                                                         (default 12; the chain must not reorganise
                                                         deeper)
  --evm-poll-ms N       WEFT_EVM_POLL_MS    evmPollMs    how often the vault is read (default 1000)
  --config FILE         WEFT_CONFIG                      a JSON file with any of the keys above
  --help                                                 show this text

The node stops cleanly on SIGINT or SIGTERM. Exit codes: 0 stopped, 1 failed, 2 bad configuration.`;

export type NodeConfig = {
  domain: string;
  data: string;
  listen: { host: string; port: number };
  nats: string | null;
  network: string | null;
  mode: VerificationMode;
  /** which peers the node follows (docs/sync.md, "Who follows whom") */
  follow: FollowPolicy;
  blockIntervalMs: number;
  /** shortest time (ms) between the starts of two seals (BLOCK_INTERVAL_MIN_MS_DEFAULT) */
  minBlockIntervalMs: number;
  /** signature worker threads (0: signatures checked on the main thread) */
  sigWorkers: number;
  heartbeatMs: number;
  /** a remote view's trusting period (ms); absent: TRUSTING_PERIOD_MS_DEFAULT */
  trustingPeriodMs?: bigint;
  /** anchors accepted through other domains; absent: none */
  anchorPolicy?: { maxIntermediaries: number; maxStalenessMs: number };
  /** how the node authenticates to NATS (absent: anonymously) */
  natsAuth?: NodeNatsAuth;
  /** CA certificate file for a tls:// server */
  natsCa?: string;
  /** the file holding the API token (made on first start when absent) */
  tokenFile: string;
  logLevel: LogLevel;
  /** the domain's prover set, when configured */
  provers?: ProverSet;
  /** the program set scoped transactions may call, when configured */
  programs?: 'examples';
  /** refuse claims anchored on heights their domain's provers have not proven (docs/provers.md) */
  requireProvenAnchors?: boolean;
  /** the EVM vault followed in `evm` mode, when configured */
  evm?: { rpcUrl: string; vault: string; confirmations: bigint; pollMs: number };
};

/** The API token file's name in the data directory, unless configured elsewhere. */
export const API_TOKEN_FILE = 'api.token';

/** The follow policies `--follow` takes. */
export const FOLLOW_POLICIES = ['everyone', 'interested'] as const satisfies readonly FollowPolicy[];
/**
 * What a node follows without --follow: every peer of its network file (docs/sync.md, "Who follows
 * whom", says why `interested` is not the default yet).
 */
export const NODE_FOLLOW_DEFAULT: FollowPolicy = 'everyone';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** NATS credentials as configured: a file to read at start, or a user and password. */
export type NodeNatsAuth = { credsFile: string } | { user: string; password: string };

type Key =
  | 'domain'
  | 'data'
  | 'listen'
  | 'nats'
  | 'natsCreds'
  | 'natsUser'
  | 'natsPassword'
  | 'natsCa'
  | 'network'
  | 'mode'
  | 'follow'
  | 'blockIntervalMs'
  | 'minBlockIntervalMs'
  | 'sigWorkers'
  | 'heartbeatMs'
  | 'trustingPeriodMs'
  | 'anchorMaxHops'
  | 'anchorMaxAgeMs'
  | 'tokenFile'
  | 'logLevel'
  | 'provers'
  | 'programs'
  | 'requireProvenAnchors'
  | 'evmRpc'
  | 'evmVault'
  | 'evmConfirmations'
  | 'evmPollMs';

const SETTINGS: readonly { key: Key; flag: string; env: string }[] = [
  { key: 'domain', flag: '--domain', env: 'WEFT_DOMAIN' },
  { key: 'data', flag: '--data', env: 'WEFT_DATA' },
  { key: 'listen', flag: '--listen', env: 'WEFT_LISTEN' },
  { key: 'nats', flag: '--nats', env: 'WEFT_NATS' },
  { key: 'natsCreds', flag: '--nats-creds', env: 'WEFT_NATS_CREDS' },
  { key: 'natsUser', flag: '--nats-user', env: 'WEFT_NATS_USER' },
  // No flag: a password on the command line is readable by every local user (ps, /proc).
  { key: 'natsPassword', flag: '', env: 'WEFT_NATS_PASSWORD' },
  { key: 'natsCa', flag: '--nats-ca', env: 'WEFT_NATS_CA' },
  { key: 'network', flag: '--network', env: 'WEFT_NETWORK' },
  { key: 'mode', flag: '--mode', env: 'WEFT_MODE' },
  { key: 'follow', flag: '--follow', env: 'WEFT_FOLLOW' },
  { key: 'blockIntervalMs', flag: '--block-interval-ms', env: 'WEFT_BLOCK_INTERVAL_MS' },
  { key: 'minBlockIntervalMs', flag: '--min-block-interval-ms', env: 'WEFT_MIN_BLOCK_INTERVAL_MS' },
  { key: 'sigWorkers', flag: '--sig-workers', env: 'WEFT_SIG_WORKERS' },
  { key: 'heartbeatMs', flag: '--heartbeat-ms', env: 'WEFT_HEARTBEAT_MS' },
  { key: 'trustingPeriodMs', flag: '--trusting-period-ms', env: 'WEFT_TRUSTING_PERIOD_MS' },
  { key: 'anchorMaxHops', flag: '--anchor-max-hops', env: 'WEFT_ANCHOR_MAX_HOPS' },
  { key: 'anchorMaxAgeMs', flag: '--anchor-max-age-ms', env: 'WEFT_ANCHOR_MAX_AGE_MS' },
  { key: 'tokenFile', flag: '--token-file', env: 'WEFT_API_TOKEN_FILE' },
  { key: 'logLevel', flag: '--log-level', env: 'WEFT_LOG_LEVEL' },
  { key: 'provers', flag: '--provers', env: 'WEFT_PROVERS' },
  { key: 'programs', flag: '--programs', env: 'WEFT_PROGRAMS' },
  { key: 'requireProvenAnchors', flag: '--require-proven-anchors', env: 'WEFT_REQUIRE_PROVEN_ANCHORS' },
  { key: 'evmRpc', flag: '--evm-rpc', env: 'WEFT_EVM_RPC' },
  { key: 'evmVault', flag: '--evm-vault', env: 'WEFT_EVM_VAULT' },
  { key: 'evmConfirmations', flag: '--evm-confirmations', env: 'WEFT_EVM_CONFIRMATIONS' },
  { key: 'evmPollMs', flag: '--evm-poll-ms', env: 'WEFT_EVM_POLL_MS' },
];

/** Most confirmations a node may be told to wait for a vault lock. */
export const EVM_CONFIRMATIONS_MAX = 10_000;

/**
 * Signature worker threads a node starts without --sig-workers: one, so a busy block's or a
 * catch-up chain's signatures leave the thread that admits, seals and serves the API, without
 * several nodes on one machine (\`weft up\`) each claiming every core.
 */
export const NODE_SIG_WORKERS_DEFAULT = 1;

/** Longest period a node may be told to wait between blocks. */
export const NODE_PERIOD_MS_MAX = 3_600_000;

const bad = (msg: string) => new WeftError('BAD_CONFIG', msg);

/**
 * Resolves the configuration, or throws BAD_CONFIG naming the setting and where it came from.
 * Returns 'help' for --help.
 */
export function resolveNodeConfig(
  args: string[],
  env: Record<string, string | undefined> = process.env,
): NodeConfig | 'help' {
  const flags = new Map<Key, string>();
  let configPath: string | undefined = env.WEFT_CONFIG;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') return 'help';
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw bad(`${a} needs a value`);
      return v;
    };
    if (a === '--config') {
      configPath = value();
      continue;
    }
    const s = SETTINGS.find((x) => x.flag === a && x.flag !== '');
    if (!s) throw bad(`unknown option '${a}'`);
    flags.set(s.key, value());
  }
  const file = configPath === undefined ? {} : readConfigFile(configPath);
  const raw = (key: Key): { value: string; from: string } | undefined => {
    const s = SETTINGS.find((x) => x.key === key)!;
    const f = flags.get(key);
    if (f !== undefined) return { value: f, from: s.flag };
    const e = env[s.env];
    if (e !== undefined && e !== '') return { value: e, from: s.env };
    const c = file[key];
    if (c !== undefined) return { value: String(c), from: `${configPath}: ${key}` };
    return undefined;
  };
  const required = (key: Key) => {
    const r = raw(key);
    const s = SETTINGS.find((x) => x.key === key)!;
    if (!r) throw bad(`${s.flag} is required (or ${s.env}, or "${key}" in a config file)`);
    return r;
  };
  const period = (key: Key, fallback: number) => {
    const r = raw(key);
    if (!r) return fallback;
    const n = Number(r.value);
    if (!/^\d+$/.test(r.value) || n < 1 || n > NODE_PERIOD_MS_MAX)
      throw bad(
        `${r.from} must be a whole number of milliseconds 1..${NODE_PERIOD_MS_MAX}, got '${r.value}'`,
      );
    return n;
  };
  /** A whole number within [min, max], or undefined when not set. */
  const whole = (key: Key, min: number, max: number, unit: string): number | undefined => {
    const r = raw(key);
    if (!r) return undefined;
    const n = Number(r.value);
    if (!/^\d+$/.test(r.value) || n < min || n > max)
      throw bad(`${r.from} must be a whole number of ${unit} ${min}..${max}, got '${r.value}'`);
    return n;
  };
  const trustingPeriodMs = whole('trustingPeriodMs', 1, Number.MAX_SAFE_INTEGER, 'milliseconds');
  const anchorMaxHops = whole('anchorMaxHops', 0, ANCHOR_PATH_HOPS_MAX, 'domains');
  const anchorMaxAgeMs = whole('anchorMaxAgeMs', 1, Number.MAX_SAFE_INTEGER, 'milliseconds');
  if (anchorMaxHops !== undefined && anchorMaxHops > 0 && anchorMaxAgeMs === undefined)
    throw bad('--anchor-max-hops above 0 needs --anchor-max-age-ms (how old a path may be)');
  if (anchorMaxAgeMs !== undefined && !anchorMaxHops)
    throw bad('--anchor-max-age-ms needs --anchor-max-hops above 0');
  const domain = required('domain');
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(domain.value))
    throw bad(
      `${domain.from} must be 1..64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit; got '${domain.value}'`,
    );
  const listen = raw('listen') ?? { value: '127.0.0.1:7400', from: 'default' };
  const m = /^(\[[0-9a-f:]+\]|[a-zA-Z0-9.-]+):(\d{1,5})$/.exec(listen.value);
  const port = m ? Number(m[2]) : -1;
  if (!m || port > 65535)
    throw bad(`${listen.from} must be HOST:PORT with a port 0..65535, got '${listen.value}'`);
  const nats = raw('nats');
  if (nats) {
    let url: URL;
    try {
      url = new URL(nats.value);
    } catch {
      throw bad(`${nats.from} must be a URL such as nats://127.0.0.1:4222, got '${nats.value}'`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:')
      throw bad(`${nats.from} must be a nats:// or tls:// URL, got '${nats.value}'`);
  }
  const network = raw('network');
  if (network && !nats) throw bad(`${network.from} lists other domains: the node needs --nats to reach them`);
  const creds = raw('natsCreds');
  const user = raw('natsUser');
  const password = raw('natsPassword');
  const ca = raw('natsCa');
  for (const r of [creds, user, password, ca]) {
    if (r && !nats) throw bad(`${r.from} configures NATS: the node needs --nats too`);
  }
  if (creds && user) throw bad(`give NATS credentials once: ${creds.from} or ${user.from}, not both`);
  if (user && !password) throw bad(`${user.from} needs its password in WEFT_NATS_PASSWORD`);
  if (password && !user) throw bad(`${password.from} needs a user (--nats-user or WEFT_NATS_USER)`);
  const natsAuth: NodeNatsAuth | undefined = creds
    ? { credsFile: creds.value }
    : user && password
      ? { user: user.value, password: password.value }
      : undefined;
  const mode = raw('mode');
  if (mode && !['signatures', 'transition', 'full'].includes(mode.value))
    throw bad(`${mode.from} must be signatures, transition or full, got '${mode.value}'`);
  const follow = raw('follow');
  if (follow && !(FOLLOW_POLICIES as readonly string[]).includes(follow.value))
    throw bad(`${follow.from} must be ${FOLLOW_POLICIES.join(' or ')}, got '${follow.value}'`);
  const logLevel = raw('logLevel');
  if (logLevel && !(LOG_LEVELS as readonly string[]).includes(logLevel.value))
    throw bad(`${logLevel.from} must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel.value}'`);
  const data = required('data').value;
  const provers = raw('provers');
  const programs = raw('programs');
  if (programs && programs.value !== 'examples')
    throw bad(`${programs.from} must name a program set (examples), got '${programs.value}'`);
  const requireProven = raw('requireProvenAnchors');
  if (requireProven && requireProven.value !== 'true' && requireProven.value !== 'false')
    throw bad(`${requireProven.from} must be true or false, got '${requireProven.value}'`);
  const evm = resolveEvm(raw, whole, period);
  return {
    domain: domain.value,
    data,
    listen: { host: m[1]!.replace(/^\[|\]$/g, ''), port },
    nats: nats?.value ?? null,
    network: network?.value ?? null,
    mode: (mode?.value ?? VERIFICATION_MODE_DEFAULT) as VerificationMode,
    follow: (follow?.value ?? NODE_FOLLOW_DEFAULT) as FollowPolicy,
    blockIntervalMs: period('blockIntervalMs', 100),
    minBlockIntervalMs: period('minBlockIntervalMs', BLOCK_INTERVAL_MIN_MS_DEFAULT),
    sigWorkers: whole('sigWorkers', 0, POOL_THREADS_MAX, 'threads') ?? NODE_SIG_WORKERS_DEFAULT,
    heartbeatMs: period('heartbeatMs', 1000),
    ...(trustingPeriodMs !== undefined ? { trustingPeriodMs: BigInt(trustingPeriodMs) } : {}),
    ...(anchorMaxHops
      ? { anchorPolicy: { maxIntermediaries: anchorMaxHops, maxStalenessMs: anchorMaxAgeMs! } }
      : {}),
    ...(natsAuth ? { natsAuth } : {}),
    ...(ca ? { natsCa: ca.value } : {}),
    tokenFile: raw('tokenFile')?.value ?? join(data, API_TOKEN_FILE),
    logLevel: (logLevel?.value ?? 'info') as LogLevel,
    ...(provers ? { provers: readProversFile(provers.value, provers.from) } : {}),
    ...(programs ? { programs: 'examples' as const } : {}),
    ...(requireProven?.value === 'true' ? { requireProvenAnchors: true } : {}),
    ...(evm ? { evm } : {}),
  };
}

/** The vault settings: both or neither of --evm-rpc and --evm-vault; the rest need them. */
function resolveEvm(
  raw: (key: Key) => { value: string; from: string } | undefined,
  whole: (key: Key, min: number, max: number, unit: string) => number | undefined,
  period: (key: Key, fallback: number) => number,
): NodeConfig['evm'] {
  const rpc = raw('evmRpc');
  const vault = raw('evmVault');
  const confirmations = whole('evmConfirmations', 0, EVM_CONFIRMATIONS_MAX, 'blocks');
  const pollMs = period('evmPollMs', 1000);
  if (!rpc && !vault) {
    for (const k of ['evmConfirmations', 'evmPollMs'] as const) {
      const r = raw(k);
      if (r) throw bad(`${r.from} configures the EVM vault: the node needs --evm-rpc and --evm-vault too`);
    }
    return undefined;
  }
  if (!rpc) throw bad(`${vault!.from} needs the chain's endpoint: --evm-rpc (or WEFT_EVM_RPC)`);
  if (!vault) throw bad(`${rpc.from} needs the vault's address: --evm-vault (or WEFT_EVM_VAULT)`);
  let url: URL;
  try {
    url = new URL(rpc.value);
  } catch {
    throw bad(`${rpc.from} must be a URL such as http://127.0.0.1:8545, got '${rpc.value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw bad(`${rpc.from} must be an http:// or https:// URL, got '${rpc.value}'`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(vault.value))
    throw bad(`${vault.from} must be an EVM address (0x and 40 hex digits), got '${vault.value}'`);
  return { rpcUrl: rpc.value, vault: vault.value, confirmations: BigInt(confirmations ?? 12), pollMs };
}

/** A prover set from its JSON file: `{ "threshold": N, "provers": [{ "type", "key" }] }`. */
function readProversFile(path: string, from: string): ProverSet {
  let parsed: { threshold?: unknown; provers?: unknown };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw bad(`${from}: cannot read the provers file ${path}: ${(e as Error).message}`);
  }
  const list = parsed?.provers;
  if (!Array.isArray(list) || list.length < 1 || list.length > PROVERS_MAX)
    throw bad(`${from}: ${path} must list 1..${PROVERS_MAX} provers`);
  const t = parsed.threshold;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > list.length)
    throw bad(`${from}: ${path} needs a threshold between 1 and the number of provers`);
  try {
    return { threshold: t, provers: list.map((p, i) => parsePublicKeyJson(p, `provers[${i}]`)) };
  } catch (e) {
    throw bad(`${from}: ${path}: ${(e as Error).message}`);
  }
}

function readConfigFile(path: string): Partial<Record<Key, string | number>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw bad(`cannot read the config file ${path}: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw bad(`the config file ${path} must hold one JSON object`);
  const out: Partial<Record<Key, string | number>> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!SETTINGS.some((s) => s.key === k))
      throw bad(
        `the config file ${path} has an unknown key "${k}" (known: ${SETTINGS.map((s) => s.key).join(', ')})`,
      );
    if (typeof v !== 'string' && typeof v !== 'number')
      throw bad(`the config file ${path}: "${k}" must be a string or a number`);
    out[k as Key] = v;
  }
  return out;
}
