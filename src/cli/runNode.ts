// `weft node`: one durable domain as its own process — store, network membership over NATS
// JetStream, transfer driver, HTTP API — until SIGINT or SIGTERM.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Logger, pino } from 'pino';
import { WeftClient } from '../api/client.js';
import { createApi, SCHEMA_WARM_AFTER_MS } from '../api/index.js';
import {
  equalBytes,
  fromHex,
  hexKey,
  type KeyPair,
  keyPairFromSeed,
  SignatureVerifierPool,
  toHex,
  WeftError,
} from '../crypto/index.js';
import { encodeSignedHeader } from '../domain/index.js';
import { InProcessBus, type NatsAuth, NatsTransport, type Transport } from '../net/index.js';
import { alwaysFollowedOf, NodeHost, type Peer, peersOf, readNetworkFile } from '../node/index.js';
import { domainId } from '../resource/index.js';
import { examplePrograms, ProgramRegistry } from '../scope/index.js';
import { hasNodeStore } from '../store/index.js';
import { modeTrust } from '../sync/index.js';
import type { NodeConfig } from './nodeConfig.js';

/** The node's signing key, next to its store (created with the store, readable by its owner only). */
export const SIGNER_KEY_FILE = 'signer.key';
/**
 * What a running node says about itself, next to its store: its PID, API and a random instance
 * id made at start, so `weft up`/`weft down` can tell this process from an older one or from an
 * unrelated process that reuses its PID or answers on its port.
 */
export const NODE_PID_FILE = 'node.pid';

export type NodePidFile = { pid: number; instance: string; api: string; startedAt: string };

export type RunningNode = {
  host: NodeHost;
  url: string;
  /** this run's instance id (in DATA/node.pid) */
  instance: string;
  /** the process's one logger (JSON lines) */
  logger: Logger;
  close(): Promise<void>;
};

/** Reads DATA/node.pid, or null when there is none or it is not one. */
export function readNodePidFile(data: string): NodePidFile | null {
  try {
    const j = JSON.parse(readFileSync(join(data, NODE_PID_FILE), 'utf8')) as NodePidFile;
    return Number.isSafeInteger(j.pid) && typeof j.instance === 'string' && typeof j.api === 'string'
      ? j
      : null;
  } catch {
    return null;
  }
}

/**
 * Reads NATS credentials: a NATS `.creds` file (user JWT and nkey seed), or a JSON file
 * `{ "user", "password", "inboxPrefix"? }` as \`weft up\` writes them. Refuses a file other users
 * may read, as ssh does for keys.
 */
export function readNatsCredentials(file: string): { auth: NatsAuth; inboxPrefix?: string } {
  let text: string;
  try {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0)
      throw new WeftError(
        'BAD_CONFIG',
        `${file} holds NATS credentials and is readable by others (mode ${mode.toString(8)}): chmod 600 it`,
      );
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof WeftError) throw e;
    throw new WeftError('BAD_CONFIG', `cannot read NATS credentials ${file}: ${(e as Error).message}`);
  }
  if (text.includes('-----BEGIN NATS USER JWT-----'))
    return { auth: { creds: new TextEncoder().encode(text) } };
  let j: { user?: unknown; password?: unknown; inboxPrefix?: unknown };
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new WeftError(
      'BAD_CONFIG',
      `${file} is neither a NATS .creds file nor JSON: ${(e as Error).message}`,
    );
  }
  if (typeof j.user !== 'string' || typeof j.password !== 'string')
    throw new WeftError('BAD_CONFIG', `${file} must hold "user" and "password" strings`);
  return {
    auth: { user: j.user, password: j.password },
    ...(typeof j.inboxPrefix === 'string' ? { inboxPrefix: j.inboxPrefix } : {}),
  };
}

/** Characters of a token `weft node` makes: 32 random bytes as unprefixed hex. */
const API_TOKEN_BYTES = 32;

/**
 * Reads the API token from `file`, making it (32 random bytes as hex, mode 0600) when absent.
 * Refuses a file group or others may read, as for the NATS credentials.
 */
