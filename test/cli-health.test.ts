// Whether a health answer comes from the process `weft up` thinks it does (issue 14.4): by the
// instance id in DATA/node.pid, or by who owns the listening socket.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { healthFrom, listeningPids } from '../src/cli/health.js';
import { findPids, isNodeArgs, isPidAlive, pidIs, processArgs } from '../src/cli/processes.js';

const data = mkdtempSync(join(tmpdir(), 'weft-health-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));
let server: Server | null = null;
afterEach(async () => {
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  server = null;
});

async function serve(body: object): Promise<string> {
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  const addr = server.address() as { port: number };
  return `http://127.0.0.1:${addr.port}`;
}

const writePid = (pid: number, instance: string, api: string) =>
  writeFileSync(join(data, 'node.pid'), JSON.stringify({ pid, instance, api, startedAt: '' }));

describe('a health answer and the process it comes from', () => {
  it('trusts an answer whose instance id is the one the process wrote', async () => {
    const api = await serve({ ok: true, instance: 'aa11' });
    writePid(process.pid, 'aa11', api);
    expect(await healthFrom(api, process.pid, data)).toEqual({ ok: true, instance: 'aa11' });
  });

  it('refuses an answer from another instance, even on the right port', async () => {
    const api = await serve({ ok: true, instance: 'bb22' });
    writePid(process.pid, 'aa11', api);
    const h = await healthFrom(api, process.pid, data);
    expect(h.ok).toBe(false);
    expect(h.ok ? '' : h.why).toMatch(/instance bb22/);
  });

  it('without an instance id, trusts the answer only from the process owning the listening socket', async () => {
    const api = await serve({ ok: true });
    const port = Number(new URL(api).port);
    expect(listeningPids(port)).toContain(process.pid);
    writePid(process.pid, 'aa11', api);
    expect((await healthFrom(api, process.pid, data)).ok).toBe(true);
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const h = await healthFrom(api, other.pid!, data);
      expect(h.ok).toBe(false);
      expect(h.ok ? [] : h.answeredBy).toContain(process.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('says nothing answers when nothing does', async () => {
    const h = await healthFrom('http://127.0.0.1:1', process.pid, data);
    expect(h.ok).toBe(false);
  });
});

describe('what a PID is', () => {
  it('reads the command line and tells a weft node of one store from anything else', async () => {
    const args = processArgs(process.pid)!;
    expect(args[0]).toMatch(/node/);
    expect(isNodeArgs(['/usr/bin/node', '/x/bin/weft.mjs', 'node', '--data', data], data)).toBe(true);
    expect(isNodeArgs(['/usr/bin/node', '/x/bin/weft.mjs', 'node', '--data', `${data}-other`], data)).toBe(
      false,
    );
    expect(isNodeArgs(['/usr/bin/node', '/x/bin/weft.mjs', 'status', '--data', data], data)).toBe(false);
    expect(isNodeArgs(['/usr/bin/node', 'node', '--data', data], data)).toBe(false);
    expect(pidIs(process.pid, (a) => isNodeArgs(a, data))).toBe(false);
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      expect(pidIs(child.pid!, (a) => a[0] === 'sleep')).toBe(true);
      expect(findPids((a) => a[0] === 'sleep' && a[1] === '30')).toContain(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(isPidAlive(child.pid!)).toBe(false);
  });
});
