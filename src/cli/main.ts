// The `weft` command line. Each subcommand arrives with the issue that builds its layer.
import { WeftError } from '../crypto/index.js';
import { inspectStore, type StoreSummary, verifyStore } from '../store/index.js';
import { DEMO_USAGE, formatSummary as formatDemo, parseDemoArgs, runDemo } from './demo.js';

const USAGE = `usage: weft <command> [options]

commands:
  demo                      run a demo network: durable domains in one process moving tokens
                            around a ring with verified root updates; prints a summary
  store verify <dir>        check a node store offline: transcript hash chain, a full replay
                            of every input, every block root and header, every tree version,
                            the checkpoint; exits 1 on any fault
  store inspect <dir>       summarise a node store: domain, heights, roots, sizes
  help                      show this text

options:
  --json                    print machine-readable JSON (store verify, store inspect)

Run \`weft <command> --help\` for a command's options.`;

const STORE_USAGE = `usage: weft store verify <dir> [--json]
       weft store inspect <dir> [--json]

verify   replays the node's transcript from its genesis state and checks every block, header,
         tree version and the checkpoint; prints each fault with where it is. Exit code 0 when
         the store is sound, 1 when any fault is found, 2 on bad usage.
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
  if (command === 'store') return store(rest, out);
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
    const summary = await runDemo(parsed, progress);
    out.log(parsed.json ? JSON.stringify(summary) : formatDemo(summary));
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