export function readApiToken(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${hexKey(randomBytes(API_TOKEN_BYTES))}\n`, { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new WeftError(
      'BAD_CONFIG',
      `${file} holds the API token and is readable by others (mode ${mode.toString(8)}): chmod 600 it`,
    );
  const token = readFileSync(file, 'utf8').trim();
  if (!/^\S{16,512}$/.test(token))
    throw new WeftError('BAD_CONFIG', `${file} must hold one token of 16..512 characters without whitespace`);
  return token;
}

/** Loads the signing key in `dir`, or makes one when the store is new. */
export function signerKey(dir: string, creating: boolean): KeyPair {
  const file = join(dir, SIGNER_KEY_FILE);
  if (!existsSync(file)) {
    if (!creating)
      throw new WeftError(
        'BAD_CONFIG',
        `${dir} holds a store but no ${SIGNER_KEY_FILE}: the node cannot sign`,
      );
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${toHex(randomBytes(32))}\n`, { mode: 0o600 });
  }
  let seed: Uint8Array;
  try {
    seed = fromHex(readFileSync(file, 'utf8').trim(), 32);
  } catch (e) {
    throw new WeftError('BAD_CONFIG', `${file} must hold a 32-byte 0x-hex seed: ${(e as Error).message}`);
  }
  return keyPairFromSeed('secp256k1', seed);
}

/**
 * Starts a node from a checked configuration. Every log line — the node's and the API's — goes
 * through one pino logger (`logger`, or one at `cfg.logLevel` on stdout) as JSON.
 */
