// `weft prover` against a live domain behind its HTTP API: it re-executes every block from the
// full-mode witness and signs attestations that advance a proven tip; it refuses a block that
// does not re-execute to its header's root.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type WeftApi, WeftClient } from '../src/api/index.js';
import { main } from '../src/cli/main.js';
import { proveBlocks } from '../src/cli/scope.js';
import { fromHex, keyPairFromSeed, toHex } from '../src/crypto/index.js';
import { Domain } from '../src/domain/index.js';
import {
  decodeSignedAttestation,
  ProvenTip,
  signAttestation,
  verifyAttestation,
} from '../src/scope/index.js';
import { alice, bob, key, steppingClock, Wallet } from './helpers/domain.js';
import { type TestNet, testNet } from './helpers/network.js';

let t: TestNet;
let api: WeftApi;
let url: string;
const dir = mkdtempSync(join(tmpdir(), 'weft-prover-'));

beforeAll(async () => {
  t = await testNet(['prover-alpha']);
  api = await createApi({ domain: t.domains[0]!, router: t.net, driver: t.driver });
  url = await api.listen();
  const wallet = new Wallet(t.domains[0]!, 'prover');
  const coin = await wallet.mint(alice.publicKey, 100n);
  const { tx } = wallet.transferTx(coin, alice, bob.publicKey, 40n);
  const r = await t.domains[0]!.submit(tx);
  expect(r.status.status).toBe('pending');
  await t.round();
  await t.round();
});

afterAll(async () => {
  await api.close();
  t.net.close();
});

describe('attestations through the API', () => {
  it('move the proven tip of a domain with provers: weft prover --post', async () => {
    const keyFile = join(dir, 'posting.key');
    writeFileSync(keyFile, `${toHex(new Uint8Array(32).fill(7))}\n`);
    const prover = keyPairFromSeed('ed25519', new Uint8Array(32).fill(7));
    const domain = await Domain.create({
      name: 'prover-beta',
      signers: [key('secp256k1', 'prover-beta/operator')],
      clock: steppingClock(),
      provers: { provers: [prover.publicKey], threshold: 1 },
    });
    const wallet = new Wallet(domain, 'posting');
    await wallet.mint(alice.publicKey, 5n);
    await wallet.mint(alice.publicKey, 6n);
    const own = await createApi({ domain });
    try {
      const ownUrl = await own.listen();
      expect(domain.provenHeight).toBe(0n);
      const lines: string[] = [];
      const code = await main(['prover', '--api', ownUrl, '--key', keyFile, '--post'], {
        log: (s) => lines.push(s),
        error: (s) => lines.push(s),
      });
      expect(code).toBe(0);
      expect(lines.map((l) => (JSON.parse(l) as { provenHeight: string }).provenHeight)).toEqual(['1', '2']);
      expect(domain.provenHeight).toBe(2n);
      // A key outside the prover set, and bytes that are no attestation, are refused.
      const client = new WeftClient(ownUrl);
      const stranger = keyPairFromSeed('ed25519', new Uint8Array(32).fill(8));
      const signed = signAttestation(stranger, {
        domain: domain.id,
        height: 2n,
        stateRoot: domain.header(2n)!.header.stateRoot,
      });
      await expect(client.attest(signed)).rejects.toMatchObject({ code: 'PROVER_UNKNOWN' });
      const bad = await own.app.inject({
        method: 'POST',
        url: '/v1/attestations',
        payload: { attestation: '0x00' },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'CODEC' } });
    } finally {
      await own.close();
    }
    // The test network's domain has no prover set: 404 NOT_ENABLED.
    const none = await new WeftClient(url)
      .attest(
        signAttestation(keyPairFromSeed('ed25519', new Uint8Array(32).fill(9)), {
          domain: t.domains[0]!.id,
          height: 1n,
          stateRoot: new Uint8Array(32),
        }),
      )
      .catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'NOT_ENABLED' });
  });
});

describe('weft prover', () => {
  it('attests every block with the root it re-executes to, and the attestations prove the tip', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const keyFile = join(dir, 'prover.key');
    const code = await main(['prover', '--api', url, '--key', keyFile], {
      log: (s) => lines.push(s),
      error: (s) => errors.push(s),
    });
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const client = new WeftClient(url);
    const committed = (await client.info()).committedHeight;
    expect(committed).toBeGreaterThan(1n);
    expect(BigInt(lines.length)).toBe(committed);
    const prover = keyPairFromSeed('ed25519', fromHex(readFileSync(keyFile, 'utf8').trim(), 32));
    const roots = new Map<bigint, Uint8Array>();
    for (let h = 1n; h <= committed; h++) roots.set(h, (await client.header(h))!.header.stateRoot);
    const tip = new ProvenTip({
      domain: t.domains[0]!.id,
      provers: { provers: [prover.publicKey], threshold: 1 },
      committedRoot: (h) => roots.get(h),
    });
    for (const line of lines) {
      const j = JSON.parse(line) as Record<string, string>;
      const signed = decodeSignedAttestation(fromHex(j.attestation!));
      expect(verifyAttestation(signed)).toBe(true);
      expect(signed.attestation.stateRoot).toEqual(roots.get(signed.attestation.height));
      tip.add(signed);
    }
    expect(tip.height).toBe(committed);
  });

  it('refuses to attest a block whose writes do not lead to its header’s root', async () => {
    const client = new WeftClient(url);
    // Fault injection: the node serves block 2 with one write dropped.
    const lying = Object.create(client) as WeftClient;
    lying.block = async (at: bigint) => {
      const b = await client.block(at);
      return b && at === 2n ? { ...b, writes: b.writes.slice(1) } : b;
    };
    const key = keyPairFromSeed('ed25519', new Uint8Array(32).fill(5));
    const attested: bigint[] = [];
    await expect(
      proveBlocks(lying, key, { from: 1n, to: null, trustRemoteAnchors: false }, (p) =>
        attested.push(p.attestation.attestation.height),
      ),
    ).rejects.toMatchObject({ code: 'BAD_TRANSITION' });
    expect(attested).toEqual([1n]);
  });

  it('explains its options and refuses unknown ones', async () => {
    const out: string[] = [];
    const sink = { log: (s: string) => out.push(s), error: (s: string) => out.push(s) };
    expect(await main(['prover', '--help'], sink)).toBe(0);
    expect(out.join('\n')).toContain('--trust-remote-anchors');
    expect(await main(['prover', '--api', url], sink)).toBe(2);
    expect(await main(['prover', '--api', url, '--key', 'k', '--from', '0'], sink)).toBe(2);
    expect(await main(['prover', '--api', url, '--key', 'k', '--bogus'], sink)).toBe(2);
  });
});
