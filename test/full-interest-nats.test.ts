// Full verification while following on interest, across processes' worth of nodes over a real
// NATS server (docs/sync.md, "Interest and full verification"): a node that follows only the
// destination of a transfer re-executes its claim block, vouching for the source it does not
// follow by the key set the network file gives for it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../src/crypto/index.js';
import { NatsTransport } from '../src/net/index.js';
import { NodeHost } from '../src/node/index.js';
import { planTransfer } from '../src/transfer/index.js';
import { txId } from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { isolatedStream, natsQuiet, startTestNatsServer, waitFor } from './helpers/natsNet.js';
import { createNodes, domainReads, nodeSigner, QUICK_HOST_TIMINGS } from './helpers/nodes.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('full mode following on interest, nodes over NATS', () => {
  it('a node following only the destination re-executes its claims from a source it does not follow', async () => {
    const server = await startTestNatsServer();
    const nats = await NatsTransport.connect({ servers: server.url, ...isolatedStream('full-interest') });
    const names = ['fi-a', 'fi-b', 'fi-c'];
    const { root, peers } = await createNodes('weft-full-interest-', names, (id) => nats.endpoint(id), dirs);
    const hosts: NodeHost[] = [];
    try {
      for (const [i, n] of names.entries())
        hosts.push(
          await NodeHost.open({
            dir: join(root, n),
            signers: [nodeSigner(n)],
            endpoint: (id) => nats.endpoint(id),
            peers: peers.filter((_, j) => j !== i),
            // what a node reads of a peer (over HTTP in `weft node`), here from the peer's domain
            peerReads: (p) => domainReads(() => hosts.find((h) => equalBytes(h.domain.id, p.id))!.domain),
            mode: 'full',
            follow: 'interested',
            // c verifies b, as an operator names a domain everybody must verify
            ...(n === 'fi-c' ? { alwaysFollow: [peers[1]!.id] } : {}),
            ...QUICK_HOST_TIMINGS,
          }),
        );
      const [a, b, c] = hosts as [NodeHost, NodeHost, NodeHost];
      const wallet = new Wallet(a.domain, 'full-interest');
      const coin = wallet.mintTx(alice.publicKey, 7n);
      await a.domain.submit(coin.tx);
      await waitFor(() => a.domain.status(txId(coin.tx))?.status === 'included', 'the mint');
      const plan = await planTransfer({ from: a.domain, to: b.domain, resource: coin.coin, owner: alice });
      const [h] = await a.driver.adoptMany([{ plan, from: a.domain.id, to: b.domain.id }]);
      const done = await h!.done;
      expect(done.phase).toBe('confirmed');
      // c re-executed b's block with the claim, in full, without a view of a.
      const claimHeight = done.claimHeight!;
      await waitFor(
        () => (c.domain.remoteView(b.domain.id)?.head.header.height ?? -1n) >= claimHeight,
        "c accepting b's claim block",
      );
      expect(c.domain.remoteViews().map((v) => toHex(v.domainId))).toEqual([toHex(b.domain.id)]);
      expect(c.router.counters().refused).toBe(0);
      expect(b.router.counters().refused).toBe(0);
      await natsQuiet(nats);
    } finally {
      for (const h of hosts) await h.close();
      await nats.close();
      await server.dispose();
    }
  }, 120_000);
});
