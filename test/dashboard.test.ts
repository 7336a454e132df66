// The dashboard in a real browser (Debian's chromium, driven by playwright-core): against a 3-node
// network of separate processes (`weft up`) it draws 3 domains and 6 sync edges, follows a transfer
// started from the CLI to `confirmed`, verifies proofs with the bundled verifier (and refuses a
// tampered one), and rides out a node going down; against an in-process network served by the API
// a domain equivocates and the frozen view shows as an alert with its evidence (both signed
// headers); a stream cut by a relay resumes with the blocks sealed meanwhile; the API token goes
// with the page's one write and nothing else.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type WeftApi, WeftClient } from '../src/api/index.js';
import { openNetworkDir } from '../src/cli/networkClient.js';
import { down, restartNode, stopProcess, up } from '../src/cli/up.js';
import { fromHex, toHex } from '../src/crypto/index.js';
import { headerHash, type SignedHeader } from '../src/domain/index.js';
import { decodeProof, encodeProof } from '../src/smt/index.js';
import { type Browser, launchChromium } from './helpers/browser.js';
import { alice, key, makeDomain, Wallet } from './helpers/domain.js';
import { testNet } from './helpers/network.js';

const root = resolve(import.meta.dirname, '..');
// Screenshots go to a temporary directory; `WEFT_SCREENSHOTS_DIR=docs/img` refreshes the docs' ones.
const shots = resolve(root, process.env.WEFT_SCREENSHOTS_DIR ?? join(tmpdir(), 'weft-dashboard-screenshots'));
const WAIT_MS = 30_000;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** Opens the page a node serves at `url` (with `?nodes=` when the node cannot name its peers). */
async function openDashboard(url: string): Promise<Page> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as { weft?: unknown }).weft !== undefined);
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

const phaseOf = (page: Page, id: string) =>
  page.locator(`[data-transfer="${id}"]`).getAttribute('data-phase', { timeout: WAIT_MS });

