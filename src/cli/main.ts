// The `weft` command line. Each subcommand arrives with the issue that builds its layer.
import { fromHex, WeftError } from '../crypto/index.js';
import { inspectStore, type StoreSummary, verifyStore } from '../store/index.js';
import { VERIFICATION_MODE_DEFAULT } from '../sync/index.js';
import { DEMO_USAGE, type DemoSummary, formatSummary as formatDemo, parseDemoArgs, runDemo } from './demo.js';
import { serveDemo } from './demoServe.js';
import { startWalletTransfer } from './devWallet.js';
import {
  fetchProof,
  findTransfer,
  formatStatus,
  networkStatus,
  openNetworkDir,
  PROOF_USAGE,
  REINIT_USAGE,
  reinitFromNetwork,
  STATUS_USAGE,
  TRANSFER_EXIT,
  TRANSFER_USAGE,
  transferExitCode,
  waitTransfer,
} from './networkClient.js';
import { FOLLOW_POLICIES, NODE_USAGE, resolveNodeConfig } from './nodeConfig.js';
import { runNode } from './runNode.js';
import { followCommand, proverCommand } from './scope.js';
import { DOWN_USAGE, down, RESTART_USAGE, restartNats, restartNode, UP_USAGE, upReport } from './up.js';

const USAGE = `usage: weft <command> [options]

commands:
  demo                      run a demo network: durable domains in one process moving tokens
                            around a ring with verified root updates; prints a summary
  node                      run one durable domain as its own process (HTTP API, NATS)
  up                        start a local network of node processes and a NATS server (or
                            what of it is not running)
  down                      stop it
  restart NAME|nats         restart one node, or the NATS server, of a local network
  status                    heights, roots, peers and transfers of every node of the network
  transfer                  move a coin of the dev wallet between domains; transfer status ID
  proof                     fetch and verify a commitment or nullifier proof from a node
  reinit                    operator recovery: replace a node's frozen view of a peer
  prover                    re-execute a node's blocks and print signed attestations of their roots
  follow                    keep one program's objects of a domain, executing only its scopes
  store verify <dir>        check a node store offline: transcript hash chain, a full replay
                            of every input, every block (header and body), every tree version,
                            the checkpoint, statuses, values and transfer records; exits 1 on
                            any fault
  store inspect <dir>       summarise a node store: domain, heights, roots, sizes
  evm deploy|relay|transfer|refund
                            Weft on an EVM chain: deploy the light client and the vault, relay
                            headers, move dev-wallet coins to the vault, refund expired moves
                            (weft evm --help; docs/evm.md)
  sim --seed S              deterministic simulation of a whole network from one seed, with
                            faults and invariants checked after every step; --shrink narrows a
                            failure (weft sim --help)
  help                      show this text

options:
  --json                    print machine-readable JSON (store verify, store inspect)

Run \`weft <command> --help\` for a command's options.`;

const STORE_USAGE = `usage: weft store verify <dir> [--json]
       weft store inspect <dir> [--json]

verify   replays the node's transcript from its genesis state and recomputes everything the
         replay fixes: every block body (and its transactions against the header's transaction
         root), header and signature, tree version and stale-page list, the checkpoint's whole
         content, every status and content-addressed value; checks every transfer record
         (signatures, proofs, plan, phase history); prints each fault with where it is (docs/
         storage.md). Exit code 0 when the store is sound, 1 when any fault is found, 2 on bad
         usage.
inspect  prints the domain, committed and proven heights, head hash, state root, transcript and
         checkpoint positions, and the size of each database.`;

