// A local development chain: ganache (the npm dev dependency, pinned) as a child process on a
// loopback port, for tests, benchmarks and `weft up`-style local runs. Not for production.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { WeftError } from '../crypto/index.js';

/** How long ganache may take to answer its first JSON-RPC request. */
export const DEV_CHAIN_START_TIMEOUT_MS = 30_000;
/** The dev chain's id (ganache's conventional local id). */
export const DEV_CHAIN_ID = 1337;
/**
 * The first accounts of ganache's `--wallet.deterministic` wallet (its published test mnemonic);
 * each is funded at start. A well-known key: never use it anywhere but a local dev chain.
 */
export const DEV_CHAIN_KEYS = [
  '0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d',
  '0x6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1',
  '0x6370fd033278c143179d81c5526140625662b8daa446c22ee2d73db3707e620c',
] as const;

export type DevChain = { rpcUrl: string; port: number; stop(): Promise<void> };

export type DevChainOptions = {
  port?: number;
  /** block gas limit (default 30,000,000, as on mainnet) */
  blockGasLimit?: number;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function answers(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts ganache on 127.0.0.1 (a free port unless one is given) with chain id 1337, the
 * shanghai hardfork and the deterministic wallet, and waits until it answers.
 *
 * @example
 * const chain = await startDevChain();
 * const evm = await connectEvm(chain.rpcUrl, DEV_CHAIN_KEYS[0]);
 * await chain.stop();
 */
export async function startDevChain(opts: DevChainOptions = {}): Promise<DevChain> {
  let cli: string;
  try {
    cli = createRequire(import.meta.url).resolve('ganache/dist/node/cli.js');
  } catch {
    throw new WeftError('UNAVAILABLE', 'ganache is not installed: it is a dev dependency (npm ci)');
  }
  const port = opts.port ?? (await freePort());
  const args = [
    cli,
    '--server.host',
    '127.0.0.1',
    '--server.port',
    String(port),
    '--chain.chainId',
    String(DEV_CHAIN_ID),
    '--hardfork',
    'shanghai',
    '--wallet.deterministic',
    '--miner.blockGasLimit',
    String(opts.blockGasLimit ?? 30_000_000),
    '--logging.quiet',
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4_000);
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + DEV_CHAIN_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await answers(rpcUrl)) return { rpcUrl, port, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new WeftError(
    'UNAVAILABLE',
    `ganache did not start on port ${port}: ${stderr.trim() || 'no output'}`,
  );
}