describe('the dashboard against a running 3-node network (weft up)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-dashboard-'));
  /** what `weft transfer --json` printed: the transfer and the items it spends and creates */
  let started: { id: string; landedCommitment: string; claimNullifier: string };
  let page: Page;
  afterAll(async () => {
    await page?.close();
    await down({ dir, purge: true }, () => {}).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws 3 domains and their 6 sync edges, and follows a CLI transfer to confirmed', async () => {
    await up({ domains: 3, dir, mode: 'transition' }, () => {});
    const net = openNetworkDir(dir);
    // Served by one node, the page finds the others through its GET /v1/network.
    page = await openDashboard(`${net.members[0]!.api}/`);

    await expect.poll(() => page.locator('#graph [data-domain]').count(), { timeout: WAIT_MS }).toBe(3);
    await expect.poll(() => page.locator('#graph [data-edge]').count(), { timeout: WAIT_MS }).toBe(6);
    // Every edge joins two of the three domains, one per ordered pair.
    const ids = await page
      .locator('#graph [data-domain]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-domain')));
    expect(new Set(ids)).toEqual(new Set(net.members.map((m) => toHex(m.id))));
    const edges = await page
      .locator('#graph [data-edge]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')));
    expect(new Set(edges).size).toBe(6);
    for (const e of edges) {
      const [from, to] = e!.split('>');
      expect(ids).toContain(from);
      expect(ids).toContain(to);
      expect(from).not.toBe(to);
    }
    await expect.poll(() => page.locator('#domains [data-domain-card]').count()).toBe(3);
    await expect
      .poll(() => page.locator('#links [data-status="live"]').count(), { timeout: WAIT_MS })
      .toBe(3);
    // The page reads the nodes across origins: reads answer any origin, writes do not.
    const read = await fetch(`${net.members[1]!.api}/v1/info`);
    expect(read.headers.get('access-control-allow-origin')).toBe('*');
    const write = await fetch(`${net.members[1]!.api}/v1/txs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    // A write without the node's token is refused before anything else (401), cross-origin or not.
    expect(write.status).toBe(401);
    expect(write.headers.get('access-control-allow-origin')).toBeNull();

    // A transfer started from the CLI appears in the list and reaches confirmed there.
    const cli = spawnSync(
      process.execPath,
      [
        join(root, 'bin', 'weft.mjs'),
        'transfer',
        '--from',
        'domain-a',
        '--to',
        'domain-b',
        '--dir',
        dir,
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    started = JSON.parse(cli.stdout) as typeof started;
    const id = started.id;
    expect(id).toMatch(/^0x[0-9a-f]{64}$/);
    await expect.poll(() => phaseOf(page, id), { timeout: WAIT_MS }).toBe('confirmed');
    // Its timeline: the phases it went through, and the node's explained status.
    await page.locator(`[data-transfer="${id}"]`).click();
    await expect
      .poll(() => page.locator('#transfer-detail .timeline td.phase').allTextContents())
      .toEqual(['requested', 'sourceCommitted', 'rootSynced', 'claimed', 'confirmed']);
    await expect.poll(() => page.locator('[data-waiting]').textContent()).toContain('"waitingFor": null');
    await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
  });

  it('verifies proofs in the browser, and refuses one a node tampered with', async () => {
    // The coin the transfer landed on domain-b, and the nullifier its claim wrote there.
    const cm = started.landedCommitment;
    const net = openNetworkDir(dir);
    const b = toHex(net.members.find((m) => m.name === 'domain-b')!.id);

    const inspect = async (kind: string, item: string) => {
      await page.selectOption('#proof-domain', b);
      await page.selectOption('#proof-kind', kind);
      await page.fill('#proof-item', item);
      await page.click('#proof-form button');
      const verdict = page.locator('#proof-result [data-verdict]');
      await verdict.waitFor({ timeout: WAIT_MS });
      return {
        verdict: await verdict.getAttribute('data-verdict'),
        present: await verdict.getAttribute('data-present'),
      };
    };
    expect(await inspect('nullifier', started.claimNullifier)).toEqual({
      verdict: 'verified',
      present: 'true',
    });
    expect(await inspect('commitment', cm)).toEqual({ verdict: 'verified', present: 'true' });
    expect(await page.locator('#proof-path circle.on').count()).toBeGreaterThan(0);
    await page.locator('#inspector-panel').screenshot({ path: join(shots, 'dashboard-proof.png') });
    // Absence of something never created verifies too.
    expect(await inspect('commitment', toHex(new Uint8Array(32).fill(0xab)))).toEqual({
      verdict: 'verified',
      present: 'false',
    });

    // Adversarial: a proof whose sibling was changed in flight must not verify in the page.
    let tampered = 0;
    await page.route('**/v1/proofs/**', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { proof: string };
      const proof = decodeProof(fromHex(body.proof));
      expect(proof.siblings.length).toBeGreaterThan(0);
      proof.siblings[0]![31]! ^= 1;
      tampered++;
      await route.fulfill({ response: res, json: { ...body, proof: toHex(encodeProof(proof)) } });
    });
    expect((await inspect('commitment', cm)).verdict).toBe('refused');
    expect(tampered).toBe(1);
    // ...and so must a proof of a different key than the one asked about.
    await page.unroute('**/v1/proofs/**');
    await page.route('**/v1/proofs/**', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { key: string };
      await route.fulfill({
        response: res,
        json: { ...body, key: `${body.key.slice(0, -1)}${body.key.endsWith('0') ? '1' : '0'}` },
      });
    });
    expect((await inspect('commitment', cm)).verdict).toBe('refused');
    await page.unroute('**/v1/proofs/**');
  });

  it('shows a node going down as an alert, and catches up once it is back', async () => {
    await stopProcess(dir, 'domain-c', 'SIGKILL');
    const c = openNetworkDir(dir).members.find((m) => m.name === 'domain-c')!;
    await expect
      .poll(() => page.locator(`#links [data-link="${c.api}"]`).getAttribute('data-status'), {
        timeout: WAIT_MS,
      })
      .toBe('down');
    await expect
      .poll(() => page.locator('#alerts [data-kind="unreachable"]').count(), { timeout: WAIT_MS })
      .toBeGreaterThan(0);
    const before = await page.evaluate(
      (id) =>
        (
          globalThis as unknown as { weft: { model: { domains: Map<string, { committed: number }> } } }
        ).weft.model.domains.get(id)!.committed,
      toHex(c.id),
    );
    await restartNode(dir, 'domain-c');
    await expect
      .poll(() => page.locator(`#links [data-link="${c.api}"]`).getAttribute('data-status'), {
        timeout: WAIT_MS,
      })
      .toBe('live');
    // The restarted node is another process: it cannot resume the old stream and says so (`reset`),
    // and the page reads its state again.
    await expect
      .poll(
        () =>
          page.evaluate(
            (url) =>
              (
                globalThis as unknown as { weft: { model: { nodes: Map<string, { resets: number }> } } }
              ).weft.model.nodes.get(url)!.resets,
            c.api,
          ),
        { timeout: WAIT_MS },
      )
      .toBeGreaterThan(0);
    // Back in place: the restarted node's new blocks arrive over the reopened stream.
    await expect
      .poll(
        () =>
          page.evaluate(
            (id) =>
              (
                globalThis as unknown as { weft: { model: { domains: Map<string, { committed: number }> } } }
              ).weft.model.domains.get(id)!.committed,
            toHex(c.id),
          ),
        { timeout: WAIT_MS },
      )
      .toBeGreaterThan(before);
  });
});

