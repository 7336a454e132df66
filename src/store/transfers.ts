// Transfer records in the node's LMDB environment (`node:transfers`): the transfer driver's
// persistence, written through (each put is durable before the driver acts on it).
import {
  decodeTransferRecord,
  encodeTransferRecord,
  type TransferRecord,
  type TransferStore,
} from '../transfer/index.js';
import type { NodeEnv } from './env.js';

export class LmdbTransferStore implements TransferStore {
  constructor(private readonly node: NodeEnv) {}

  async put(rec: TransferRecord): Promise<void> {
    const key = Buffer.from(rec.transfer.id.slice(2), 'hex');
    const value = encodeTransferRecord(rec);
    await this.node.env.transaction(() => {
      this.node.transfers.put(key, value);
    });
    await this.node.env.flushed;
  }

  list(): TransferRecord[] {
    const out: TransferRecord[] = [];
    for (const { value } of this.node.transfers.getRange({}))
      out.push(decodeTransferRecord(value as Uint8Array));
    return out;
  }
}
