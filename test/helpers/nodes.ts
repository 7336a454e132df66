// Durable node stores made for tests: one per name under a fresh directory, each introduced to the
// others as a peer by its genesis (what `weft up` writes out).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Domain } from '../../src/domain/index.js';
import { InProcessBus, type Transport } from '../../src/net/index.js';
import { NodeHost, type Peer, type PeerReads, SyncRouter } from '../../src/node/index.js';
import { key } from './domain.js';

/** The operator key of node `n`. */
export const nodeSigner = (n: string) => key('secp256k1', `signer/${n}`);

/**
 * Creates a node store per name under a fresh directory (pushed onto `dirs`, for the test to
 * remove) and returns the directory and each node as a peer.
 */
export async function createNodes(
  prefix: string,
  names: string[],
  endpoint: (id: Uint8Array) => Transport,
  dirs: string[],
): Promise<{ root: string; peers: Peer[] }> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(root);
  const peers: Peer[] = [];
  for (const n of names) {
    const h = await NodeHost.open({
      dir: join(root, n),
      signers: [nodeSigner(n)],
      create: { name: n },
      endpoint,
    });
    peers.push(peerOf(h.domain));
    await h.close();
  }
  return { root, peers };
}

/** Host timings that keep a test of a few nodes quick: blocks within 20 ms, a driver pass every 50. */
export const QUICK_HOST_TIMINGS = {
  blockIntervalMs: 20,
  minBlockIntervalMs: 5,
  heartbeatMs: 200,
  driverTickMs: 50,
  announceEveryMs: 100,
} as const;

/**
 * A peer's reads answered by its domain (`get()`), a turn of the event loop later as a request
 * would be; while `down()` holds, every read fails as an unreachable peer's would.
 */
export function domainReads(get: () => Domain, down: () => boolean = () => false): PeerReads {
  const d = async () => {
    await new Promise((r) => setImmediate(r));
    if (down()) throw new Error('peer unreachable');
    return get();
  };
  return {
    status: async (id) => (await d()).status(id),
    proveCommitment: async (cm, h) => (await d()).proveCommitment(cm, h),
    proveNullifier: async (nf, h) => (await d()).proveNullifier(nf, h),
    proveRefusal: async (nf, h) => (await d()).proveRefusal(nf, h),
    acceptsAnchor: async (root) => (await d()).acceptsAnchor(root),
    remoteHeader: async (id) => (await d()).remoteHeader(id),
  };
}

/** A domain as another process's network file names it. */
export const peerOf = (d: Domain): Peer => ({
  id: d.id,
  name: d.name,
  keySet: d.keySet,
  genesis: d.header(0n)!,
});

/**
 * Domains S and D in two routers ("processes", `transition`, no re-announcements) on one bus: S
 * follows D, and D follows S unless `dFollowsS` is false.
 */
export async function twoRouters(s: Domain, d: Domain, dFollowsS = true) {
  const bus = new InProcessBus({});
  const rs = new SyncRouter({ endpoint: (id) => bus.endpoint(id), mode: 'transition', announceEveryMs: 0 });
  const rd = new SyncRouter({ endpoint: (id) => bus.endpoint(id), mode: 'transition', announceEveryMs: 0 });
  await rs.join(s);
  await rd.join(d);
  await rs.addPeer(peerOf(d));
  if (dFollowsS) await rd.addPeer(peerOf(s));
  return { bus, rs, rd };
}
