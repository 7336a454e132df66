// The operator's commands against real processes (issue 14): `weft up` on a partly running
// network, `weft down` and `weft restart`, NATS credentials, and `weft transfer` from one wallet
// by several processes at once, with its exit codes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../src/api/client.js';
import { isPidAlive, processArgs } from '../src/cli/processes.js';
import { readUpState } from '../src/cli/up.js';
import { WeftError } from '../src/crypto/index.js';
import { NatsTransport } from '../src/net/index.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-ops-'));
const weftBin = join(import.meta.dirname, '..', 'bin', 'weft.mjs');
const others: ChildProcess[] = [];
afterAll(async () => {
  await weft(['down', '--dir', dir]).catch(() => undefined);
  for (const c of others) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

type Run = { code: number; out: string; err: string };
function weft(args: string[]): Promise<Run> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [weftBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', fail);
    child.on('exit', (code) => ok({ code: code ?? -1, out, err }));
  });
}

const state = () => readUpState(dir)!;
const pidOf = (name: string) =>
  name === 'nats' ? state().nats.pid : state().nodes.find((n) => n.name === name)!.pid;
async function kill9(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  while (isPidAlive(pid)) await new Promise((r) => setTimeout(r, 20));
}
const line = (r: Run, name: string) => r.out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';

