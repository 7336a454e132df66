// `weft prover --programs examples` on a domain that executes scoped transactions: it re-executes
// each scoped block statelessly from the node's witness (declared objects' values proven at the
// previous height, the proven tip the scopes used) and attests the root; a forged object value
// is refused, and without programs no scoped block is attested.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type WeftApi, WeftClient } from '../src/api/index.js';
import { main } from '../src/cli/main.js';
import { proveBlocks } from '../src/cli/scope.js';
import { keyPairFromSeed, sha256, toHex, utf8 } from '../src/crypto/index.js';
import type { Domain } from '../src/domain/index.js';
import { decodeObjectState, encodeObjectState } from '../src/scope/index.js';
import { scopedDomain } from './helpers/scoped.js';

let domain: Domain;
let api: WeftApi;
let url: string;
const dir = mkdtempSync(join(tmpdir(), 'weft-prover-scoped-'));

beforeAll(async () => {
  // Six scoped blocks; heights 1..2 proven after block 2, so blocks 3..6 use proven tip 2.
  ({ domain } = await scopedDomain('prover-scoped', 6, new Map([[2, 2n]])));
  api = await createApi({ domain });
  url = await api.listen();
});

afterAll(async () => {
  await api.close();
});

describe('weft prover on scoped blocks', () => {
  it('re-executes them with --programs and its attestations prove the tip', async () => {
    const keyFile = join(dir, 'prover.key');
    // The seed of the domain's prover key (helpers/domain.ts `key`).
    writeFileSync(keyFile, `${toHex(sha256(utf8('key/scoped-sync/prover')))}\n`);
    const lines: string[] = [];
    const errors: string[] = [];
    const code = await main(
      ['prover', '--api', url, '--key', keyFile, '--from', '3', '--programs', 'examples', '--post'],
      { log: (s) => lines.push(s), error: (s) => errors.push(s) },
    );
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(lines.map((l) => (JSON.parse(l) as { height: string }).height)).toEqual(['3', '4', '5', '6']);
    expect(domain.provenHeight).toBe(6n);
  });

  it('refuses a forged object value, and scoped blocks without programs', async () => {
    const client = new WeftClient(url);
    const key = keyPairFromSeed('ed25519', new Uint8Array(32).fill(3));
    // Fault injection: the node serves a different counter value at height 4.
    const lying = Object.create(client) as WeftClient;
    lying.proveObject = async (object, at) => {
      const p = await client.proveObject(object, at);
      if (at !== 4n || p.value === null) return p;
      const s = decodeObjectState(p.value);
      return { ...p, value: encodeObjectState({ ...s, value: new Uint8Array(8).fill(1) }) };
    };
    const attested: bigint[] = [];
    await expect(
      proveBlocks(lying, key, { from: 3n, to: null, trustRemoteAnchors: false, programs: 'examples' }, (p) =>
        attested.push(p.attestation.attestation.height),
      ),
    ).rejects.toMatchObject({ code: 'BAD_PROOF' });
    expect(attested).toEqual([3n, 4n]);
    // A prover starting above the window's start cannot know the unproven history.
    await expect(
      proveBlocks(
        client,
        key,
        { from: 4n, to: null, trustRemoteAnchors: false, programs: 'examples' },
        () => {},
      ),
    ).rejects.toMatchObject({ code: 'SCOPE_HISTORY_UNKNOWN' });
    await expect(
      proveBlocks(client, key, { from: 1n, to: null, trustRemoteAnchors: false }, () => {}),
    ).rejects.toMatchObject({ code: 'FULL_VALIDATION_FAILED' });
    const out: string[] = [];
    expect(
      await main(['prover', '--api', url, '--key', 'k', '--programs', 'mine'], {
        log: () => {},
        error: (s) => out.push(s),
      }),
    ).toBe(2);
    expect(out.join('\n')).toContain('--programs must name a program set');
  });
});
