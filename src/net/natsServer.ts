// Runs a local nats-server (Debian's package) with JetStream on a loopback port: for `weft up` and
// for tests. The server keeps its streams under `storeDir`, so a restart on the same directory
// resumes every stream and durable consumer where it stopped (docs/nats.md).
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { check, WeftError } from '../crypto/index.js';
import { MESSAGE_BODY_BYTES_MAX } from './message.js';

/**
 * The server's `max_payload`: a 16 MiB message body plus its framing (kind, id) and headers,
 * with room to spare. nats-server allows up to 64 MiB as long as it is at most `max_pending`
 * (64 MiB by default), and logs a warning above 8 MiB; we accept the warning, since a root
 * update may legitimately be that large.
 */
export const NATS_SERVER_MAX_PAYLOAD_BYTES = MESSAGE_BODY_BYTES_MAX + 1024 * 1024;
/** nats-server's own ceiling for `max_payload` (and its default `max_pending`). */
export const NATS_SERVER_MAX_PAYLOAD_LIMIT_BYTES = 64 * 1024 * 1024;
/** How long `startNatsServer` waits for the server to accept connections with JetStream on. */
export const NATS_SERVER_START_TIMEOUT_MS = 15_000;
/** How long `stop` waits after SIGTERM before it sends SIGKILL. */
export const NATS_SERVER_STOP_TIMEOUT_MS = 10_000;
/** Pause between two readiness probes. */
const PROBE_EVERY_MS = 50;
/** Bytes of the server's output kept to explain a failed start. */
const OUTPUT_TAIL_BYTES = 4096;
/** Bytes read from a probe connection before giving up on the INFO line. */
const INFO_LINE_BYTES_MAX = 64 * 1024;
/** Where Debian puts the binary, which a non-root user's PATH often lacks. */
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/**
 * A user of the server: a password, and the subjects it may publish to and subscribe to (each
 * list an allow-list; absent means everything, as for an administrator).
 */
export type NatsServerUser = {
  user: string;
  password: string;
  publish?: string[];
  subscribe?: string[];
};

export type StartNatsServerOptions = {
  /** interface to listen on (default 127.0.0.1; keep it there unless `users` are given) */
  host?: string;
  /**
   * the only clients the server accepts (anonymous ones are refused); without it, anyone who
   * reaches the port may do anything, including delete the streams
   */
  users?: NatsServerUser[];
  /** TCP port (default: a free one; pass the previous port to restart in place) */
  port?: number;
  /** JetStream's storage directory (created if missing); the config file is written here too */
  storeDir: string;
  /** the server writes its log here; by default the last few KiB are kept in memory for errors */
  logFile?: string;
  /** the server's max_payload (default NATS_SERVER_MAX_PAYLOAD_BYTES) */
  maxPayloadBytes?: number;
  /** the executable (default: `findNatsServer()`) */
  binary?: string;
  /**
   * run in its own process group, outliving the caller (`weft up`); needs `logFile`, since no
   * one reads its output once the caller is gone
   */
  detached?: boolean;
};

export type NatsServer = {
  /** `nats://host:port`, for `NatsTransport.connect({ servers: url })` */
  url: string;
  host: string;
  port: number;
  pid: number;
  storeDir: string;
  /** SIGTERM, then waits until the process has exited (SIGKILL after NATS_SERVER_STOP_TIMEOUT_MS) */
  stop(): Promise<void>;
};

