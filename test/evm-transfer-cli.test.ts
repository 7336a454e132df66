// `weft transfer --to evm` / `--from evm`: bad usage exits 2 with a line saying what is wrong and
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
    ];
    for (const [args, message] of cases) {
      const r = await run(['transfer', ...args, '--dir', dir]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