export async function runNode(cfg: NodeConfig, logger?: Logger): Promise<RunningNode> {
  const logs = logger ?? pino({ level: cfg.logLevel, base: { pid: process.pid, domain: cfg.domain } });
  const log = (line: string) => logs.info(line);
  const creating = !hasNodeStore(cfg.data);
  const key = signerKey(cfg.data, creating);
  const token = readApiToken(cfg.tokenFile);
  const id = domainId(cfg.domain);
  const network = cfg.network ? readNetworkFile(cfg.network) : null;
  const me = network?.domains.find((d) => d.name === cfg.domain);
  if (network && !me) throw new WeftError('BAD_CONFIG', `${cfg.network} does not list domain ${cfg.domain}`);
  const peers: Peer[] = network ? peersOf(network, id) : [];
  const api = new Map(network?.domains.map((d) => [toHex(d.id), d.api]) ?? []);

  let nats: NatsTransport | null = null;
  let bus: InProcessBus | null = null;
  let endpoint: (self: Uint8Array) => Transport;
  if (cfg.nats) {
    const creds =
      cfg.natsAuth === undefined
        ? undefined
        : 'credsFile' in cfg.natsAuth
          ? readNatsCredentials(cfg.natsAuth.credsFile)
          : { auth: cfg.natsAuth };
    nats = await NatsTransport.connect({
      servers: cfg.nats,
      name: `weft-${cfg.domain}`,
      ...(creds ? { auth: creds.auth } : {}),
      ...(creds?.inboxPrefix ? { inboxPrefix: creds.inboxPrefix } : {}),
      ...(cfg.natsCa ? { tls: { caFile: cfg.natsCa } } : {}),
    });
    endpoint = (self) => nats!.endpoint(self);
  } else {
    bus = new InProcessBus({});
    endpoint = (self) => bus!.endpoint(self);
  }
  // Signature workers for the domain's admission and the router's catch-up (--sig-workers).
  const verifier = cfg.sigWorkers > 0 ? SignatureVerifierPool.create({ threads: cfg.sigWorkers }) : undefined;
  let host: NodeHost;
  try {
    host = await NodeHost.open({
      dir: cfg.data,
      signers: [key],
      create: { name: cfg.domain },
      endpoint,
      peers,
      // The driver reads a peer over its HTTP API (WeftClient has every read PeerReads names).
      peerReads: (p) => new WeftClient(api.get(toHex(p.id))!),
      mode: cfg.mode,
      follow: cfg.follow,
      ...(network ? { alwaysFollow: alwaysFollowedOf(network, id) } : {}),
      blockIntervalMs: cfg.blockIntervalMs,
      minBlockIntervalMs: cfg.minBlockIntervalMs,
      heartbeatMs: cfg.heartbeatMs,
      ...(cfg.trustingPeriodMs !== undefined ? { trustingPeriodMs: cfg.trustingPeriodMs } : {}),
      ...(cfg.anchorPolicy ? { anchorPolicy: cfg.anchorPolicy } : {}),
      ...(cfg.provers ? { provers: cfg.provers } : {}),
      ...(cfg.programs === 'examples' ? { programs: new ProgramRegistry(examplePrograms) } : {}),
      ...(cfg.requireProvenAnchors ? { requireProvenAnchors: true } : {}),
      ...(cfg.evm ? { evm: cfg.evm } : {}),
      ...(verifier ? { verifier } : {}),
      onError: (e) =>
        logs.error({ code: e instanceof WeftError ? e.code : undefined, err: e }, `error: ${e.message}`),
    });
  } catch (e) {
    await nats?.close();
    await bus?.close();
    await verifier?.close();
    throw e;
  }
  const stopAll = async () => {
    await host.close();
    await nats?.close();
    await bus?.close();
    await verifier?.close();
  };
  // The store must be the domain the configuration names, and the one the network file lists.
  if (host.domain.name !== cfg.domain || !equalBytes(host.domain.id, id)) {
    await stopAll();
    throw new WeftError('BAD_CONFIG', `${cfg.data} holds domain '${host.domain.name}', not '${cfg.domain}'`);
  }
  if (me && !equalBytes(encodeSignedHeader(me.genesis), encodeSignedHeader(host.domain.header(0n)!))) {
    await stopAll();
    throw new WeftError(
      'BAD_CONFIG',
      `${cfg.network} lists another genesis for ${cfg.domain} than the store in ${cfg.data} holds`,
    );
  }
  const instance = randomBytes(16).toString('hex');
  // /health reports `instance`: weft up checks the answer comes from this process.
  const apiNode = {
    domain: host.domain,
    router: host.router,
    driver: host.driver,
    globalRoot: () => host.globalRoot,
    reinitializeRemote: (...a: Parameters<NodeHost['reinitializeRemote']>) => host.reinitializeRemote(...a),
    instance,
    mode: cfg.mode,
    // The dashboard finds the other nodes here (GET /v1/network); no network file, no route.
    ...(network
      ? { members: () => network.domains.map((d) => ({ name: d.name, domainId: d.id, api: d.api })) }
      : {}),
    ...(nats ? { transport: nats } : {}),
  };
  const server = await createApi(apiNode, {
    token,
    instance,
    log: logs,
    onError: (e) => logs.error({ err: e }, `api error: ${e.message}`),
  });
  let url: string;
  try {
    url = await server.listen({ host: cfg.listen.host, port: cfg.listen.port });
  } catch (e) {
    await stopAll();
    throw new WeftError(
      'LISTEN_FAILED',
      `cannot listen on ${cfg.listen.host}:${cfg.listen.port}: ${(e as Error).message}`,
    );
  }
  // Node loads its HTTP client (undici, ~40-80 ms of CPU) on the first `fetch`: the first read of
  // a peer would pay it in the middle of the first transfers, so it is loaded while idle.
  setTimeout(() => void fetch('data:,').catch(() => {}), SCHEMA_WARM_AFTER_MS).unref();
  const pidFile = join(cfg.data, NODE_PID_FILE);
  const pidRecord: NodePidFile = {
    pid: process.pid,
    instance,
    api: url,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(pidFile, `${JSON.stringify(pidRecord)}\n`);
  host.router.on('refused', (r) =>
    logs.warn(
      { from: toHex(r.from), code: r.code },
      `refused an update from ${toHex(r.from).slice(0, 10)}…: ${r.code}`,
    ),
  );
  const trust = modeTrust(cfg.mode);
  if (trust) log(trust);
  if (host.vault) {
    log(
      `following the EVM vault ${host.vault.vault} (${toHex(host.vault.vaultId)}) over ${cfg.evm!.rpcUrl}, ` +
        `${cfg.evm!.confirmations} confirmations; ${modeTrust('evm')}`,
    );
  }
  const r = host.recovery;
  log(
    `weft node ${cfg.domain} (${toHex(id)}) at height ${host.domain.committedHeight}` +
      `${r.created ? ', created' : `, recovered (${r.replayed} inputs replayed)`}; API ${url}; ` +
      `${peers.length} peer${peers.length === 1 ? '' : 's'}${cfg.nats ? ` over ${cfg.nats}` : ''}, ` +
      `following ${cfg.follow === 'everyone' ? 'every peer' : 'the peers it has reason to (--follow interested)'}`,
  );
  return {
    host,
    url,
    instance,
    logger: logs,
    close: async () => {
      await server.close();
      await stopAll();
      // Only ours: a second node started on this store by mistake may have written its own.
      if (readNodePidFile(cfg.data)?.instance === instance) rmSync(pidFile, { force: true });
    },
  };
}
