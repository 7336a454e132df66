// Makes sure Debian's `chromium` is installed before the browser tests run: installs it with
// apt-get when running as root (`apt-get update` first, once), otherwise says in one line how to
// install it. Used by `.ci/run` and as vitest's globalSetup, like ensure-nats-server.mjs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findOnPath } from './ensure-nats-server.mjs';

const BINARY = 'chromium';
const HINT = `chromium is not installed: run \`sudo apt-get update && sudo apt-get install chromium\` (Debian/Ubuntu), then try again`;

function apt(args) {
  // apt's output goes to stderr: the caller's stdout stays clean (vitest's reporter, CI logs).
  const r = spawnSync('apt-get', args, {
    stdio: ['ignore', 2, 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

/** Resolves to the path of `chromium`; installs it first when missing and running as root. */
export function ensureChromium() {
  const found = findOnPath(BINARY);
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) throw new Error(HINT);
  console.error(`${BINARY} not found on PATH: installing it with apt-get`);
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', BINARY]);
  const installed = findOnPath(BINARY);
  if (!installed) throw new Error(`apt-get did not install ${BINARY}; ${HINT}`);
  return installed;
}

/** vitest globalSetup: fails the run up front when the browser cannot be had. */
export default function setup() {
  ensureChromium();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(ensureChromium());
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
