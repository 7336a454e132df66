import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../src/api/client.js';
import { createApi } from '../src/api/index.js';
import { toHex } from '../src/crypto/index.js';
import { InProcessBus } from '../src/net/index.js';
import { NodeHost } from '../src/node/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { planTransfer, type TransferPlan } from '../src/transfer/index.js';
import { alice, key, Wallet } from './helpers/domain.js';
import { createNodes, domainReads, nodeSigner } from './helpers/nodes.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Reads of another node, asynchronous as over HTTP; `down` makes them fail like a dead peer. */
const until = async (what: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const signer = nodeSigner;

describe('nodes that know each other only as peers', () => {
  it('transfer both ways, one node restarting in between, with claims sent as transfer messages', async () => {
    const bus = new InProcessBus({});
    const names = ['host-a', 'host-b'];
    // Create both, then introduce them to each other by genesis (what `weft up` writes out).
    const { root, peers } = await createNodes('weft-host-', names, (id) => bus.endpoint(id), dirs);
    const hosts: (NodeHost | null)[] = [null, null];
    const down = [false, false];
    const open = async (i: number) => {
      const other = 1 - i;
      hosts[i] = await NodeHost.open({
        dir: join(root, names[i]!),
        signers: [signer(names[i]!)],
        endpoint: (id) => bus.endpoint(id),
        peers: [peers[other]!],
        peerReads: () =>
          domainReads(
            () => hosts[other]!.domain,
            () => down[other]! || !hosts[other],
          ),
        blockIntervalMs: 20,
        heartbeatMs: 200,
        driverTickMs: 50,
        announceEveryMs: 100,
      });
    };
    await open(0);
    await open(1);
    const a = () => hosts[0]!;
    const b = () => hosts[1]!;
    const coin = await new Wallet(a().domain, 'peer').mint(alice.publicKey, 5n);
    const plan = await planTransfer({ from: a().domain, to: b().domain, resource: coin, owner: alice });
    const h = await a().driver.adopt(plan, a().domain.id, b().domain.id);
    expect((await h.done).phase).toBe('confirmed');
    // b knows a only through the network, yet accepted a's root and took the claim.
    expect(b().domain.remoteHeader(a().domain.id)!.height).toBeGreaterThan(0n);

    // b goes down; a transfer b -> a started before is finished after b's restart.
    const landed = plan.claim.actions[0]!.created[0]!;
    const coin2 = { ...landed, nk: plan.moved.nk };
    await until(() => b().domain.proveCommitment(commitmentOf(landed)).value !== null);
    const back = await planTransfer({ from: b().domain, to: a().domain, resource: coin2, owner: alice });
    const h2 = await b().driver.adopt(back, b().domain.id, a().domain.id);
    await b().close();
    hosts[1] = null;
    down[1] = true;
    await new Promise((r) => setTimeout(r, 300)); // a runs on alone for a while
    await open(1);
    down[1] = false;
    await until(() => b().driver.get(h2.id)?.phase === 'confirmed');
    expect(a().domain.proveNullifier(nullifierOf(back)).value).not.toBeNull();
    // The operator's re-initialisation, through the API: refused while the view is not frozen.
    const api = await createApi(
      {
        domain: a().domain,
        router: a().router,
        driver: a().driver,
        globalRoot: () => a().globalRoot,
        reinitializeRemote: (t, k, p) => a().reinitializeRemote(t, k, p),
      },
      { token: 'host-test-token-0123456789' },
    );
    const client = new WeftClient(await api.listen(), { token: 'host-test-token-0123456789' });
    await expect(
      client.reinitializeRemote(b().domain.header(1n)!, b().domain.keySet, { by: 'ops' }),
    ).rejects.toMatchObject({ code: 'NOT_FROZEN' });
    // The node's global root holds both domains' roots.
    expect((await client.globalRoot()).domains.map((d) => toHex(d.domainId)).sort()).toEqual(
      [a().domain.id, b().domain.id].map(toHex).sort(),
    );
    await api.close();
    await a().close();
    await b().close();
    await bus.close();
  });
});

const commitmentOf = (c: { resource: Parameters<typeof commitment>[0] }) => commitment(c.resource);
const nullifierOf = (p: TransferPlan) => nullifier(p.moved.resource, p.moved.nk);

describe('when a node seals', () => {
  it('seals as soon as a transaction arrives (the interval timer never fires here), one seal at a time', async () => {
    const bus = new InProcessBus({});
    const dir = mkdtempSync(join(tmpdir(), 'weft-host-seal-'));
    dirs.push(dir);
    const host = await NodeHost.open({
      dir,
      signers: [key('secp256k1', 'signer/seal-now')],
      create: { name: 'seal-now' },
      endpoint: (id) => bus.endpoint(id),
      // Neither timer can be what seals in this test.
      blockIntervalMs: 3_600_000,
      heartbeatMs: 3_600_000,
      minBlockIntervalMs: 1,
    });
    let sealing = 0;
    let most = 0;
    let seals = 0;
    const seal = host.domain.sealBlock.bind(host.domain);
    host.domain.sealBlock = async () => {
      sealing++;
      seals++;
      most = Math.max(most, sealing);
      try {
        return await seal();
      } finally {
        sealing--;
      }
    };
    const wallet = new Wallet(host.domain, 'seal-now');
    // Bursts over many turns of the event loop, some arriving while a seal runs.
    const ids: Uint8Array[] = [];
    for (let burst = 0; burst < 8; burst++) {
      const txs = Array.from({ length: 5 }, () => wallet.mintTx(alice.publicKey, 1n).tx);
      for (const r of await Promise.all(txs.map((tx) => host.domain.submit(tx)))) ids.push(r.txId);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => ids.every((id) => host.domain.status(id)?.status === 'included'));
    expect(most).toBe(1);
    // Bursts shared blocks: fewer seals than transactions.
    expect(seals).toBeLessThan(ids.length);
    await host.close();
    await bus.close();
  });

  it("records a peer's block with transactions at the next interval, not the heartbeat, and does not answer a peer's empty block", async () => {
    const bus = new InProcessBus({});
    const names = ['rec-a', 'rec-b'];
    const { root, peers } = await createNodes('weft-host-peer-block-', names, (id) => bus.endpoint(id), dirs);
    const hosts = await Promise.all(
      names.map((n, i) =>
        NodeHost.open({
          dir: join(root, n),
          signers: [signer(n)],
          endpoint: (id) => bus.endpoint(id),
          peers: [peers[1 - i]!],
          blockIntervalMs: 20,
          // An hour: only work seals here.
          heartbeatMs: 3_600_000,
          minBlockIntervalMs: 1,
          announceEveryMs: 3_600_000,
        }),
      ),
    );
    const [a, b] = hosts as [NodeHost, NodeHost];
    const { tx } = new Wallet(a.domain, 'rec').mintTx(alice.publicKey, 1n);
    const { txId } = await a.domain.submit(tx);
    await until(() => a.domain.status(txId)?.status === 'included');
    const st = a.domain.status(txId);
    const height = st?.status === 'included' ? st.height : -1n;
    // b has nothing to submit and its heartbeat is an hour away, yet it seals a block recording
    // a's (what a claim anchored on it waits for).
    await until(() => b.domain.committedHeight >= 1n);
    expect(b.domain.remoteHeader(a.domain.id)?.height).toBe(height);
    // b's block had no transactions: a does not seal for it, so neither seals again (no
    // ping-pong). Both stay where they are while a few intervals pass.
    await until(
      () => (a.domain.remoteView(b.domain.id)?.head.header.height ?? -1n) >= b.domain.committedHeight,
    );
    const heights = [a.domain.committedHeight, b.domain.committedHeight];
    await new Promise((r) => setTimeout(r, 200));
    expect([a.domain.committedHeight, b.domain.committedHeight]).toEqual(heights);
    for (const h of hosts) await h.close();
    await bus.close();
  });
});
