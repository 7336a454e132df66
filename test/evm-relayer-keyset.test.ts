// The relayer follows a domain's key-set change: the header the new set signs comes right after
// the block that recorded it, so the relayer submits up to that block, proves the record under
// its root (`updateKeySet`, with the proof a node serves at GET /v1/proofs/keyset), and goes on.
// Against ganache, with an in-memory domain as the header source.
import type { Address } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, signRecoverable } from '../src/crypto/index.js';
import { Domain, keySetChangeDigest, makeKeySet, type SignedHeader } from '../src/domain/index.js';
import { EvmRelayer, type HeaderSource, signerAddresses, weftLightClientAbi } from '../src/evm/index.js';
import { key } from './helpers/domain.js';
import { type EvmEnv, hex, startEvmEnv } from './helpers/evm.js';

let env: EvmEnv;

beforeAll(async () => {
  env = await startEvmEnv();
}, 120_000);

afterAll(async () => {
  await env?.chain.stop();
}, 30_000);

const sourceOf = (d: Domain, withProofs = true): HeaderSource => ({
  header: async (at): Promise<SignedHeader | undefined> => d.header(at === 'latest' ? d.committedHeight : at),
  ...(withProofs ? { proveKeySet: async (at: bigint) => d.proveKeySet(at) } : {}),
});

async function changeKeySet(d: Domain, signers: ReturnType<typeof key>[], next: ReturnType<typeof key>[]) {
  const newSet = makeKeySet(
    next.length,
    next.map((k) => k.publicKey),
  );
  const digest = keySetChangeDigest(d.id, d.committedHeight + 1n, newSet);
  const approvals = signers.map((k) => ({
    signer: d.keySet.keys.findIndex((x) => equalBytes(x.bytes, k.publicKey.bytes)),
    signature: signRecoverable(k, digest),
  }));
  await d.changeKeySet(newSet, approvals);
  return newSet;
}

describe('the relayer and key-set changes', () => {
  it('proves a key-set change to the light client between the headers of the old and the new set', async () => {
    const op = key('secp256k1', 'relay-ks/op');
    const next = [key('secp256k1', 'relay-ks/n1'), key('secp256k1', 'relay-ks/n2')];
    const d = await Domain.create({ name: 'relay-ks', signers: [op, ...next] });
    const genesis = d.header(0n)!;
    const relayed = { name: 'relay-ks', id: d.id, keySet: d.keySet, genesis, source: sourceOf(d) };
    const read = <T>(functionName: string) =>
      env.evm.public.readContract({
        address: env.lightClient as Address,
        abi: weftLightClientAbi,
        functionName: functionName as never,
        args: [hex(d.id)] as never,
      }) as Promise<T>;
    await d.sealBlock();
    const first = await new EvmRelayer(env.evm, env.lightClient, [relayed]).run({ once: true });
    expect(first.registered).toEqual(['relay-ks']);
    expect(first.keySets).toEqual([]);
    // The change: recorded by the next block (signed by the old set); the blocks after it are
    // signed by the new set only.
    const newSet = await changeKeySet(d, [op, ...next], next);
    for (let i = 0; i < 4; i++) await d.sealBlock();
    // Without key-set proofs the relayer cannot go past the change.
    const blind = await new EvmRelayer(env.evm, env.lightClient, [
      { ...relayed, source: sourceOf(d, false) },
    ]).pass();
    expect(blind.skipped['relay-ks']).toMatch(/ThresholdNotMet/);
    const before = await read<bigint>('latestHeight');
    const relayer = new EvmRelayer(env.evm, env.lightClient, [relayed]);
    const pass = await relayer.run({ once: true });
    expect(pass.skipped).toEqual({});
    expect(pass.keySets).toEqual(['relay-ks']);
    expect(await read<bigint>('latestHeight')).toBe(d.committedHeight);
    expect(before).toBeLessThan(d.committedHeight);
    const [signers, threshold] = await read<readonly [readonly string[], number, bigint]>('keySet');
    expect(signers.map((a) => a.toLowerCase())).toEqual(signerAddresses(newSet).map((a) => a.toLowerCase()));
    expect(threshold).toBe(2);
    // A fresh relayer (no memory) picks up where the chain is and keeps following the new set.
    await d.sealBlock();
    const later = await new EvmRelayer(env.evm, env.lightClient, [relayed]).run({ once: true });
    expect(later.skipped).toEqual({});
    expect(later.keySets).toEqual([]);
    expect(await read<bigint>('latestHeight')).toBe(d.committedHeight);
    await d.close();
  }, 120_000);
});
