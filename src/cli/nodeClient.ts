// The CLI's client for a node of a `weft up` network: it carries the node's API token, which
// `weft node` keeps in its data directory (DIR/NAME/api.token).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WeftClient } from '../api/client.js';
import type { NetworkMember } from '../node/index.js';
import { API_TOKEN_FILE } from './nodeConfig.js';

/** The token of member `name`'s node in network dir `dir`, or undefined when it has none (yet). */
export function nodeToken(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name, API_TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A client for member `m`'s node carrying its API token (DIR/NAME/api.token, where `weft node`
 * makes it under the data dir `weft up` gives it); without the file, a client without a token.
 */
export function nodeClient(
  net: { dir: string },
  m: NetworkMember,
  opts: { timeoutMs?: number } = {},
): WeftClient {
  const token = nodeToken(net.dir, m.name);
  return new WeftClient(m.api, { ...opts, ...(token ? { token } : {}) });
}
