// Whether a node's health answer comes from the process we think it does: by the instance id the
// node writes at start (DATA/node.pid) and serves in /health, or, from a node that does not
// serve it, by the process owning the listening socket of the API's port (Linux /proc).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readNodePidFile } from './runNode.js';

/** How long one /health request may take. */
export const HEALTH_TIMEOUT_MS = 2_000;

/** The PIDs (of this user, visible in /proc) holding a TCP socket that listens on `port`. */
export function listeningPids(port: number): number[] {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== '0A') continue;
      if (Number.parseInt(f[1]!.split(':')[1] ?? '', 16) === port) inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return [];
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${e}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${e}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1]!)) {
        out.push(Number(e));
        break;
      }
    }
  }
  return out;
}

export type HealthCheck =
  | { ok: true; instance: string | null }
  | { ok: false; why: string; answeredBy?: number[] };

/**
 * Asks `api`'s /health and checks the answer comes from process `pid` running on store `data`:
 * its `instance` must be the one `pid` wrote in DATA/node.pid; a node whose /health carries no
 * instance is checked by who listens on the port.
 */
export async function healthFrom(api: string, pid: number, data: string): Promise<HealthCheck> {
  let body: { instance?: unknown } | null = null;
  try {
    const r = await fetch(`${api}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    if (!r.ok) return { ok: false, why: `/health answered ${r.status}` };
    body = (await r.json()) as { instance?: unknown };
  } catch (e) {
    return { ok: false, why: `no answer on ${api}: ${(e as Error).message}` };
  }
  const port = Number(new URL(api).port);
  const holders = listeningPids(port);
  const record = readNodePidFile(data);
  if (typeof body?.instance === 'string') {
    if (record?.pid === pid && record.instance === body.instance)
      return { ok: true, instance: body.instance };
    return {
      ok: false,
      why: `${api} answers as instance ${body.instance}, not pid ${pid}'s (${record?.pid === pid ? record.instance : 'none recorded'})`,
      answeredBy: holders,
    };
  }
  if (holders.includes(pid)) return { ok: true, instance: record?.pid === pid ? record.instance : null };
  return {
    ok: false,
    why: `${api} answers, but from ${holders.length ? `pid ${holders.join(', ')}` : 'a process this user cannot see'}, not pid ${pid}`,
    answeredBy: holders,
  };
}
