// The Byzantine test with real node processes over NATS and default flags (issue 13, item 1):
// `weft up --domains 3`; domain A's node is stopped and its operator, holding A's store, signing key
// and NATS credentials, publishes a block minting a token homed on B out of nothing, then claims it
// on B through B's API. B and C freeze their view of A with the evidence, the claim never lands, an
// honest transfer B -> C confirms, and B's and C's trees hold nothing of the lie.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../src/api/client.js';
import { startWalletTransfer } from '../src/cli/devWallet.js';
import { openNetworkDir, waitTransfer } from '../src/cli/networkClient.js';
import { nodeToken } from '../src/cli/nodeClient.js';
import { signerKey } from '../src/cli/runNode.js';
import { credentialsFile, down, readUpState, stopProcess } from '../src/cli/up.js';
import { equalBytes, sha256 } from '../src/crypto/index.js';
import { NatsTransport } from '../src/net/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { openDomainNode } from '../src/store/index.js';
import { encodeRootUpdate } from '../src/sync/index.js';
import { planTransfer } from '../src/transfer/index.js';
import { commitmentKey, encodeHeight } from '../src/tx/index.js';
import { alice, Wallet } from './helpers/domain.js';
import { forge, replicaAt } from './helpers/sync.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-byzantine-'));
afterAll(async () => {
  await down({ dir, purge: true }, () => {}).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a Byzantine domain among node processes over NATS, default flags', () => {
  it('is frozen by B and C with evidence; its claim never lands; an honest transfer confirms', async () => {
    const r = spawnSync(process.execPath, ['bin/weft.mjs', 'up', '--domains', '3', '--dir', dir], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const net = openNetworkDir(dir);
    const m = (name: string) => net.members.find((x) => x.name === name)!;
    const [a, b, c] = [m('domain-a'), m('domain-b'), m('domain-c')];
    // Submissions are state changes: they carry each node's API token, as the CLI sends it.
    const clientB = new WeftClient(b.api, { token: nodeToken(dir, 'domain-b')! });
    const clientC = new WeftClient(c.api, { token: nodeToken(dir, 'domain-c')! });
    // B and C follow A before the lie.
    await until('B to follow A', async () =>
      (await clientB.remotes()).some((v) => equalBytes(v.domainId, a.id)) ? true : undefined,
    );

    // A's operator turns: the node stops, its store and key serve the forgery.
    await stopProcess(dir, 'domain-a');
    const data = join(dir, 'domain-a');
    const key = signerKey(data, false);
    const node = await openDomainNode(data, { signers: [key] });
    const domainA = node.domain;
    const fake = new Wallet(domainA, 'byzantine').coin(alice.publicKey, 1_000_000n);
    // A plan whose moved resource (homed on B) the forged block writes with no move behind it.
    const plan = await planTransfer({
      from: {
        id: a.id,
        // The move is never sent: any well-formed proof will do for planning.
        proveCommitment: (cm: Uint8Array) => ({ ...domainA.proveCommitment(cm), value: encodeHeight(1n) }),
      },
      to: { id: b.id },
      resource: fake,
      owner: alice,
    });
    const minted = commitmentKey(commitment(plan.moved.resource));
    const parent = domainA.committedHeight;
    const writes = [{ key: minted, value: encodeHeight(parent + 1n) }];
    const forged = await forge(domainA, parent, { writes, signers: [key] });
    const smt = await replicaAt(domainA, parent);
    await smt.apply(writes);
    const proof = await smt.prove(minted);
    await node.close();

    // Published as A, with A's own NATS credentials.
    const upState = readUpState(dir)!;
    expect(upState.mode).toBe('full'); // what `weft up` chose with no --mode
    const creds = JSON.parse(readFileSync(credentialsFile(dir, 'domain-a'), 'utf8'));
    const nats = await NatsTransport.connect({
      servers: upState.nats.url,
      name: 'byzantine-a',
      auth: { user: creds.user, password: creds.password },
      ...(creds.inboxPrefix ? { inboxPrefix: creds.inboxPrefix } : {}),
    });
    const body = encodeRootUpdate(forged);
    const ep = nats.endpoint(a.id);
    for (const to of [b, c]) await ep.send(to.id, { kind: 'rootUpdate', id: `byz/${parent + 1n}`, body });

    for (const client of [clientB, clientC]) {
      const view = await until('the freeze', async () => {
        const v = (await client.remotes()).find((x) => equalBytes(x.domainId, a.id));
        return v?.frozen ? v : undefined;
      });
      expect(view.frozenFromHeight).toBe(parent + 1n);
      expect(view.frozenBy).toMatchObject({ kind: 'invalidBlock' });
      expect(view.frozenBy!.updateHash).toBe(`0x${Buffer.from(sha256(body)).toString('hex')}`);
      expect(view.frozenBy!.reason).toMatch(/none of its transactions implies/);
    }

    // The claim of the minted token, proven under the forged root, is refused by B.
    const consumed = plan.claim.actions[0]!.consumed[0]!;
    const claim = {
      ...plan.claim,
      actions: [
        {
          ...plan.claim.actions[0]!,
          consumed: [
            {
              ...consumed,
              commitmentProof: { anchor: forged.signed.header.stateRoot, height: parent + 1n, proof },
            },
          ],
        },
      ],
    };
    const submitted = await clientB.submit(claim);
    // B never accepted the forged root, so nothing can be proven under it.
    expect(submitted.status).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ANCHOR' });

    // An honest transfer B -> C confirms.
    const t = await startWalletTransfer(net, { from: 'domain-b', to: 'domain-c' });
    expect(await waitTransfer(t.client, t.id, () => {})).toBe('confirmed');
    // Supply: the coin left B (its nullifier spent there) and landed on C with the same quantity.
    const honest = t.plan;
    const honestLanded = honest.claim.actions[0]!.created[0]!.resource;
    expect(honestLanded.quantity).toBe(honest.moved.resource.quantity);
    expect((await clientC.proveCommitment(commitment(honestLanded))).value).not.toBeNull();
    expect((await clientB.proveCommitment(commitment(honestLanded))).value).toBeNull();

    // Nothing of the lie on B or C: the claim's nullifier is not spent, the minted commitment unknown.
    const nf = nullifier(plan.moved.resource, plan.moved.nk);
    expect((await clientB.proveNullifier(nf)).value).toBeNull();
    for (const client of [clientB, clientC])
      expect((await client.proveCommitment(commitment(plan.moved.resource))).value).toBeNull();
    const landed = commitment(plan.claim.actions[0]!.created[0]!.resource);
    expect((await clientB.proveCommitment(landed)).value).toBeNull();
    await nats.close();
    await down({ dir, purge: false }, () => {});
  }, 120_000);
});