describe('the dashboard against an in-process network where a domain equivocates', () => {
  let apis: WeftApi[] = [];
  let timer: NodeJS.Timeout | undefined;
  afterAll(async () => {
    clearInterval(timer);
    await Promise.all(apis.map((a) => a.close()));
  });

  it('shows the frozen view as an alert, with the evidence one click away', async () => {
    const { encodeRootUpdate, rootUpdateFromBlock, verifyEquivocation } = await import(
      '../src/sync/index.js'
    );
    const evilKey = key('secp256k1', 'evil/operator');
    const evil = await makeDomain('evil', { signers: [evilKey] });
    const t = await testNet([], {
      domains: [await makeDomain('honest-a'), await makeDomain('honest-b'), evil],
    });
    const [, b] = t.domains as [typeof evil, typeof evil];
    apis = await Promise.all(t.domains.map((d) => createApi({ domain: d, router: t.net, driver: t.driver })));
    const urls = await Promise.all(apis.map((a) => a.listen()));
    let pumping = false;
    timer = setInterval(async () => {
      if (pumping) return;
      pumping = true;
      await t.round().finally(() => {
        pumping = false;
      });
    }, 200);
    // These nodes have no network file: the page is told all three.
    const page = await openDashboard(`${urls[0]}/?nodes=${encodeURIComponent(urls.join(','))}`);
    await expect.poll(() => page.locator('#graph [data-edge]').count(), { timeout: WAIT_MS }).toBe(6);
    expect(await page.locator('#graph [data-frozen="true"]').count()).toBe(0);

    // A fork of evil (same keys) signs another block at a height b already has from evil.
    await new Wallet(evil, 'evil').mint(alice.publicKey, 7n);
    await expect.poll(() => evil.committedHeight > 1n).toBe(true);
    const fork = await makeDomain('evil', { signers: [evilKey] });
    await new Wallet(fork, 'fork').mint(alice.publicKey, 6n);
    const forkBlock = rootUpdateFromBlock(fork.block(1n)!, fork.header(1n)!);
    await t.bus
      .endpoint(evil.id)
      .send(b.id, { kind: 'rootUpdate', id: 'fork-1', body: encodeRootUpdate(forkBlock) });

    const alert = page.locator('#alerts [data-kind="equivocation"]');
    await alert.first().waitFor({ timeout: WAIT_MS });
    expect(await alert.first().textContent()).toContain('EQUIVOCATION');
    await expect
      .poll(() => page.locator('#alerts [data-kind="frozen"]').count(), { timeout: WAIT_MS })
      .toBe(1);
    const frozen = page.locator(`#graph [data-edge="${toHex(evil.id)}>${toHex(b.id)}"]`);
    await expect.poll(() => frozen.getAttribute('data-frozen'), { timeout: WAIT_MS }).toBe('true');
    // Only b froze its view of evil; the other edges keep following.
    expect(await page.locator('#graph [data-frozen="true"]').count()).toBe(1);
    // One click on the alert opens the evidence: the refusal b reported and its view of evil.
    await alert.first().click();
    await expect.poll(() => page.locator('#edge-detail').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#edge-detail .refusals').textContent()).toContain('EQUIVOCATION');
    await expect
      .poll(() => page.locator('#edge-detail pre').textContent(), { timeout: WAIT_MS })
      .toContain('"frozen": true');
    // The node serves the evidence it kept: two signed headers of evil at one height...
    const remote = await new WeftClient(urls[1]!).remote(evil.id);
    expect(remote?.evidence).toHaveLength(1);
    const [{ first, second }] = remote!.evidence as [{ first: SignedHeader; second: SignedHeader }];
    expect(first.header.height).toBe(second.header.height);
    expect(toHex(first.header.domain)).toBe(toHex(evil.id));
    expect(toHex(headerHash(first.header))).not.toBe(toHex(headerHash(second.header)));
    // ...and it is valid evidence under evil's key set (the page trusts the node for this part).
    const keySet = evil.keySet;
    expect(verifyEquivocation({ domainId: evil.id, a: first, b: second }, keySet)).toBe(true);
    // The evidence panel shows both headers, and the page's own checks all hold.
    const panel = page.locator('#edge-detail [data-evidence="0"]');
    await panel.waitFor({ timeout: WAIT_MS });
    expect(await panel.getAttribute('data-verdict')).toBe('equivocation');
    const checks = await panel
      .locator('.evidence-checks li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-ok')));
    expect(checks.length).toBeGreaterThanOrEqual(4);
    expect(checks.every((ok) => ok === 'true')).toBe(true);
    const table = (await panel.locator('.evidence-headers').textContent()) ?? '';
    expect(table).toContain(toHex(headerHash(first.header)));
    expect(table).toContain(toHex(headerHash(second.header)));
    expect(await panel.locator('.evidence-trust').textContent()).toContain('Trusted to');
    await page.screenshot({ path: join(shots, 'dashboard-frozen.png'), fullPage: true });
    await page.close();
  });
});

