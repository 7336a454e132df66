// The `weft` command line. Each subcommand arrives with the issue that builds its layer.

const USAGE = `usage: weft <command> [options]

commands:
  demo        run a demo network of domains moving resources between them
              (arrives with the cross-domain sync issue; not available yet)
  help        show this text

Run \`weft <command> --help\` for a command's options.`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (command === 'demo') {
    if (rest.includes('--help')) {
      console.log('usage: weft demo\n\nThe demo network arrives with the cross-domain sync issue.');
      return 0;
    }
    console.error(
      'weft demo: not available yet — the demo network arrives with the cross-domain sync issue.\n' +
        'What exists today: the crypto layer and the authenticated state tree (try `npm run bench -- smt`).',
    );
    return 3;
  }
  console.error(`weft: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}
