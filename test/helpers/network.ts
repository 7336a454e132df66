// A small in-process network for transfer tests: domains on an InProcessBus, wired by
// LocalNetwork, a transfer driver, and a pump that seals, delivers and drives in rounds.
import type { Domain } from '../../src/domain/index.js';
import { InProcessBus, type InProcessBusOptions } from '../../src/net/index.js';
import { LocalNetwork } from '../../src/node/index.js';
import {
  TransferDriver as Driver,
  MemoryTransferStore,
  type TransferDriver,
  type TransferStore,
} from '../../src/transfer/index.js';
import { makeDomain } from './domain.js';

export type TestNet = {
  domains: Domain[];
  bus: InProcessBus;
  net: LocalNetwork;
  driver: TransferDriver;
  /** one round: every domain seals, the bus delivers everything, the driver observes and acts */
  round(): Promise<void>;
  /** rounds until every transfer ends or `max` rounds pass */
  settle(max?: number): Promise<number>;
};

export async function testNet(
  names: string[],
  opts: {
    bus?: InProcessBusOptions;
    store?: TransferStore;
    mode?: 'signatures' | 'transition' | 'full';
    domains?: Domain[];
  } = {},
): Promise<TestNet> {
  const domains = opts.domains ?? (await Promise.all(names.map((n) => makeDomain(n))));
  const bus = new InProcessBus(opts.bus ?? {});
  const net = new LocalNetwork({
    endpoint: (id) => bus.endpoint(id),
    mode: opts.mode ?? 'transition',
    announceEveryMs: 0,
  });
  for (const d of domains) net.join(d);
  const driver = new Driver(opts.store ?? new MemoryTransferStore(), () => BigInt(Date.now()));
  for (const d of domains) driver.addDomain(d);
  const round = async () => {
    for (const d of domains) await d.sealBlock();
    await bus.idle();
    await net.announceAll(); // repairs what the bus lost
    await bus.idle();
    await driver.tick();
  };
  const settle = async (max = 60) => {
    for (let i = 0; i < max; i++) {
      if (driver.activeCount() === 0) return i;
      await round();
    }
    return max;
  };
  return { domains, bus, net, driver, round, settle };
}
