// Makes sure Debian's `nats-server` is on PATH before the NATS tests run: installs it with apt-get
// when running as root, otherwise says in one line how to install it. Used by `.ci/run` and as
// vitest's globalSetup, so both go through the same check.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BINARY = 'nats-server';
const HINT = `nats-server is not installed: run \`sudo apt-get install nats-server\` (Debian/Ubuntu), then try again`;

/** Where Debian puts the binary, which a non-root user's PATH often lacks (as in src/net/natsServer.ts). */
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The absolute path of `nats-server` on PATH (then in the sbin directories), or null. */
export function findOnPath(name = BINARY) {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...SBIN_DIRS]) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return null;
}

function apt(args) {
  // stdout of apt goes to stderr: the caller's stdout stays clean (vitest's reporter, CI logs).
  const r = spawnSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

/**
 * Resolves to the path of `nats-server`; installs it first when missing and running as root.
 * Throws an Error whose message is the one-line hint when it cannot.
 */
export function ensureNatsServer() {
  const found = findOnPath();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) throw new Error(HINT);
  console.error(`${BINARY} not found on PATH: installing it with apt-get`);
  // A fresh machine may have no package lists yet: update only when the first try fails.
  if (!apt(['install', '-y', BINARY])) {
    apt(['update']);
    apt(['install', '-y', BINARY]);
  }
  const installed = findOnPath();
  if (!installed) throw new Error(`apt-get did not install ${BINARY}; ${HINT}`);
  return installed;
}

/** vitest globalSetup: fails the run up front when the server cannot be had. */
export default function setup() {
  ensureNatsServer();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    ensureNatsServer();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
