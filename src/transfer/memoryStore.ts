// The transfer store of a driver without a node: records kept in memory (tests, one-process
// networks). A node keeps them in its LMDB store instead.
import type { TransferStore } from './driver.js';
import type { TransferRecord } from './record.js';

export class MemoryTransferStore implements TransferStore {
  private readonly recs = new Map<string, TransferRecord>();
  async put(recs: TransferRecord[]): Promise<void> {
    for (const rec of recs) this.recs.set(rec.transfer.id, rec);
  }
  list(): TransferRecord[] {
    return [...this.recs.values()];
  }
  get(id: string): TransferRecord | undefined {
    return this.recs.get(id);
  }
}
