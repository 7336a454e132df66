// `weft demo --serve`: after the summary the demo network keeps running — blocks, deliveries, the
// transfer driver, and a trickle of new transfers around the ring — with every domain's HTTP API
// (and so the dashboard, at `/`) on loopback, until the returned `stop` is called (Ctrl-C).
import { type ApiNode, createApi, type WeftApi } from '../api/index.js';
import type { KeyPair } from '../crypto/index.js';
import type { Domain } from '../domain/index.js';
import type { ResourceParts } from '../resource/index.js';
import type { VerificationMode } from '../sync/index.js';
import { planTransfer, type TransferDriver } from '../transfer/index.js';

/** How often the served network seals (when transactions wait), delivers and drives transfers. */
export const DEMO_SERVE_TICK_MS = 100;
/** A heartbeat block on every domain this often, so clocks and remote views move on. */
export const DEMO_SERVE_HEARTBEAT_MS = 1_000;
/** One new transfer around the ring this often, so the dashboard has something to follow. */
export const DEMO_SERVE_TRANSFER_EVERY_MS = 1_000;

export type DemoCoin = ResourceParts & { nk: Uint8Array; owner: KeyPair };

/** The running demo network, as runDemo hands it over. */
export type DemoLive = {
  domains: Domain[];
  router: NonNullable<ApiNode['router']>;
  driver: TransferDriver;
  /** resolves once the transport delivered everything sent */
  quiet: () => Promise<void>;
  /** coins the owners hold now, by the index of their domain */
  coins: { at: number; coin: DemoCoin }[];
  /** how the domains verify each other's blocks */
  mode: VerificationMode;
  /** the demo's seeded randomness, for the new transfers' nonces */
  random: (n: number) => Uint8Array;
};

export type DemoServer = {
  /** each domain's API, in domain order */
  urls: string[];
  /** the dashboard, following every domain */
  dashboard: string;
  stop(): Promise<void>;
};

/**
 * Serves the demo network on `host` (ports from `port`, one per domain, or free ports when 0)
 * and keeps it running until `stop`.
 */
export async function serveDemo(live: DemoLive, opts: { host: string; port: number }): Promise<DemoServer> {
  const { domains, router, driver } = live;
  const apis: WeftApi[] = [];
  const urls: string[] = [];
  // Each node tells the dashboard where the others are (GET /v1/network), once all listen.
  const members = () => domains.map((d, i) => ({ name: d.name, domainId: d.id, api: urls[i]! }));
  for (const [i, domain] of domains.entries()) {
    const api = await createApi({ domain, router, driver, mode: live.mode, members });
    apis.push(api);
    urls.push(await api.listen({ host: opts.host, port: opts.port === 0 ? 0 : opts.port + i }));
  }
  let stopped = false;
  let lastHeartbeat = 0;
  let lastTransfer = 0;
  const coins = [...live.coins];
  const tick = async () => {
    const now = Date.now();
    const heartbeat = now - lastHeartbeat >= DEMO_SERVE_HEARTBEAT_MS;
    if (heartbeat) lastHeartbeat = now;
    for (const d of domains) if (d.mempoolSize > 0 || heartbeat) await d.sealBlock();
    await live.quiet();
    await driver.tick();
    if (now - lastTransfer >= DEMO_SERVE_TRANSFER_EVERY_MS && coins.length > 0) {
      lastTransfer = now;
      await startOne(live, coins);
    }
  };
  // One tick at a time: the next waits for the previous to finish.
  const loop = (async () => {
    while (!stopped) {
      await tick();
      await new Promise((r) => setTimeout(r, DEMO_SERVE_TICK_MS));
    }
  })();
  return {
    urls,
    // The page finds the other nodes through the first one's GET /v1/network.
    dashboard: `${urls[0]}/`,
    async stop() {
      stopped = true;
      await loop;
      for (const api of apis) await api.close();
    },
  };
}

/** Moves the first coin one domain along the ring; the coin it lands becomes the owner's next. */
async function startOne(live: DemoLive, coins: DemoLive['coins']): Promise<void> {
  const { at, coin } = coins.shift()!;
  const to = (at + 1) % live.domains.length;
  const from = live.domains[at]!;
  const plan = await planTransfer({
    from,
    to: live.domains[to]!,
    resource: coin,
    owner: coin.owner,
    random: live.random,
  });
  const handle = await live.driver.adopt(plan, from.id, live.domains[to]!.id);
  void handle.done.then((t) => {
    const landed = plan.claim.actions[0]!.created[0]!;
    if (t.phase === 'confirmed')
      coins.push({ at: to, coin: { ...landed, nk: plan.moved.nk, owner: coin.owner } });
    else coins.push({ at, coin });
  });
}
