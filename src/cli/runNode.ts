// `weft node`: one durable domain as its own process — store, network membership over NATS
// JetStream, transfer driver, HTTP API — until SIGINT or SIGTERM.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WeftClient } from '../api/client.js';
import { createApi } from '../api/index.js';
import { equalBytes, fromHex, type KeyPair, keyPairFromSeed, toHex, WeftError } from '../crypto/index.js';
import { encodeSignedHeader } from '../domain/index.js';
import { InProcessBus, NatsNetwork, type Transport } from '../net/index.js';
import { NodeHost, type Peer, peersOf, readNetworkFile } from '../node/index.js';
import { domainId } from '../resource/index.js';
import { hasNodeStore } from '../store/index.js';
import type { NodeConfig } from './nodeConfig.js';

/** The node's signing key, next to its store (created with the store, readable by its owner only). */
export const SIGNER_KEY_FILE = 'signer.key';

export type RunningNode = {
  host: NodeHost;
  url: string;
  close(): Promise<void>;
};

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

/** Starts a node from a checked configuration; `log` gets one line per notable event. */
export async function runNode(cfg: NodeConfig, log: (line: string) => void): Promise<RunningNode> {
  const creating = !hasNodeStore(cfg.data);
  const key = signerKey(cfg.data, creating);
  const id = domainId(cfg.domain);
  const network = cfg.network ? readNetworkFile(cfg.network) : null;
  const me = network?.domains.find((d) => d.name === cfg.domain);
  if (network && !me) throw new WeftError('BAD_CONFIG', `${cfg.network} does not list domain ${cfg.domain}`);
  const peers: Peer[] = network ? peersOf(network, id) : [];
  const api = new Map(network?.domains.map((d) => [toHex(d.id), d.api]) ?? []);

  let nats: NatsNetwork | null = null;
  let bus: InProcessBus | null = null;
  let endpoint: (self: Uint8Array) => Transport;
  if (cfg.nats) {
    nats = await NatsNetwork.connect({ servers: cfg.nats, name: `weft-${cfg.domain}` });
    endpoint = (self) => nats!.endpoint(self);
  } else {
    bus = new InProcessBus({});
    endpoint = (self) => bus!.endpoint(self);
  }
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
      blockIntervalMs: cfg.blockIntervalMs,
      heartbeatMs: cfg.heartbeatMs,
      onError: (e) => log(`error: ${e instanceof WeftError ? `${e.code}: ` : ''}${e.message}`),
    });
  } catch (e) {
    await nats?.close();
    await bus?.close();
    throw e;
  }
  const stopAll = async () => {
    await host.close();
    await nats?.close();
    await bus?.close();
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
  const server = await createApi(
    {
      domain: host.domain,
      network: host.network,
      driver: host.driver,
      globalRoot: () => host.globalRoot,
      reinitializeRemote: (trusted, keySet, p) => host.reinitializeRemote(trusted, keySet, p),
    },
    { onError: (e) => log(`api error: ${e.message}`) },
  );
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
  host.network.on('refused', (r) => log(`refused an update from ${toHex(r.from).slice(0, 10)}…: ${r.code}`));
  const r = host.recovery;
  log(
    `weft node ${cfg.domain} (${toHex(id)}) at height ${host.domain.committedHeight}` +
      `${r.created ? ', created' : `, recovered (${r.replayed} inputs replayed)`}; API ${url}; ` +
      `${peers.length} peer${peers.length === 1 ? '' : 's'}${cfg.nats ? ` over ${cfg.nats}` : ''}`,
  );
  return {
    host,
    url,
    close: async () => {
      await server.close();
      await stopAll();
    },
  };
}
