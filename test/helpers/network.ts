// A small in-process network for transfer tests: domains on an InProcessBus, wired by
// SyncRouter, a transfer driver, and a pump that seals, delivers and drives in rounds.
import type { Domain } from '../../src/domain/index.js';
import { InProcessBus, type InProcessBusOptions, type Transport } from '../../src/net/index.js';
import { SyncRouter } from '../../src/node/index.js';
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
  net: SyncRouter;
  driver: TransferDriver;
  /** one round: every domain seals, the bus delivers everything, the driver observes and acts */
  round(): Promise<void>;
  /** rounds until every transfer ends or `max` rounds pass */
  settle(max?: number): Promise<number>;
};

/**
 * Domains wired by a SyncRouter over any transport, with a driver and the round/settle pump:
 * `quiet` resolves once the transport has delivered everything sent (the bus going idle, NATS
 * having stored and acknowledged every message).
 */
export function wireTestNet(
  domains: Domain[],
  transport: { endpoint: (self: Uint8Array) => Transport; quiet: () => Promise<void> },
  opts: { store?: TransferStore; mode?: 'signatures' | 'transition' | 'full' } = {},
): Pick<TestNet, 'net' | 'driver' | 'round' | 'settle'> {
  const net = new SyncRouter({
    endpoint: transport.endpoint,
    mode: opts.mode ?? 'transition',
    announceEveryMs: 0,
  });
  for (const d of domains) net.join(d);
  const driver = new Driver(opts.store ?? new MemoryTransferStore(), () => BigInt(Date.now()));
  for (const d of domains) driver.addDomain(d);
  const round = async () => {
    for (const d of domains) await d.sealBlock();
    await transport.quiet();
    await net.announceAll(); // repairs what the transport lost (or a restart made anyone miss)
    await transport.quiet();
    await driver.tick();
  };
  const settle = async (max = 60) => {
    for (let i = 0; i < max; i++) {
      if (driver.activeCount() === 0) return i;
      await round();
    }
    return max;
  };
  return { net, driver, round, settle };
}

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
  const wired = wireTestNet(domains, { endpoint: (id) => bus.endpoint(id), quiet: () => bus.idle() }, opts);
  return { domains, bus, ...wired };
}
