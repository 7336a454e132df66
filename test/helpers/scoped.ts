// A domain with programs and one prover (so its proven tip lags), sealing blocks of oracle
// updates, swaps priced by them and counters: the workload of the scoped sync, prover and
// attestation tests.
import type { KeyPair } from '../../src/crypto/index.js';
import { Domain } from '../../src/domain/index.js';
import { domainId } from '../../src/resource/index.js';
import {
  counterId,
  counterTx,
  examplePrograms,
  oracleFeedId,
  oracleUpdateTx,
  ProgramRegistry,
  pairPoolId,
  pairSwapTx,
  type ScopeTx,
  signAttestation,
  withScope,
} from '../../src/scope/index.js';
import { type RootUpdate, rootUpdateFromBlock, scopeWitnessOf } from '../../src/sync/index.js';
import { signTransaction, type Transaction } from '../../src/tx/index.js';
import { key, steppingClock } from './domain.js';
import { operatorOf } from './sync.js';

export const programs = new ProgramRegistry(examplePrograms);
export const oracleKey = key('ed25519', 'scoped-sync/oracle');
export const prover = key('ed25519', 'scoped-sync/prover');
const feed = oracleFeedId(oracleKey.publicKey, new TextEncoder().encode('btc'));
const pool = pairPoolId('btc-usd');

export function asTx(at: string, st: ScopeTx, signers: KeyPair[] = []): Transaction {
  const tx = withScope(
    { actions: [], appData: new Uint8Array(), signatures: [] },
    { declaration: st.declaration, calls: st.calls },
    domainId(at),
  );
  return signers.length > 0 ? signTransaction(tx, signers) : tx;
}

/**
 * A domain with programs and one prover (so its proven tip lags), sealing `blocks` blocks of
 * oracle updates declared readWrite (each reads the one before: readers' scopes grow with the
 * unproven window), swaps that commit to a scope of at most three updates, and counters.
 * Heights 1..`provenUpTo` are attested after block `attestAfter`.
 */
export async function scopedDomain(name: string, blocks: number, attest: Map<number, bigint> = new Map()) {
  const domain = await Domain.create({
    name,
    signers: [operatorOf(name)],
    clock: steppingClock(),
    programs,
    provers: { provers: [prover.publicKey], threshold: 1 },
  });
  const outcomes: string[] = [];
  domain.on('txScoped', (e) => outcomes.push(e.status));
  for (let b = 1; b <= blocks; b++) await sealScoped(domain, b, attest.get(b));
  return { domain, outcomes };
}

/** Block `b` of the workload; afterwards heights up to `provenUpTo` are attested. */
export async function sealScoped(domain: Domain, b: number, provenUpTo?: bigint): Promise<void> {
  const name = domain.name;
  const small = { localGas: 20_000n, scopeGas: 80_000n };
  const gas = { localGas: 20_000n, scopeGas: 10_000_000n };
  await domain.submit(
    asTx(name, oracleUpdateTx(oracleKey.publicKey, 'btc', 1_000_000n + BigInt(b), gas, { readWrite: true }), [
      oracleKey,
    ]),
  );
  await domain.submit(asTx(name, pairSwapTx(pool, feed, BigInt(b), small)));
  await domain.submit(asTx(name, counterTx(counterId(`c${b % 3}`), BigInt(b), gas, { nonce: b })));
  // Failures that still write vertices: out of localGas (the previous value again), and a
  // write-only update whose index does not hold (null), decided from metadata.
  if (b % 2 === 0)
    await domain.submit(
      asTx(
        name,
        counterTx(counterId('c0'), 1n, { localGas: 1_000n, scopeGas: 10_000_000n }, { nonce: 1_000 + b }),
      ),
    );
  if (b % 3 === 0)
    await domain.submit(
      asTx(
        name,
        oracleUpdateTx(oracleKey.publicKey, 'eth', BigInt(b), gas, { index: { kind: 'exact', seq: 99n } }),
        [oracleKey],
      ),
    );
  await domain.sealBlock();
  if (provenUpTo !== undefined) {
    for (let h = domain.provenHeight + 1n; h <= provenUpTo; h++)
      await domain.attest(
        signAttestation(prover, {
          domain: domain.id,
          height: h,
          stateRoot: domain.header(h)!.header.stateRoot,
        }),
      );
  }
}

export function scopedUpdate(domain: Domain, h: bigint): RootUpdate {
  const block = domain.block(h)!;
  const witness = scopeWitnessOf(domain, block);
  return rootUpdateFromBlock(block, domain.header(h)!, {
    withTxs: true,
    ...(witness ? { scopeWitness: witness } : {}),
  });
}
