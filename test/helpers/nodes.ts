// Durable node stores made for tests: one per name under a fresh directory, each introduced to the
// others as a peer by its genesis (what `weft up` writes out).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transport } from '../../src/net/index.js';
import { NodeHost, type Peer } from '../../src/node/index.js';
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
    peers.push({ id: h.domain.id, name: n, keySet: h.domain.keySet, genesis: h.domain.header(0n)! });
    await h.close();
  }
  return { root, peers };
}
