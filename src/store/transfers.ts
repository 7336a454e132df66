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

  async put(recs: TransferRecord[]): Promise<void> {
    if (recs.length === 0) return;
    const rows = recs.map(
      (rec) => [Buffer.from(rec.transfer.id.slice(2), 'hex'), encodeTransferRecord(rec)] as const,
    );
    await this.node.env.transaction(() => {
      for (const [k, v] of rows) this.node.transfers.put(k, v);
    });
    await this.node.env.flushed;
  }

  get(id: string): TransferRecord | undefined {
    if (!/^0x(?:[0-9a-f]{2}){1,64}$/.test(id)) return undefined;
    const value = this.node.transfers.get(Buffer.from(id.slice(2), 'hex')) as Uint8Array | undefined;
    return value === undefined ? undefined : decodeTransferRecord(value);
  }

  list(): TransferRecord[] {
    const out: TransferRecord[] = [];
    for (const { value } of this.node.transfers.getRange({}))
      out.push(decodeTransferRecord(value as Uint8Array));
    return out;
  }
}
