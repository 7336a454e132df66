// NATS fixtures for tests: a nats-server of the test's own (free loopback port, temp store dir)
// that can be stopped and restarted in place, a bounded wait, and the transfer test network of
// helpers/network.ts with NATS endpoints instead of the in-process bus.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Domain } from '../../src/domain/index.js';
import {
  type NatsServer,
  NatsTransport,
  type NatsTransportOptions,
  startNatsServer,
} from '../../src/net/index.js';
import type { SyncRouter } from '../../src/node/index.js';
import type { TransferDriver, TransferStore } from '../../src/transfer/index.js';
import { makeDomain } from './domain.js';
import { wireTestNet } from './network.js';

/** Longest a test waits for NATS to deliver something before it fails. */
export const WAIT_MS_MAX = 45_000;

export type TestNatsServer = {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** the running server, or null while stopped */
  current(): NatsServer | null;
  stop(): Promise<void>;
  /** starts again on the same port and store directory */
  restart(): Promise<void>;
  /** stops it and removes the store directory */
  dispose(): Promise<void>;
};

export async function startTestNatsServer(opts: { maxPayloadBytes?: number } = {}): Promise<TestNatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'weft-nats-test-'));
  // Every server ever started here is stopped by dispose, even one a failed test left running.
  const started = new Set<NatsServer>();
  const start = async (port?: number) => {
    const s = await startNatsServer({ storeDir, port, maxPayloadBytes: opts.maxPayloadBytes });
    started.add(s);
    return s;
  };
  let server: NatsServer | null = await start();
  const port = server.port;
  return {
    url: server.url,
    port,
    storeDir,
    current: () => server,
    stop: async () => {
      await server?.stop();
      server = null;
    },
    restart: async () => {
      await server?.stop();
      server = await start(port);
    },
    dispose: async () => {
      await Promise.all([...started].map((s) => s.stop()));
      server = null;
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** Polls `cond` until it holds; fails after WAIT_MS_MAX with `what` in the message. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let streams = 0;
/** A stream name and subject prefix no other test of this process uses. */
export function isolatedStream(
  tag: string,
): Pick<NatsTransportOptions, 'stream' | 'subjectPrefix' | 'streamMaxBytes'> {
  const n = `${tag}${process.pid}x${++streams}`.replace(/[^A-Za-z0-9_-]/g, '_');
  // Small streams: the server reserves each one's max bytes from its storage.
  return { stream: `S_${n}`, subjectPrefix: `t_${n}`, streamMaxBytes: 128 * 1024 * 1024 };
}

/**
 * Waits until NATS has nothing left to do: every send stored in the stream and every stored
 * message handled and acknowledged. Handlers publish their replies before their message is
 * acknowledged, so replies are counted by then.
 */
export async function natsQuiet(nats: NatsTransport): Promise<void> {
  await waitFor(async () => {
    await nats.idle();
    const s = nats.stats();
    return s.outbox === 0 && s.acked + s.malformed >= s.published;
  }, 'NATS to deliver everything sent');
}

export type NatsTestNet = {
  domains: Domain[];
  nats: NatsTransport;
  net: SyncRouter;
  driver: TransferDriver;
  /** every domain seals, NATS delivers everything, members re-announce, the driver acts */
  round(): Promise<void>;
  /** rounds until every transfer ends or `max` rounds pass; returns the rounds taken */
  settle(max?: number): Promise<number>;
  close(): Promise<void>;
};

export async function natsTestNet(
  names: string[],
  opts: { servers: string; tag: string; mode?: 'signatures' | 'transition' | 'full'; store?: TransferStore },
): Promise<NatsTestNet> {
  const domains = await Promise.all(names.map((n) => makeDomain(n)));
  const nats = await NatsTransport.connect({ servers: opts.servers, ...isolatedStream(opts.tag) });
  const { net, driver, round, settle } = wireTestNet(
    domains,
    { endpoint: (id) => nats.endpoint(id), quiet: () => natsQuiet(nats) },
    { ...(opts.mode ? { mode: opts.mode } : {}), ...(opts.store ? { store: opts.store } : {}) },
  );
  const close = async () => {
    net.close();
    await nats.close();
  };
  return { domains, nats, net, driver, round, settle, close };
}