/** The path of `nats-server` on PATH (then in the sbin directories), or null when it is not installed. */
export function findNatsServer(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SBIN_DIRS];
  for (const dir of dirs) {
    if (dir === '') continue;
    const file = join(dir, 'nats-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** A TCP port nothing listens on right now (the OS picks it), on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', fail);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/**
 * Starts nats-server with JetStream storage under `storeDir` and resolves once it accepts
 * connections with JetStream enabled.
 *
 * @example
 * const server = await startNatsServer({ storeDir: '/var/lib/weft/nats' });
 * const nats = await NatsTransport.connect({ servers: server.url });
 * // ...
 * await nats.close();
 * await server.stop();
 */
export async function startNatsServer(opts: StartNatsServerOptions): Promise<NatsServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxPayload = opts.maxPayloadBytes ?? NATS_SERVER_MAX_PAYLOAD_BYTES;
  check(typeof opts.storeDir === 'string' && opts.storeDir.length > 0, 'BAD_INPUT', 'storeDir is required');
  for (const [name, value] of [
    ['storeDir', opts.storeDir],
    ['logFile', opts.logFile ?? ''],
    ['host', host],
  ] as const) {
    // The values go into the config file between double quotes.
    check(!/["\\\r\n]/.test(value), 'BAD_INPUT', `${name} must not contain quotes, backslashes or newlines`);
  }
  check(
    Number.isInteger(maxPayload) && maxPayload >= 1024 && maxPayload <= NATS_SERVER_MAX_PAYLOAD_LIMIT_BYTES,
    'BAD_INPUT',
    `maxPayloadBytes must be an integer 1024..${NATS_SERVER_MAX_PAYLOAD_LIMIT_BYTES}`,
  );
  const binary = opts.binary ?? findNatsServer();
  if (!binary) {
    throw new WeftError('NATS_SERVER_MISSING', 'nats-server is not installed', {
      details:
        'Install it with `sudo apt-get install nats-server` (or `node scripts/ensure-nats-server.mjs`).',
    });
  }
  const port = opts.port ?? (await freePort(host));
  check(Number.isInteger(port) && port > 0 && port < 65536, 'BAD_INPUT', 'port must be 1..65535');
  const storeDir = resolve(opts.storeDir);
  mkdirSync(storeDir, { recursive: true });
  const configFile = natsServerConfigFile(storeDir);
  for (const u of opts.users ?? []) {
    for (const v of [u.user, u.password, ...(u.publish ?? []), ...(u.subscribe ?? [])])
      check(
        typeof v === 'string' && v.length > 0 && !/["\\\s]/.test(v),
        'BAD_INPUT',
        'user names, passwords and subjects must be non-empty, without quotes, backslashes or spaces',
      );
  }
  // The file holds the users' passwords: its owner only may read it.
  writeFileSync(
    configFile,
    serverConfig({ host, port, storeDir, maxPayload, logFile: opts.logFile, users: opts.users }),
    { mode: 0o600 },
  );
  chmodSync(configFile, 0o600);

  check(!opts.detached || opts.logFile !== undefined, 'BAD_INPUT', 'a detached server needs a logFile');
  const child = spawn(binary, ['-c', configFile], {
    stdio: ['ignore', opts.detached ? 'ignore' : 'pipe', opts.detached ? 'ignore' : 'pipe'],
    detached: opts.detached === true,
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok();
    else child.once('exit', () => ok());
  });
  child.once('error', (e) => keep(Buffer.from(String(e))));

  try {
    await waitReady(child, host, port, () => tail);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  // The running server must not keep the caller's process alive, nor its output buffered.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();

  let stopping: Promise<void> | null = null;
  return {
    url: `nats://${host}:${port}`,
    host,
    port,
    pid: child.pid!,
    storeDir,
    stop: () => {
      stopping ??= stopChild(child, exited);
      return stopping;
    },
  };
}

/** Where `startNatsServer` writes the server's configuration (its command line names it). */
export function natsServerConfigFile(storeDir: string): string {
  return join(resolve(storeDir), 'weft-nats-server.conf');
}

/**
 * What one node of a Weft network needs on a server with users, and nothing more: publish to any
 * domain's inbox as itself (`<prefix>.<to>.<self>.<kind>`), read its own durable consumer (create,
 * look up, pull, ack), look up the stream, and receive replies on its own inbox prefix. It may
 * not create, change, purge or delete the stream, nor touch another domain's consumer.
 */
export function natsNodePermissions(p: {
  domainHex: string;
  stream: string;
  subjectPrefix: string;
  inboxPrefix: string;
}): { publish: string[]; subscribe: string[] } {
  const consumer = `weft-${p.domainHex}`;
  const api = '$JS.API';
  return {
    publish: [
      `${p.subjectPrefix}.*.${p.domainHex}.*`,
      `${api}.INFO`,
      `${api}.STREAM.INFO.${p.stream}`,
      `${api}.CONSUMER.CREATE.${p.stream}.${consumer}`,
      `${api}.CONSUMER.CREATE.${p.stream}.${consumer}.>`,
      `${api}.CONSUMER.DURABLE.CREATE.${p.stream}.${consumer}`,
      `${api}.CONSUMER.INFO.${p.stream}.${consumer}`,
      `${api}.CONSUMER.MSG.NEXT.${p.stream}.${consumer}`,
      `$JS.ACK.${p.stream}.${consumer}.>`,
    ],
    subscribe: [`${p.inboxPrefix}.>`],
  };
}

function usersConfig(users: NatsServerUser[]): string[] {
  const list = (xs: string[]) => `[${xs.map((x) => `"${x}"`).join(', ')}]`;
  const lines = ['authorization {', '  users = ['];
  for (const u of users) {
    const perms: string[] = [];
    if (u.publish) perms.push(`publish: { allow: ${list(u.publish)} }`);
    if (u.subscribe) perms.push(`subscribe: { allow: ${list(u.subscribe)} }`);
    lines.push(
      `    { user: "${u.user}", password: "${u.password}"${perms.length ? `, permissions: { ${perms.join(', ')} }` : ''} }`,
    );
  }
  lines.push('  ]', '}');
  return lines;
}

function serverConfig(c: {
  host: string;
  port: number;
  storeDir: string;
  maxPayload: number;
  logFile: string | undefined;
  users: NatsServerUser[] | undefined;
}): string {
  return [
    '# Written by weft (src/net/natsServer.ts); rewritten on every start.',
    `host: "${c.host}"`,
    `port: ${c.port}`,
    `max_payload: ${c.maxPayload}`,
    `max_pending: ${Math.max(c.maxPayload, NATS_SERVER_MAX_PAYLOAD_LIMIT_BYTES)}`,
    ...(c.logFile ? [`log_file: "${c.logFile}"`] : []),
    ...(c.users && c.users.length > 0 ? usersConfig(c.users) : []),
    'jetstream {',
    `  store_dir: "${c.storeDir}"`,
    '}',
    '',
  ].join('\n');
}

async function waitReady(child: ChildProcess, host: string, port: number, tail: () => string): Promise<void> {
  const deadline = Date.now() + NATS_SERVER_START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new WeftError(
        'NATS_SERVER_FAILED',
        `nats-server exited (${child.exitCode ?? child.signalCode})`,
        {
          details: tail().trim() || undefined,
        },
      );
    }
    const info = await probeInfo(host, port).catch(() => null);
    if (info && info.jetstream === true) return;
    if (Date.now() > deadline) {
      throw new WeftError(
        'NATS_SERVER_FAILED',
        `nats-server did not accept connections with JetStream on ${host}:${port} within ${NATS_SERVER_START_TIMEOUT_MS} ms`,
        { details: tail().trim() || undefined },
      );
    }
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
}

/** Connects, reads the server's `INFO {...}` line and hangs up: proof that a NATS server answers. */
function probeInfo(host: string, port: number): Promise<{ jetstream?: boolean; server_id?: string }> {
  return new Promise((ok, fail) => {
    const sock = createConnection({ host, port });
    let buf = '';
    const done = (f: () => void) => {
      sock.destroy();
      f();
    };
    sock.setTimeout(1000, () => done(() => fail(new Error('timeout'))));
    sock.on('error', (e) => done(() => fail(e)));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\r\n');
      if (nl < 0) {
        if (buf.length > INFO_LINE_BYTES_MAX) done(() => fail(new Error('no INFO line')));
        return;
      }
      const line = buf.slice(0, nl);
      done(() => {
        if (!line.startsWith('INFO ')) return fail(new Error('not a NATS server'));
        try {
          ok(JSON.parse(line.slice(5)));
        } catch (e) {
          fail(e as Error);
        }
      });
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), NATS_SERVER_STOP_TIMEOUT_MS);
  });
  const r = await Promise.race([exited.then(() => 'exited' as const), late]);
  clearTimeout(timer);
  if (r === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}
