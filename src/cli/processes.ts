// Which process a PID really is: a PID in a state file may have exited and been reused by
// something else, so `weft up`/`weft down` read /proc/PID/cmdline before they trust or signal it.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';

/** Whether `pid` is a live process (a zombie, exited and not yet reaped, is not). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) S ..."; comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No /proc (not Linux): kill(0) is all we know.
    return process.platform !== 'linux';
  }
}

/** The argument vector of `pid`, or null when it is not running or cannot be read. */
export function processArgs(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw.length === 0) return null;
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

/** The value after `flag` in `args`, if any. */
function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Whether `args` is `weft node … --data DATA` for this data directory. */
export function isNodeArgs(args: string[], data: string): boolean {
  const script = args.findIndex((a) => /^weft(\.mjs)?$/.test(basename(a)));
  if (script < 0 || args[script + 1] !== 'node') return false;
  const d = flagValue(args, '--data');
  return d !== undefined && resolve(d) === resolve(data);
}

/** Whether `args` is `nats-server -c CONFIG` for this config file. */
export function isNatsArgs(args: string[], configFile: string): boolean {
  if (args.length === 0 || basename(args[0]!) !== 'nats-server') return false;
  const c = flagValue(args, '-c') ?? flagValue(args, '--config');
  return c !== undefined && resolve(c) === resolve(configFile);
}

/** Whether `pid` is alive and its command line passes `is`. */
export function pidIs(pid: number, is: (args: string[]) => boolean): boolean {
  if (!isPidAlive(pid)) return false;
  const args = processArgs(pid);
  return args !== null && is(args);
}

/** Every live process (this user's, readable in /proc) whose command line passes `is`. */
export function findPids(is: (args: string[]) => boolean): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const args = processArgs(pid);
    if (args && is(args) && isPidAlive(pid)) out.push(pid);
  }
  return out;
}
