// Domains as separate processes: `weft up` starts three `weft node` processes and a NATS server;
// transfers go around the ring over NATS JetStream, one node is SIGKILLed mid-transfer and
// restarted, the NATS server is stopped and restarted mid-transfer, and everything lands once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../src/api/client.js';
import { startWalletTransfer } from '../src/cli/devWallet.js';
import { fetchProof, networkStatus, openNetworkDir, waitTransfer } from '../src/cli/networkClient.js';
import { down, restartNats, restartNode, stopProcess, up } from '../src/cli/up.js';
import { nullifier } from '../src/resource/index.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-cluster-'));
afterAll(async () => {
  await down({ dir, purge: true }, () => {}).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const claimed = async (api: string, plan: { moved: { resource: never; nk: Uint8Array } }) =>
  (await new WeftClient(api).proveNullifier(nullifier(plan.moved.resource, plan.moved.nk))).value !== null;

describe('a local network of node processes over NATS', () => {
  it('transfers around the ring, through a node killed mid-transfer and a NATS restart', async () => {
    const state = await up({ domains: 3, dir, mode: 'transition' }, () => {});
    expect(state.nodes.map((n) => n.name)).toEqual(['domain-a', 'domain-b', 'domain-c']);
    const net = openNetworkDir(dir);
    const api = (name: string) => net.members.find((m) => m.name === name)!.api;

    // 1. The ring: a -> b -> c -> a, each confirmed.
    for (const [from, to] of [
      ['domain-a', 'domain-b'],
      ['domain-b', 'domain-c'],
      ['domain-c', 'domain-a'],
    ] as const) {
      const t = await startWalletTransfer(net, { from, to });
      expect(await waitTransfer(t.client, t.id, () => {})).toBe('confirmed');
      expect(await claimed(api(to), t.plan as never)).toBe(true);
    }

    // 2. The destination is SIGKILLed right after the transfer starts, then restarted: the claim
    // waits in the stream, the node recovers from its store, and the transfer lands once.
    const killed = await startWalletTransfer(net, { from: 'domain-a', to: 'domain-b' });
    await stopProcess(dir, 'domain-b', 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    expect((await killed.client.transfer(killed.id))!.transfer.phase).not.toBe('confirmed');
    await restartNode(dir, 'domain-b');
    expect(await waitTransfer(killed.client, killed.id, () => {})).toBe('confirmed');

    // 3. NATS stops mid-transfer: the move commits on the source, sync pauses; NATS comes back
    // with its streams and the transfer finishes.
    await stopProcess(dir, 'nats');
    const paused = await startWalletTransfer(net, { from: 'domain-c', to: 'domain-a' });
    await new Promise((r) => setTimeout(r, 800));
    const during = (await paused.client.transfer(paused.id))!;
    expect(['requested', 'sourceCommitted']).toContain(during.transfer.phase);
    expect(during.waiting).toMatchObject({
      waitingFor: expect.stringMatching(/sourceCommit|sourceRootAtDestination/),
    });
    await restartNats(dir);
    expect(await waitTransfer(paused.client, paused.id, () => {})).toBe('confirmed');

    // Every node answers, none froze anyone, and a proof of the last claim verifies end to end.
    const rows = await networkStatus(net);
    expect(rows.every((r) => r.up)).toBe(true);
    for (const r of rows) expect(JSON.stringify(r.peers)).not.toMatch(/frozen/);
    const proof = await fetchProof(net, {
      kind: 'nullifier',
      item: nullifier(paused.plan.moved.resource, paused.plan.moved.nk),
      domain: 'domain-a',
    });
    expect(proof).toMatchObject({ present: true, headerSignedByKeySet: true, proofVerifies: true });
    await down({ dir, purge: false }, () => {});
  });

  it('weft node refuses a bad configuration with exit code 2 and one clear line', () => {
    const r = spawnSync(
      process.execPath,
      ['bin/weft.mjs', 'node', '--domain', 'x', '--data', dir, '--listen', 'nowhere'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/--listen must be HOST:PORT/);
  });
});
