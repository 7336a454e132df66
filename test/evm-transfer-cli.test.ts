// `weft transfer --to evm` / `--from evm` and `weft evm refund`: bad usage exits 2 with a line saying what is wrong and
// touches nothing; --help explains the evm forms. (The transfers themselves run end to end in
// test/evm-relay.test.ts.)
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-evm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await main(args, { log: (s) => lines.push(s), error: (s) => errors.push(s) });
  return { code, out: lines.join('\n'), err: errors.join('\n') };
}

const vault = `0x${'ab'.repeat(20)}`;
const key = `0x${'11'.repeat(32)}`;

describe('weft transfer to and from evm: usage', () => {
  it('explains the evm forms in --help', async () => {
    const r = await run(['transfer', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--to evm');
    expect(r.out).toContain('--from evm');
    expect(r.out).toContain('WEFT_EVM_KEY');
    expect(r.out).toContain('--no-claim');
    expect(r.out).toContain('weft evm refund');
  });

  it('explains weft evm refund in weft evm --help, and refuses it without --vault and --dir', async () => {
    const help = await run(['evm', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('weft evm refund --rpc URL --key HEX --vault ADDR --dir DIR');
    expect(help.out).toMatch(/refund {2}for every move to the vault/);
    const r = await run(['evm', 'refund', '--rpc', 'http://x', '--key', key]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--vault and --dir are required/);
    const t = await run([
      'evm',
      'transfer',
      '--rpc',
      'http://x',
      '--key',
      key,
      '--vault',
      vault,
      '--dir',
      dir,
      '--from',
      'a',
      '--no-claim',
    ]);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/--no-claim needs --deadline-ms/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a transfer to or from evm without its settings, and evm settings elsewhere', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--from', 'domain-a', '--to', 'evm', '--rpc', 'http://127.0.0.1:1', '--vault', vault],
        /needs --rpc, --key/,
      ],
      [['--from', 'evm', '--to', 'domain-b', '--key', key, '--vault', vault], /needs --rpc/],
      [['--from', 'evm', '--to', 'evm', '--rpc', 'http://x', '--key', key, '--vault', vault], /must differ/],
      [
        [
          '--from',
          'domain-a',
          '--to',
          'evm',
          '--rpc',
          'http://x',
          '--key',
          key,
          '--vault',
          vault,
          '--amount',
          '5',
        ],
        /--amount is for --from evm/,
      ],
      [
        [
          '--from',
          'evm',
          '--to',
          'domain-b',
          '--rpc',
          'http://x',
          '--key',
          key,
          '--vault',
          vault,
          '--amount',
          '0',
        ],
        /--amount must be a whole number above 0/,
      ],
      [
        [
          '--from',
          'evm',
          '--to',
          'domain-b',
          '--rpc',
          'http://x',
          '--key',
          key,
          '--vault',
          vault,
          '--deadline-ms',
          '5',
        ],
        /--deadline-ms is for transfers between Weft domains/,
      ],
      [
        ['--from', 'domain-a', '--to', 'domain-b', '--vault', vault],
        /--vault is for a transfer to or from evm/,
      ],
      [
        [
          '--from',
          'domain-a',
          '--to',
          'evm',
          '--rpc',
          'http://x',
          '--key',
          key,
          '--vault',
          vault,
          '--no-claim',
        ],
        /--no-claim needs --deadline-ms/,
      ],
      [
        [
          '--from',
          'domain-a',
          '--to',
          'evm',
          '--rpc',
          'http://x',
          '--key',
          key,
          '--vault',
          vault,
          '--deadline-ms',
          'soon',
        ],
        /--deadline-ms must be a whole number/,
      ],
      [['--from', 'domain-a', '--to', 'domain-b', '--no-claim'], /--no-claim is for a transfer to evm/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['transfer', ...args, '--dir', dir]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