describe('weft up, down and restart on a network of real processes', () => {
  it('starts a network whose NATS server refuses anonymous clients and whose credentials only the owner reads', async () => {
    const r = await weft(['up', '--domains', '3', '--dir', dir]);
    expect(r.code, r.err).toBe(0);
    for (const who of ['weft-admin', 'domain-a', 'domain-b', 'domain-c']) {
      expect(statSync(join(dir, 'credentials', `${who}.nats.json`)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(dir, 'credentials')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'nats', 'weft-nats-server.conf')).mode & 0o777).toBe(0o600);
    const e = await NatsTransport.connect({ servers: state().nats.url }).then(
      (n) => n.close().then(() => null),
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(WeftError);
    expect((e as WeftError).code).toBe('NATS_UNAVAILABLE');
    // Nodes are on their own credentials, never on the command line's password.
    const args = processArgs(pidOf('domain-a'))!;
    expect(args).toContain('--nats-creds');
    expect(args.join(' ')).not.toContain(
      JSON.parse(readFileSync(join(dir, 'credentials', 'domain-a.nats.json'), 'utf8')).password,
    );
  }, 120_000);

  it('runs every node with an API token only its owner reads, which the CLI sends and anonymous POSTs lack; node.log is JSON lines', async () => {
    const net = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as {
      domains: { name: string; api: string }[];
    };
    for (const d of net.domains) {
      const file = join(dir, d.name, 'api.token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    }
    const a = net.domains.find((d) => d.name === 'domain-a')!;
    const b = net.domains.find((d) => d.name === 'domain-b')!;
    const anon = await fetch(`${a.api}/v1/txs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anon.status).toBe(401);
    // The operator route answered 401 to everyone before nodes had a token; now the token gets
    // the request to the node, which refuses it for its own reason (the view is not frozen).
    const height = (await new WeftClient(b.api).root()).height;
    const r = await weft([
      'reinit',
      '--dir',
      dir,
      '--domain',
      'domain-a',
      '--remote',
      'domain-b',
      '--height',
      String(height),
      '--by',
      'test',
    ]);
    expect(r.err).not.toMatch(/UNAUTHORIZED|401/);
    expect(r.err).toMatch(/NOT_FROZEN/);
    expect(r.code).toBe(1);
    const st = await weft(['status', '--dir', dir]);
    expect(st.code, st.err).toBe(0);
    const lines = readFileSync(join(dir, 'domain-a', 'node.log'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    const msgs = lines.map((l) => JSON.parse(l) as { msg?: string; level?: number });
    expect(msgs.some((m) => /^weft node domain-a \(0x[0-9a-f]+\) at height/.test(m.msg ?? ''))).toBe(true);
  }, 60_000);

  it('lets concurrent transfers from one wallet take different coins and keep every wallet update', async () => {
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() =>
        weft(['transfer', '--from', 'domain-a', '--to', 'domain-b', '--json', '--dir', dir]),
      ),
    );
    for (const r of runs) expect(r.code, r.err).toBe(0);
    // A transfer that cannot start exits non-zero and says why.
    const refused = await weft(['transfer', '--from', 'domain-a', '--to', 'domain-a', '--dir', dir]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/must be different domains/);
    const started = runs.map((r) => JSON.parse(r.out) as Record<string, string>);
    expect(new Set(started.map((s) => s.id)).size).toBe(4);
    expect(new Set(started.map((s) => s.sourceNullifier)).size).toBe(4);
    for (const s of started)
      for (const k of ['sourceNullifier', 'movedCommitment', 'claimNullifier', 'landedCommitment'])
        expect(s[k]).toMatch(/^0x[0-9a-f]{64}$/);
    // Every update is in the wallet: 4 coins left domain-a for domain-b.
    const wallet = JSON.parse(readFileSync(join(dir, 'wallet.json'), 'utf8')) as {
      coins: { domain: string }[];
    };
    // Every plan now has a deadline (one hour by default), so each transfer also leaves on
    // domain-a the coin its refund would create: 4 untouched + 4 possible refunds.
    expect(wallet.coins.filter((c) => c.domain === 'domain-a')).toHaveLength(8 - 4 + 4);
    expect(wallet.coins.filter((c) => c.domain === 'domain-b')).toHaveLength(8 + 4);
    // The printed nullifier is what `weft proof` takes; the last one is written once its block is sealed.
    for (let i = 0; i < 100; i++) {
      const p = await weft([
        'proof',
        'nullifier',
        started[3]!.sourceNullifier!,
        '--domain',
        'domain-a',
        '--dir',
        dir,
      ]);
      if (JSON.parse(p.out).present) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const p = await weft([
      'proof',
      'nullifier',
      started[3]!.sourceNullifier!,
      '--domain',
      'domain-a',
      '--dir',
      dir,
    ]);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.out)).toMatchObject({
      present: true,
      proofVerifies: true,
      headerSignedByKeySet: true,
    });
  }, 120_000);

  it('exits 0 for a delivered transfer and 3 for a refunded one', async () => {
    const delivered = await weft([
      'transfer',
      '--from',
      'domain-c',
      '--to',
      'domain-a',
      '--wait',
      '--dir',
      dir,
    ]);
    expect(delivered.code, delivered.err).toBe(0);
    expect(delivered.err).toMatch(/confirmed/);
    const refunded = await weft([
      'transfer',
      '--from',
      'domain-c',
      '--to',
      'domain-a',
      '--deadline-ms',
      '1',
      '--wait',
      '--dir',
      dir,
    ]);
    expect(refunded.err).toMatch(/refunded/);
    expect(refunded.code, refunded.err).toBe(3);
  }, 180_000);

  it('starts only what is down, and says what was running', async () => {
    const [a, b, nats] = [pidOf('domain-a'), pidOf('domain-b'), pidOf('nats')];
    const natsUrl = state().nats.url;
    await kill9(b);
    await kill9(nats);
    const r = await weft(['up', '--dir', dir]);
    expect(r.code, r.err).toBe(0);
    expect(line(r, 'domain-a')).toMatch(/was running/);
    expect(line(r, 'domain-b')).toMatch(/started/);
    expect(line(r, 'NATS')).toMatch(/started/);
    expect(pidOf('domain-a')).toBe(a);
    expect(pidOf('domain-b')).not.toBe(b);
    expect(isPidAlive(pidOf('domain-b'))).toBe(true);
    // NATS comes back on its port: the nodes reconnect to the URL they were given.
    expect(state().nats.url).toBe(natsUrl);
    expect(pidOf('nats')).not.toBe(nats);
    // Up again on a running network: nothing to do, and no ALREADY_UP.
    const again = await weft(['up', '--dir', dir]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).not.toMatch(/started/);
  }, 180_000);

  it('restarts one node or NATS, and the network keeps moving transfers', async () => {
    const a = pidOf('domain-a');
    const r = await weft(['restart', 'domain-a', '--dir', dir]);
    expect(r.code, r.err).toBe(0);
    expect(isPidAlive(a)).toBe(false);
    expect(pidOf('domain-a')).not.toBe(a);
    const nats = pidOf('nats');
    const n = await weft(['restart', 'nats', '--dir', dir]);
    expect(n.code, n.err).toBe(0);
    expect(isPidAlive(nats)).toBe(false);
    expect(isPidAlive(pidOf('nats'))).toBe(true);
    const t = await weft(['transfer', '--from', 'domain-b', '--to', 'domain-a', '--wait', '--dir', dir]);
    expect(t.code, t.err).toBe(0);
  }, 180_000);

  it('down stops hand-restarted nodes, never signals a reused PID, and never says "stopped" for what was not running', async () => {
    // domain-c is killed and started again by hand, as an operator would (same arguments).
    const c = pidOf('domain-c');
    const argsC = processArgs(c)!;
    await kill9(c);
    const hand = spawn(argsC[0]!, argsC.slice(1), { detached: true, stdio: 'ignore' });
    others.push(hand);
    for (let i = 0; i < 200; i++) {
      const h = await fetch(`${state().nodes.find((x) => x.name === 'domain-c')!.api}/health`).catch(
        () => null,
      );
      if (h?.ok) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    // domain-a dies and its recorded PID now belongs to an unrelated process.
    await kill9(pidOf('domain-a'));
    const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
    others.push(sleeper);
    const s = state();
    s.nodes.find((x) => x.name === 'domain-a')!.pid = sleeper.pid!;
    writeFileSync(join(dir, 'up.json'), JSON.stringify(s));

    const r = await weft(['down', '--dir', dir]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(line(r, 'domain-a')).toMatch(/was not running/);
    expect(line(r, 'domain-a')).toMatch(new RegExp(`pid ${sleeper.pid} is another process`));
    expect(r.out).not.toMatch(/domain-a stopped/);
    expect(isPidAlive(sleeper.pid!)).toBe(true);
    expect(line(r, 'domain-c')).toMatch(new RegExp(`stopped \\(pid ${hand.pid}`));
    expect(isPidAlive(hand.pid!)).toBe(false);
    expect(line(r, 'domain-b')).toMatch(/stopped/);
    expect(line(r, 'NATS')).toMatch(/stopped/);
    // Nothing runs: a second down says so for each, and stops nothing.
    const again = await weft(['down', '--dir', dir]);
    expect(again.out).not.toMatch(/ stopped/);
    expect(again.out.match(/was not running/g)).toHaveLength(4);
  }, 180_000);

  it('does not call a node up when another process answers on its port', async () => {
    const api = readUpState(dir) ?? null;
    expect(api).toBeNull(); // down removed up.json
    const members = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as {
      domains: { name: string; api: string }[];
    };
    const port = Number(new URL(members.domains.find((d) => d.name === 'domain-a')!.api).port);
    const orphan = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, name: 'domain-a' }));
    });
    await new Promise<void>((ok) => orphan.listen(port, '127.0.0.1', ok));
    try {
      const r = await weft(['up', '--dir', dir]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/NODE_FAILED: domain-a \(pid \d+\) exited during start/);
      expect(r.err).toMatch(/EADDRINUSE|LISTEN_FAILED/);
    } finally {
      await new Promise((ok) => orphan.close(ok));
    }
    const r = await weft(['up', '--dir', dir]);
    expect(r.code, r.err).toBe(0);
    expect(line(r, 'domain-a')).toMatch(/started/);
    const d = await weft(['down', '--dir', dir]);
    expect(d.code).toBe(0);
  }, 180_000);
});

describe('the repository', () => {
  it('never commits a network directory (keys, credentials, wallet seed)', () => {
    for (const file of [
      '.weft/wallet.json',
      '.weft/domain-a/signer.key',
      '.weft/domain-a/api.token',
      '.weft/credentials/domain-a.nats.json',
    ]) {
      const r = spawnSync('git', ['check-ignore', '-q', file], {
        cwd: join(import.meta.dirname, '..'),
        encoding: 'utf8',
      });
      expect(r.status, `${file} is not ignored ${r.stderr}`).toBe(0);
    }
  });
});
