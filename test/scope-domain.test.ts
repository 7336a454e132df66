// A domain that executes scoped transactions: format 3 transactions run their program calls at
// the seal, over the tree's object values; the vertices land under 0x04 in the same block; the
// object DAG survives a restart and a full replay (weft store verify).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi, WeftClient } from '../src/api/index.js';
import { Writer } from '../src/crypto/index.js';
import { Domain } from '../src/domain/index.js';
import { domainId } from '../src/resource/index.js';
import {
  counterId,
  counterTx,
  decodeObjectState,
  examplePrograms,
  objectKey,
  ProgramRegistry,
  withScope,
} from '../src/scope/index.js';
import { verifyProof } from '../src/smt/index.js';
import { openDomainNode, verifyStore } from '../src/store/index.js';
import type { Transaction } from '../src/tx/index.js';
import { alice, key, steppingClock, Wallet } from './helpers/domain.js';

const programs = new ProgramRegistry(examplePrograms);
const operator = key('secp256k1', 'scoped/operator');
const gas = { localGas: 20_000n, scopeGas: 1_000_000n };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A counter transaction for the domain named `at` (format 3 binds its executor). */
function scoped(at: string, name: string, amount: bigint, g = gas, nonce?: number): Transaction {
  const t = counterTx(counterId(name), amount, g, nonce === undefined ? {} : { nonce });
  return withScope(
    { actions: [], appData: new Uint8Array(), signatures: [] },
    { declaration: t.declaration, calls: t.calls },
    domainId(at),
  );
}

function counterValue(domain: Domain, name: string): { seq: bigint; value: bigint } | null {
  const p = domain.proveObject(counterId(name));
  if (p.value === null) return null;
  expect(verifyProof(p.root, objectKey(counterId(name)), p.value, p.proof)).toBe(true);
  const s = decodeObjectState(p.value);
  return { seq: s.seq, value: new DataView(s.value!.buffer, s.value!.byteOffset, 8).getBigUint64(0) };
}

describe('a domain executing scoped transactions', () => {
  it('runs them at the seal and writes their vertices under 0x04 in the same block', async () => {
    const domain = await Domain.create({
      name: 'scoped',
      signers: [operator],
      clock: steppingClock(),
      programs,
    });
    const scopedEvents: { status: string; code: string | null }[] = [];
    domain.on('txScoped', (e) => scopedEvents.push({ status: e.status, code: e.code }));
    const wallet = new Wallet(domain, 'scoped');
    const mint = wallet.mintTx(alice.publicKey, 5n).tx;
    for (const tx of [
      scoped('scoped', 'c', 3n),
      mint,
      scoped('scoped', 'c', 4n, gas, 1),
      scoped('scoped', 'c', 9n, { localGas: 20_000n, scopeGas: 1n }),
    ]) {
      expect((await domain.submit(tx)).status.status).toBe('pending');
    }
    await domain.sealBlock();
    expect(scopedEvents).toEqual([
      { status: 'ok', code: null },
      { status: 'ok', code: null },
      { status: 'offDag', code: 'SCOPE_UNFUNDED' },
    ]);
    expect(counterValue(domain, 'c')).toEqual({ seq: 2n, value: 7n });
    // A failing call still writes its vertex (the previous value), in the next block.
    const failing = withScope(
      { actions: [], appData: new Uint8Array(), signatures: [] },
      {
        declaration: counterTx(counterId('c'), 1n, gas).declaration,
        calls: [{ program: examplePrograms[0]!.ref, input: new Writer().u8(1).finish() }],
      },
      domainId('scoped'),
    );
    await domain.submit(failing);
    await domain.sealBlock();
    expect(scopedEvents.at(-1)).toEqual({ status: 'failed', code: 'PROGRAM_FAULT' });
    expect(counterValue(domain, 'c')).toEqual({ seq: 3n, value: 7n });
  });

  it('accepts scoped transactions through the API, in both forms', async () => {
    const domain = await Domain.create({
      name: 'scoped-api',
      signers: [operator],
      clock: steppingClock(),
      programs,
    });
    const api = await createApi({ domain });
    try {
      const client = new WeftClient(await api.listen());
      expect((await client.submit(scoped('scoped-api', 'e', 1n), { form: 'json' })).status.status).toBe(
        'pending',
      );
      expect(
        (await client.submit(scoped('scoped-api', 'e', 2n, gas, 1), { form: 'encoded' })).status.status,
      ).toBe('pending');
      await domain.sealBlock();
      expect(counterValue(domain, 'e')).toEqual({ seq: 2n, value: 3n });
    } finally {
      await api.close();
    }
  });

  it('is refused by a domain without programs', async () => {
    const domain = await Domain.create({ name: 'plain', signers: [operator], clock: steppingClock() });
    const r = await domain.submit(scoped('plain', 'c', 1n));
    expect(r.status).toMatchObject({ status: 'rejected', code: 'TX_SCOPE_UNSUPPORTED' });
  });

  it('refuses a scoped body whose declaration breaks a rule, at admission', async () => {
    const domain = await Domain.create({
      name: 'strict',
      signers: [operator],
      clock: steppingClock(),
      programs,
    });
    const good = scoped('strict', 'c', 1n);
    const bytes = good.scope!.slice();
    // The declaration's localGas (bytes 1..8 of the scoped body) set to 10, below the base cost.
    new DataView(bytes.buffer).setBigUint64(1, 10n);
    const bad: Transaction = { ...good, scope: bytes };
    expect((await domain.submit(bad)).status).toMatchObject({ status: 'rejected', code: 'GAS_BELOW_BASE' });
  });

  it('keeps the object DAG across a restart, and a full replay of the store agrees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-scoped-'));
    dirs.push(dir);
    const open = (create: boolean) =>
      openDomainNode(dir, {
        signers: [operator],
        clock: steppingClock(1_800_000_000_000n),
        programs,
        ...(create ? { create: { name: 'durable-scoped', genesisTimestamp: 1_700_000_000_000n } } : {}),
      });
    const n1 = await open(true);
    await n1.domain.submit(scoped('durable-scoped', 'd', 2n));
    await n1.domain.sealBlock();
    await n1.domain.submit(scoped('durable-scoped', 'd', 5n, gas, 1));
    await n1.close(); // pending: replayed from the transcript
    const n2 = await open(false);
    await n2.domain.sealBlock();
    expect(counterValue(n2.domain, 'd')).toEqual({ seq: 2n, value: 7n });
    await n2.close();
    const report = await verifyStore(dir, { programs });
    expect(report.faults).toEqual([]);
    expect(report.ok).toBe(true);
    // Without the programs the replay cannot run the scoped seals: a fault, not a silent pass.
    expect((await verifyStore(dir)).ok).toBe(false);
  });
});