describe('the dashboard resumes its event stream without losing its place', () => {
  let api: WeftApi | undefined;
  let proxy: ReturnType<typeof createServer> | undefined;
  afterAll(async () => {
    proxy?.close();
    await api?.close();
  });

  it('shows the blocks sealed while its stream was cut, from the replay, without re-reading', async () => {
    const t = await testNet(['resume-a', 'resume-b']);
    const [a] = t.domains as [(typeof t.domains)[number]];
    api = await createApi({ domain: a, router: t.net, driver: t.driver });
    const target = new URL(await api.listen());
    // The page talks to the node through a TCP relay the test can cut (the node keeps running).
    const sockets = new Set<Socket>();
    let cut = false;
    proxy = createServer((c) => {
      c.on('error', () => {});
      if (cut) return c.destroy();
      const u = connect(Number(target.port), target.hostname);
      u.on('error', () => {});
      for (const [x, y] of [
        [c, u],
        [u, c],
      ] as const) {
        sockets.add(x);
        x.pipe(y);
        x.on('close', () => {
          sockets.delete(x);
          y.destroy();
        });
      }
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const page = await openDashboard(`${url}/?nodes=${encodeURIComponent(url)}`);
    const id = toHex(a.id);
    type W = {
      weft: {
        model: {
          domains: Map<string, { blocks: { height: number }[] }>;
          nodes: Map<string, { status: string; reconnects: number; resets: number }>;
        };
      };
    };
    const heights = () =>
      page.evaluate(
        (d) => (globalThis as unknown as W).weft.model.domains.get(d)?.blocks.map((b) => b.height) ?? [],
        id,
      );
    const link = () => page.evaluate((u) => (globalThis as unknown as W).weft.model.nodes.get(u)!, url);

    await expect.poll(async () => (await link()).status, { timeout: WAIT_MS }).toBe('live');
    for (let i = 0; i < 3; i++) await t.round();
    await expect
      .poll(async () => (await heights()).at(-1), { timeout: WAIT_MS })
      .toBe(Number(a.committedHeight));
    const before = Number(a.committedHeight);

    // Cut: every connection through the relay drops, and new ones are refused.
    cut = true;
    for (const x of sockets) x.destroy();
    await expect.poll(async () => (await link()).status, { timeout: WAIT_MS }).toBe('down');
    for (let i = 0; i < 5; i++) await t.round();
    const after = Number(a.committedHeight);
    expect(after).toBeGreaterThanOrEqual(before + 5);
    expect((await heights()).at(-1)).toBe(before);

    // Back: the browser reconnects with Last-Event-ID and the node replays what the page missed.
    cut = false;
    await expect.poll(async () => (await heights()).at(-1), { timeout: WAIT_MS }).toBe(after);
    const seen = await heights();
    // Every height, the ones sealed while the stream was cut included, exactly once and in order:
    // the sparkline and blocks per second lost nothing.
    expect(seen).toEqual(seen.map((_, i) => seen[0]! + i));
    for (let h = before + 1; h <= after; h++) expect(seen).toContain(h);
    const state = await link();
    expect(state.reconnects).toBeGreaterThan(0);
    expect(state.resets).toBe(0);
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  });
});

describe('the dashboard changes state only with the API token, and reads without it', () => {
  let api: WeftApi | undefined;
  afterAll(async () => {
    await api?.close();
  });

  it('sends the token with a submission to its own node, and with nothing else', async () => {
    const { encodeTransaction, txId } = await import('../src/tx/index.js');
    const d = await makeDomain('token-a');
    const token = 'dashboard-test-token-0123456789';
    api = await createApi({ domain: d }, { token });
    const url = await api.listen();
    const page = await openDashboard(`${url}/`);
    const sent: { method: string; url: string; authorization: string | undefined }[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(url))
        sent.push({ method: r.method(), url: r.url(), authorization: r.headers().authorization });
    });
    await expect.poll(() => page.locator('#submit-domain option').count(), { timeout: WAIT_MS }).toBe(1);
    const wallet = new Wallet(d, 'token');
    const submit = async (tx: string) => {
      await page.locator('#submit-panel').evaluate((el) => {
        (el as unknown as { open: boolean }).open = true;
      });
      await page.fill('#submit-tx', tx);
      await page.locator('#submit-result').evaluate((el) => {
        el.textContent = '';
      });
      await page.click('#submit-form button');
      await expect
        .poll(() => page.locator('#submit-result').textContent(), { timeout: WAIT_MS })
        .not.toBe('');
      return (await page.locator('#submit-result').textContent()) ?? '';
    };

    // Without the token the node refuses the change.
    const first = wallet.mintTx(alice.publicKey, 3n).tx;
    expect(await submit(toHex(encodeTransaction(first)))).toContain('UNAUTHORIZED');
    expect(d.mempoolSize).toBe(0);

    // With it, typed into the page's token field, the same kind of change is taken.
    await page.fill('#token', token);
    await page.locator('#token').dispatchEvent('change');
    const tx = wallet.mintTx(alice.publicKey, 4n).tx;
    expect(await submit(toHex(encodeTransaction(tx)))).toContain(toHex(txId(tx)));

    const posts = sent.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.authorization)).toEqual([undefined, `Bearer ${token}`]);
    // Reads (and the event stream) never carry it.
    // (the page re-reads its node every POLL_MS)
    await expect
      .poll(() => sent.filter((r) => r.method === 'GET').length, { timeout: WAIT_MS })
      .toBeGreaterThan(0);
    const reads = sent.filter((r) => r.method === 'GET');
    expect(reads.filter((r) => r.authorization !== undefined)).toEqual([]);
    await page.close();
  });
});

describe('weft demo --serve', () => {
  it('keeps the demo network running with the dashboard until Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [join(root, 'bin', 'weft.mjs'), 'demo', '--serve', '--transfers', '12'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      let out = '';
      child.stdout.on('data', (b) => {
        out += b;
      });
      await expect.poll(() => /dashboard: (\S+)/.exec(out)?.[1], { timeout: WAIT_MS }).toBeDefined();
      const printed = new URL(/dashboard: (\S+)/.exec(out)![1]!);
      expect(out).toContain('12 confirmed, 0 failed');
      const page = await browser.context.newPage();
      await page.goto(printed.href);
      await expect.poll(() => page.locator('#graph [data-edge]').count(), { timeout: WAIT_MS }).toBe(6);
      // The served network goes on: new transfers (one a second) reach confirmed on the page.
      const confirmed = () =>
        page.evaluate(
          () =>
            (globalThis as unknown as { weft: { model: { counts: { confirmed: number } } } }).weft.model
              .counts.confirmed,
        );
      await expect.poll(confirmed, { timeout: WAIT_MS }).toBeGreaterThan(12);
      await page.screenshot({ path: join(shots, 'dashboard-demo.png'), fullPage: true });
      await page.close();
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
