// `weft follow` against a node whose domain executes scoped transactions: it keeps the pair
// program's objects equal to the node's, executing only the swaps and the oracle updates in their
// scopes, within the scope gas the swaps paid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type WeftApi, WeftClient } from '../src/api/index.js';
import { main } from '../src/cli/main.js';
import { followProgram } from '../src/cli/scope.js';
import { keyPairFromSeed, toHex, utf8 } from '../src/crypto/index.js';
import { Domain } from '../src/domain/index.js';
import { domainId } from '../src/resource/index.js';
import {
  counterId,
  counterTx,
  decodeObjectState,
  examplePrograms,
  oracleFeedId,
  oracleUpdateTx,
  ProgramRegistry,
  pairPoolId,
  pairProgram,
  pairSwapTx,
  type ScopeTx,
  withScope,
} from '../src/scope/index.js';
import { signTransaction, type Transaction } from '../src/tx/index.js';
import { key, steppingClock } from './helpers/domain.js';

const oracle = keyPairFromSeed('ed25519', new Uint8Array(32).fill(3));
const feed = oracleFeedId(oracle.publicKey, utf8('KAS/USD'));
const pool = pairPoolId('KAS/USD');
const g = { localGas: 50_000n, scopeGas: 10_000_000n };
let domain: Domain;
let api: WeftApi;
let url: string;

function asTx(st: ScopeTx, signers: (typeof oracle)[] = []): Transaction {
  const tx = withScope(
    { actions: [], appData: new Uint8Array(), signatures: [] },
    { declaration: st.declaration, calls: st.calls },
    domainId('follow-alpha'),
  );
  return signers.length ? signTransaction(tx, signers) : tx;
}

beforeAll(async () => {
  domain = await Domain.create({
    name: 'follow-alpha',
    signers: [key('secp256k1', 'follow/operator')],
    clock: steppingClock(),
    programs: new ProgramRegistry(examplePrograms),
  });
  const blocks: Transaction[][] = [
    [
      asTx(
        oracleUpdateTx(oracle.publicKey, 'KAS/USD', 1_000_000n, g, { index: { kind: 'exact', seq: 0n } }),
        [oracle],
      ),
      asTx(counterTx(counterId('x'), 1n, g)),
    ],
    [asTx(pairSwapTx(pool, feed, 100n, g)), asTx(counterTx(counterId('x'), 2n, g, { nonce: 1 }))],
    [
      asTx(
        oracleUpdateTx(oracle.publicKey, 'KAS/USD', 2_000_000n, g, { index: { kind: 'exact', seq: 1n } }),
        [oracle],
      ),
      asTx(pairSwapTx(pool, feed, 50n, g)),
    ],
    [asTx(counterTx(counterId('x'), 3n, g, { nonce: 2 }))],
  ];
  for (const txs of blocks) {
    for (const tx of txs) expect((await domain.submit(tx)).status.status).toBe('pending');
    await domain.sealBlock();
  }
  api = await createApi({ domain });
  url = await api.listen();
});

afterAll(async () => {
  await api.close();
});

describe('weft follow', () => {
  it('keeps the pair program’s objects equal to the node’s, executing only its scopes', async () => {
    const client = new WeftClient(url);
    const blocks: { height: bigint; executed: number }[] = [];
    const follower = await followProgram(
      client,
      { program: pairProgram.ref, domain: 'follow-alpha', to: null },
      (b) => blocks.push({ height: b.height, executed: b.executed }),
    );
    // Each block is proven at its seal here (no prover set). Block 2: only the swap — the update it
    // reads was proven with block 1, so it comes as a checked proof, not an execution. Block 3: the
    // swap and the update of the same block, which is in its scope.
    expect(blocks).toEqual([
      { height: 1n, executed: 0 },
      { height: 2n, executed: 1 },
      { height: 3n, executed: 2 },
      { height: 4n, executed: 0 },
    ]);
    const node = domain.proveObject(pool);
    expect(follower.object(pool)).toEqual(decodeObjectState(node.value!));
    expect(follower.gasExecuted <= follower.scopeGasPaid).toBe(true);
    expect(follower.object(counterId('x'))).toBeUndefined();
  });

  it('runs as a command, printing a line per block and the objects', async () => {
    const lines: string[] = [];
    const code = await main(
      [
        'follow',
        '--api',
        url,
        '--program',
        toHex(pairProgram.ref),
        '--domain',
        'follow-alpha',
        '--programs',
        'examples',
      ],
      { log: (s) => lines.push(s), error: (s) => lines.push(s) },
    );
    expect(code).toBe(0);
    const last = JSON.parse(lines.at(-1)!) as { objects: { object: string; seq: string }[] };
    expect(last.objects).toEqual([expect.objectContaining({ object: toHex(pool), seq: '2' })]);
    const sink = { log: () => {}, error: () => {} };
    expect(
      await main(
        ['follow', '--api', url, '--program', 'pair', '--domain', 'other', '--programs', 'examples'],
        sink,
      ),
    ).toBe(1);
    expect(await main(['follow', '--api', url, '--program', 'pair', '--domain', 'follow-alpha'], sink)).toBe(
      2,
    );
  });
});