type Out = { log(s: string): void; error(s: string): void };

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], out: Out = console): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    out.log(USAGE);
    return 0;
  }
  if (command === 'demo') return demo(rest, out);
  if (command === 'node') return node(rest, out);
  if (command === 'up') return upCommand(rest, out);
  if (command === 'down') return downCommand(rest, out);
  if (command === 'restart') return restartCommand(rest, out);
  if (command === 'status') return statusCommand(rest, out);
  if (command === 'transfer') return transferCommand(rest, out);
  if (command === 'proof') return proofCommand(rest, out);
  if (command === 'reinit') return reinitCommand(rest, out);
  if (command === 'store') return store(rest, out);
  if (command === 'evm') return (await import('./evm.js')).evmCommand(rest, out);
  if (command === 'prover') return proverCommand(rest, out);
  if (command === 'follow') return followCommand(rest, out);
  if (command === 'sim') return (await import('./sim.js')).simCommand(rest, out);
  out.error(`weft: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}

async function demo(args: string[], out: Out): Promise<number> {
  const parsed = parseDemoArgs(args);
  if (parsed === 'help') {
    out.log(DEMO_USAGE);
    return 0;
  }
  if ('error' in parsed) {
    out.error(`weft demo: ${parsed.error}\n\n${DEMO_USAGE}`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  let last = 0;
  const progress = (line: string, final = false) => {
    const now = Date.now();
    if (tty) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    else if (final || now - last > 1000) {
      process.stderr.write(`${line}\n`);
      last = now;
    }
  };
  try {
    const print = (summary: DemoSummary) =>
      out.log(parsed.json ? JSON.stringify(summary) : formatDemo(summary));
    const serve = parsed.serve;
    const summary = await runDemo(
      parsed,
      progress,
      serve &&
        (async (s, live) => {
          print(s);
          const server = await serveDemo(live, { host: '127.0.0.1', port: serve.port });
          out.error(`APIs: ${server.urls.join(' ')}`);
          out.error('serving until Ctrl-C');
          out.log(`dashboard: ${server.dashboard}`);
          await new Promise((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          await server.stop();
        }),
    );
    if (!serve) print(summary);
    return summary.supplyConserved && summary.transfersFailed === 0 ? 0 : 1;
  } catch (e) {
    out.error(`weft demo: ${e instanceof WeftError ? `${e.code}: ${e.message}` : (e as Error).message}`);
    return 1;
  }
}

async function store(args: string[], out: Out): Promise<number> {
  const json = args.includes('--json');
  const positional = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--json' && a !== '--help');
  if (args.includes('--help')) {
    out.log(STORE_USAGE);
    return 0;
  }
  const [sub, dir, ...extra] = positional;
  if (
    (sub !== 'verify' && sub !== 'inspect') ||
    dir === undefined ||
    extra.length > 0 ||
    unknown.length > 0
  ) {
    out.error(
      `weft store: ${unknown.length ? `unknown option ${unknown[0]}` : 'expected verify or inspect and one directory'}\n\n${STORE_USAGE}`,
    );
    return 2;
  }
  try {
    if (sub === 'inspect') {
      const summary = await inspectStore(dir);
      out.log(json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
      return 0;
    }
    const report = await verifyStore(dir);
    if (json) out.log(JSON.stringify(report, null, 2));
    else {
      if (report.summary) out.log(formatSummary(report.summary));
      for (const w of report.warnings) out.log(`warning  ${w.check.padEnd(10)} ${w.where}: ${w.message}`);
      for (const f of report.faults) out.log(`FAULT    ${f.check.padEnd(10)} ${f.where}: ${f.message}`);
      out.log(report.ok ? '\nstore verified: no faults' : `\nstore has ${report.faults.length} fault(s)`);
    }
    return report.ok ? 0 : 1;
  } catch (e) {
    out.error(
      `weft store ${sub}: ${e instanceof WeftError ? `${e.code}: ${e.message}` : (e as Error).message}`,
    );
    return 1;
  }
}

function formatSummary(s: StoreSummary): string {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
  const lines = [
    `store       ${s.dir}`,
    `domain      ${s.domain} (${s.domainId})`,
    `heights     committed ${s.committedHeight}, proven ${s.provenHeight}`,
    `head        ${s.headHash}`,
    `state root  ${s.stateRoot}`,
    `checkpoint  height ${s.checkpoint.height}, transcript entry ${s.checkpoint.transcriptSeq}`,
    `transcript  ${s.transcript.entries} entries, last ${s.transcript.lastSeq}`,
    `tree        versions ${s.tree.firstVersion}..${s.tree.lastVersion}`,
    `mempool     ${s.mempool} pending`,
    `file        ${mb(s.fileBytes)}`,
    ...Object.entries(s.databases).map(
      ([k, v]) => `  ${k.padEnd(12)} ${String(v.entries).padStart(8)} entries  ${mb(v.bytes)}`,
    ),
  ];
  return lines.join('\n');
}

/** Flags of the network commands: `--name value` pairs, booleans, and positionals. */
function parseFlags(
  args: string[],
  spec: { values: string[]; booleans: string[] },
): { values: Map<string, string>; booleans: Set<string>; positional: string[] } | { error: string } {
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (spec.booleans.includes(a)) booleans.add(a);
    else if (spec.values.includes(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) return { error: `${a} needs a value` };
      values.set(a, v);
    } else if (a.startsWith('--')) return { error: `unknown option '${a}'` };
    else positional.push(a);
  }
  return { values, booleans, positional };
}

const message = (e: unknown) => (e instanceof WeftError ? `${e.code}: ${e.message}` : (e as Error).message);
const stringify = (v: unknown) =>
  JSON.stringify(v, (_k, x) =>
    typeof x === 'bigint'
      ? x.toString()
      : x instanceof Uint8Array
        ? `0x${Buffer.from(x).toString('hex')}`
        : x,
  );

async function node(args: string[], out: Out): Promise<number> {
  let cfg: ReturnType<typeof resolveNodeConfig>;
  try {
    cfg = resolveNodeConfig(args);
  } catch (e) {
    out.error(`weft node: ${(e as Error).message}\n\n${NODE_USAGE}`);
    return 2;
  }
  if (cfg === 'help') {
    out.log(NODE_USAGE);
    return 0;
  }
  let running: Awaited<ReturnType<typeof runNode>>;
  try {
    running = await runNode(cfg);
  } catch (e) {
    out.error(`weft node: ${message(e)}`);
    return e instanceof WeftError && e.code === 'BAD_CONFIG' ? 2 : 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  running.logger.info('stopping');
  await running.close();
  return 0;
}

async function upCommand(args: string[], out: Out): Promise<number> {
  const f = parseFlags(args, {
    values: ['--domains', '--dir', '--mode', '--follow'],
    booleans: ['--help', '-h'],
  });
  if ('error' in f || f.positional.length > 0) {
    out.error(`weft up: ${'error' in f ? f.error : `unexpected '${f.positional[0]}'`}\n\n${UP_USAGE}`);
    return 2;
  }
  if (f.booleans.size > 0) {
    out.log(UP_USAGE);
    return 0;
  }
  const n = Number(f.values.get('--domains') ?? '3');
  const mode = f.values.get('--mode') ?? VERIFICATION_MODE_DEFAULT;
  if (!Number.isInteger(n) || n < 2 || n > 16) {
    out.error('weft up: --domains must be a whole number from 2 to 16');
    return 2;
  }
  if (!['signatures', 'transition', 'full'].includes(mode)) {
    out.error('weft up: --mode must be signatures, transition or full');
    return 2;
  }
  const follow = f.values.get('--follow');
  if (follow !== undefined && !(FOLLOW_POLICIES as readonly string[]).includes(follow)) {
    out.error(`weft up: --follow must be ${FOLLOW_POLICIES.join(' or ')}`);
    return 2;
  }
  const dir = f.values.get('--dir') ?? '.weft';
  try {
    const { state, started } = await upReport(
      { domains: n, dir, mode, ...(follow ? { follow } : {}) },
      (line) => out.error(line),
    );
    const how = (name: string) => (started.includes(name) ? 'started' : 'was running');
    out.log(state.nodes.map((x) => `${x.name.padEnd(10)} ${x.api}  pid ${x.pid}  ${how(x.name)}`).join('\n'));
    out.log(
      `NATS       ${state.nats.url}  pid ${state.nats.pid}  ${how('nats')}\nstop with: weft down --dir ${dir}`,
    );
    return 0;
  } catch (e) {
    out.error(`weft up: ${message(e)}`);
    return 1;
  }
}

async function downCommand(args: string[], out: Out): Promise<number> {
  const f = parseFlags(args, { values: ['--dir'], booleans: ['--purge', '--help', '-h'] });
  if ('error' in f || f.positional.length > 0) {
    out.error(`weft down: ${'error' in f ? f.error : `unexpected '${f.positional[0]}'`}\n\n${DOWN_USAGE}`);
    return 2;
  }
  if (f.booleans.has('--help') || f.booleans.has('-h')) {
    out.log(DOWN_USAGE);
    return 0;
  }
  try {
    const failed = await down(
      { dir: f.values.get('--dir') ?? '.weft', purge: f.booleans.has('--purge') },
      (l) => out.log(l),
    );
    if (failed.length > 0) out.error(`weft down: could not stop ${failed.join(', ')}`);
    return failed.length === 0 ? 0 : 1;
  } catch (e) {
    out.error(`weft down: ${message(e)}`);
    return 1;
  }
}

async function restartCommand(args: string[], out: Out): Promise<number> {
  const f = parseFlags(args, { values: ['--dir'], booleans: ['--help', '-h'] });
  if (!('error' in f) && f.booleans.size > 0) {
    out.log(RESTART_USAGE);
    return 0;
  }
  if ('error' in f || f.positional.length !== 1) {
    const why = 'error' in f ? f.error : 'give one node name, or nats';
    out.error(`weft restart: ${why}\n\n${RESTART_USAGE}`);
    return 2;
  }
  const dir = f.values.get('--dir') ?? '.weft';
  const which = f.positional[0]!;
  try {
    if (which === 'nats') {
      await restartNats(dir);
      out.log('NATS restarted');
    } else {
      const n = await restartNode(dir, which);
      out.log(`${n.name} restarted on ${n.api} (pid ${n.pid})`);
    }
    return 0;
  } catch (e) {
    out.error(`weft restart: ${message(e)}`);
    return 1;
  }
}

async function statusCommand(args: string[], out: Out): Promise<number> {
  const f = parseFlags(args, { values: ['--dir'], booleans: ['--json', '--help', '-h'] });
  if ('error' in f || f.positional.length > 0) {
    out.error(
      `weft status: ${'error' in f ? f.error : `unexpected '${f.positional[0]}'`}\n\n${STATUS_USAGE}`,
    );
    return 2;
  }
  if (f.booleans.has('--help') || f.booleans.has('-h')) {
    out.log(STATUS_USAGE);
    return 0;
  }
  try {
    const rows = await networkStatus(openNetworkDir(f.values.get('--dir') ?? '.weft'));
    out.log(f.booleans.has('--json') ? stringify(rows) : formatStatus(rows));
    return rows.every((r) => r.up) ? 0 : 1;
  } catch (e) {
    out.error(`weft status: ${message(e)}`);
    return 1;
  }
}

/** `weft transfer --to evm` / `--from evm` (TRANSFER_USAGE): loads viem only when asked. */
async function evmTransfer(
  values: Map<string, string>,
  booleans: Set<string>,
  json: boolean,
  dir: string,
  out: Out,
  usage: (e: string) => number,
): Promise<number> {
  const from = values.get('--from')!;
  const to = values.get('--to')!;
  if (from === to) return usage('--from and --to must differ');
  const rpc = values.get('--rpc');
  const key = values.get('--key') ?? process.env.WEFT_EVM_KEY;
  const vault = values.get('--vault');
  if (!rpc || !key || !vault)
    return usage('a transfer to or from evm needs --rpc, --key (or WEFT_EVM_KEY) and --vault');
  const deadlineMs = values.get('--deadline-ms');
  if (deadlineMs !== undefined && to !== 'evm')
    return usage('--deadline-ms is for transfers between Weft domains and to evm');
  if (deadlineMs !== undefined && !/^\d{1,12}$/.test(deadlineMs))
    return usage('--deadline-ms must be a whole number of milliseconds');
  const noClaim = booleans.has('--no-claim');
  if (noClaim && deadlineMs === undefined)
    return usage('--no-claim needs --deadline-ms (else the coin could never come back)');
  const amount = values.get('--amount');
  if (amount !== undefined && (to === 'evm' || !/^[1-9][0-9]{0,37}$/.test(amount)))
    return usage(
      to === 'evm'
        ? '--amount is for --from evm (a coin moves whole)'
        : '--amount must be a whole number above 0',
    );
  const { transferFromVault, transferToVault } = await import('./evm.js');
  const common = { rpc, key, vault, dir, json };
  try {
    return to === 'evm'
      ? await transferToVault(
          { ...common, from, ...(deadlineMs === undefined ? {} : { deadlineMs }), noClaim },
          out,
        )
      : await transferFromVault({ ...common, to, amount: BigInt(amount ?? '100') }, out);
  } catch (e) {
    out.error(`weft transfer: ${message(e)}`);
    return TRANSFER_EXIT.error;
  }
}

async function transferCommand(args: string[], out: Out): Promise<number> {
  const f = parseFlags(args, {
    values: ['--from', '--to', '--dir', '--deadline-ms', '--rpc', '--key', '--vault', '--amount'],
    booleans: ['--wait', '--json', '--help', '-h', '--no-claim'],
  });
  const usage = (e: string) => {
    out.error(`weft transfer: ${e}\n\n${TRANSFER_USAGE}`);
    return 2;
  };
  if ('error' in f) return usage(f.error);
  if (f.booleans.has('--help') || f.booleans.has('-h')) {
    out.log(TRANSFER_USAGE);
    return 0;
  }
  const dir = f.values.get('--dir') ?? '.weft';
  try {
    if (f.positional[0] === 'status') {
      const id = f.positional[1];
      if (!id || f.positional.length > 2) return usage('transfer status needs one transfer ID');
      const st = await findTransfer(openNetworkDir(dir), id);
      out.log(
        f.booleans.has('--json')
          ? stringify(st)
          : stringify({ node: st.node, phase: st.transfer.phase, waiting: st.waiting }),
      );
      return 0;
    }
    if (f.positional.length > 0) return usage(`unexpected '${f.positional[0]}'`);
    const from = f.values.get('--from');
    const to = f.values.get('--to');
    if (!from || !to) return usage('--from and --to are required');
    if (from === 'evm' || to === 'evm')
      return await evmTransfer(f.values, f.booleans, f.booleans.has('--json'), dir, out, usage);
    for (const flag of ['--rpc', '--key', '--vault', '--amount'])
      if (f.values.has(flag)) return usage(`${flag} is for a transfer to or from evm`);
    if (f.booleans.has('--no-claim')) return usage('--no-claim is for a transfer to evm');
    const d = f.values.get('--deadline-ms');
    if (d !== undefined && !/^\d{1,12}$/.test(d))
      return usage('--deadline-ms must be a whole number of milliseconds');
    const net = openNetworkDir(dir);
    const started = await startWalletTransfer(net, {
      from,
      to,
      ...(d === undefined ? {} : { deadlineMs: BigInt(d) }),
    });
    const it = started.items;
    out.log(
      f.booleans.has('--json')
        ? stringify({ id: started.id, ...it })
        : [
            started.id,
            `  spends     nullifier  ${it.sourceNullifier} on ${from}`,
            `  moves      commitment ${it.movedCommitment} on ${from}`,
            `  claims     nullifier  ${it.claimNullifier} on ${to}`,
            `  lands      commitment ${it.landedCommitment} on ${to}`,
            ...(it.refundCommitment ? [`  refund     commitment ${it.refundCommitment} on ${from}`] : []),
          ].join('\n'),
    );
    if (started.phase === 'failed' || started.phase === 'expired') {
      out.error(
        `weft transfer: the source refused the transfer (${started.phase}); the coin stays in the wallet`,
      );
      return TRANSFER_EXIT.failed;
    }
    if (!f.booleans.has('--wait')) return TRANSFER_EXIT.delivered;
    let end: string;
    try {
      end = await waitTransfer(started.client, started.id, (p) =>
        out.error(`${new Date().toISOString()} ${p}`),
      );
    } catch (e) {
      out.error(`weft transfer: ${message(e)}`);
      return e instanceof WeftError && e.code === 'TIMEOUT'
        ? TRANSFER_EXIT.stillRunning
        : TRANSFER_EXIT.error;
    }
    return transferExitCode(end);
  } catch (e) {
    out.error(`weft transfer: ${message(e)}`);
    return TRANSFER_EXIT.error;
  }
}

async function proofCommand(args: string[], out: Out): Promise<number> {
  const f = parseFlags(args, { values: ['--domain', '--height', '--dir'], booleans: ['--help', '-h'] });
  const usage = (e: string) => {
    out.error(`weft proof: ${e}\n\n${PROOF_USAGE}`);
    return 2;
  };
  if ('error' in f) return usage(f.error);
  if (f.booleans.size > 0) {
    out.log(PROOF_USAGE);
    return 0;
  }
  const [kind, item] = f.positional;
  if ((kind !== 'commitment' && kind !== 'nullifier') || !item || f.positional.length !== 2)
    return usage('give commitment or nullifier, then a 32-byte hex value');
  const domain = f.values.get('--domain');
  if (!domain) return usage('--domain is required');
  const h = f.values.get('--height');
  if (h !== undefined && !/^\d{1,20}$/.test(h)) return usage('--height must be a whole number');
  let bytes: Uint8Array;
  try {
    bytes = fromHex(item, 32);
  } catch (e) {
    return usage((e as Error).message);
  }
  try {
    const r = await fetchProof(openNetworkDir(f.values.get('--dir') ?? '.weft'), {
      kind,
      item: bytes,
      domain,
      ...(h === undefined ? {} : { height: BigInt(h) }),
    });
    out.log(JSON.stringify(r, null, 2));
    return r.headerSignedByKeySet && r.proofVerifies ? 0 : 1;
  } catch (e) {
    out.error(`weft proof: ${message(e)}`);
    return 1;
  }
}

async function reinitCommand(args: string[], out: Out): Promise<number> {
  const f = parseFlags(args, {
    values: ['--domain', '--remote', '--height', '--by', '--evidence', '--dir'],
    booleans: ['--help', '-h'],
  });
  const usage = (e: string) => {
    out.error(`weft reinit: ${e}\n\n${REINIT_USAGE}`);
    return 2;
  };
  if ('error' in f) return usage(f.error);
  if (f.booleans.size > 0) {
    out.log(REINIT_USAGE);
    return 0;
  }
  if (f.positional.length > 0) return usage(`unexpected '${f.positional[0]}'`);
  const [domain, remote, height, by] = ['--domain', '--remote', '--height', '--by'].map((k) =>
    f.values.get(k),
  );
  if (!domain || !remote || !height || !by)
    return usage('--domain, --remote, --height and --by are required');
  if (!/^\d{1,20}$/.test(height)) return usage('--height must be a whole number');
  let evidence: Uint8Array | undefined;
  try {
    const e = f.values.get('--evidence');
    evidence = e === undefined ? undefined : fromHex(e, 32, '--evidence');
  } catch (e) {
    return usage((e as Error).message);
  }
  try {
    const r = await reinitFromNetwork(openNetworkDir(f.values.get('--dir') ?? '.weft'), {
      domain,
      remote,
      height: BigInt(height),
      by,
      ...(evidence ? { evidence } : {}),
    });
    out.log(stringify(r));
    return 0;
  } catch (e) {
    out.error(`weft reinit: ${message(e)}`);
    return 1;
  }
}
