// WeftLightClient following a domain's signed headers on a real JSON-RPC node (ganache): the
// threshold, signers, replays, order, gaps, the root window, key-set changes and equivocation.
import { parseEventLogs } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, signRecoverable, utf8 } from '../src/crypto/index.js';
import {
  encodeKeySet,
  type Header,
  headerHash,
  KEYSET_TREE_KEY,
  type SignedHeader,
  verifyHeaderSignatures,
} from '../src/domain/index.js';
import {
  EvmRevertError,
  headerForEvm,
  registerDomain,
  sendContract,
  signerAddresses,
  submitHeaders,
  submitMisbehaviour,
  updateKeySet,
  weftLightClientAbi,
} from '../src/evm/index.js';
import { Smt } from '../src/smt/index.js';
import {
  type EvmEnv,
  header,
  hex,
  inKeySetOrder,
  keySetOf,
  next,
  sign,
  signers,
  startEvmEnv,
} from './helpers/evm.js';

let env: EvmEnv;
beforeAll(async () => {
  env = await startEvmEnv();
}, 60_000);
afterAll(async () => {
  await env?.chain.stop();
});

const pairs = signers('headers', 3);
const ks = keySetOf(pairs, 2);
const ordered = inKeySetOrder(ks, pairs);

async function read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
  return (await env.evm.public.readContract({
    address: env.lightClient,
    abi: weftLightClientAbi,
    functionName: functionName as never,
    args: args as never,
  })) as T;
}

/** The contract's custom error for `fn`, or 'accepted'. */
async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'accepted';
  } catch (e) {
    if (e instanceof EvmRevertError) return e.errorName ?? 'reverted';
    throw e;
  }
}

const submit = (sh: SignedHeader) => outcome(() => submitHeaders(env.evm, env.lightClient, [sh]));

let counter = 0;
async function newDomain(): Promise<Header> {
  const genesis = header(sha256(utf8(`headers-${counter++}`)), 0n);
  await registerDomain(env.evm, env.lightClient, genesis, ks);
  return genesis;
}

describe('submitHeader', () => {
  it('accepts a header signed by the threshold, keeps its root and timestamp, emits HeaderAccepted', async () => {
    const g = await newDomain();
    const h1 = next(g);
    const signed = sign(h1, ks, ordered.slice(0, 2));
    expect(verifyHeaderSignatures(signed, ks)).toBe(true);
    const [receipt] = await submitHeaders(env.evm, env.lightClient, [signed]);
    const events = parseEventLogs({
      abi: weftLightClientAbi,
      logs: receipt!.logs,
      eventName: 'HeaderAccepted',
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.args).toEqual({ domainId: hex(g.domain), height: 1n, stateRoot: hex(h1.stateRoot) });
    expect(await read('latestHeight', [hex(g.domain)])).toBe(1n);
    expect(await read('stateRoot', [hex(g.domain), 1n])).toBe(hex(h1.stateRoot));
    expect(await read('stateRoot', [hex(g.domain), 0n])).toBe(hex(g.stateRoot));
    expect(await read('stateRoot', [hex(g.domain), 2n])).toBe(hex(new Uint8Array(32)));
    expect(await read('headerTimestamp', [hex(g.domain), 1n])).toBe(h1.timestamp);
    expect(await read('latestHeaderHash', [hex(g.domain)])).toBe(hex(headerHash(h1)));
    const [addrs, threshold] = await read<[string[], number, bigint]>('keySet', [hex(g.domain)]);
    expect(addrs).toEqual(signerAddresses(ks));
    expect(threshold).toBe(2);
  });

  it('refuses a header below the threshold, with a wrong signer, or with malformed signatures', async () => {
    const g = await newDomain();
    const h1 = next(g);
    const one = sign(h1, ks, ordered.slice(0, 1));
    expect(verifyHeaderSignatures(one, ks)).toBe(false);
    expect(await submit(one)).toBe('ThresholdNotMet');
    // An outsider's signature presented under a member's index does not count.
    const outsider = signers('outsider', 1)[0]!;
    const forged: SignedHeader = {
      header: h1,
      signatures: [
        { signer: 0, signature: signRecoverable(ordered[0]!, headerHash(h1)) },
        { signer: 1, signature: signRecoverable(outsider, headerHash(h1)) },
      ],
    };
    expect(verifyHeaderSignatures(forged, ks)).toBe(false);
    expect(await submit(forged)).toBe('ThresholdNotMet');
    // A signature over another header does not count either.
    const other = next(g, { txRoot: new Uint8Array(32).fill(7) });
    const mixed: SignedHeader = {
      header: h1,
      signatures: [
        { signer: 0, signature: signRecoverable(ordered[0]!, headerHash(h1)) },
        { signer: 1, signature: signRecoverable(ordered[1]!, headerHash(other)) },
      ],
    };
    expect(await submit(mixed)).toBe('ThresholdNotMet');
    // The same signer twice, an index past the set, a v that is not 27/28: refused outright, as by meetsThreshold.
    const good = sign(h1, ks, ordered.slice(0, 2));
    const twice: SignedHeader = { header: h1, signatures: [good.signatures[0]!, good.signatures[0]!] };
    expect(verifyHeaderSignatures(twice, ks)).toBe(false);
    expect(await submit(twice)).toBe('BadSignatures');
    const pastSet: SignedHeader = {
      header: h1,
      signatures: [good.signatures[0]!, { signer: 3, signature: good.signatures[1]!.signature }],
    };
    expect(await submit(pastSet)).toBe('BadSignatures');
    const badV = good.signatures[1]!.signature.slice();
    badV[64] = 29;
    expect(
      await submit({ header: h1, signatures: [good.signatures[0]!, { signer: 1, signature: badV }] }),
    ).toBe('BadSignatures');
    // A high-s twin of a valid signature (ecrecover would accept it) does not count.
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const sig = good.signatures[1]!.signature;
    const s = BigInt(hex(sig.subarray(32, 64)));
    const highS = sig.slice();
    highS.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
    highS[64] = sig[64] === 27 ? 28 : 27;
    expect(
      await submit({ header: h1, signatures: [good.signatures[0]!, { signer: 1, signature: highS }] }),
    ).toBe('ThresholdNotMet');
    expect(await submit(good)).toBe('accepted');
  });

  it('refuses a replay, a gap, a broken chain and a timestamp going back; a gap is filled in order', async () => {
    const g = await newDomain();
    const h1 = next(g);
    const h2 = next(h1);
    const h3 = next(h2);
    const s = (h: Header) => sign(h, ks, ordered.slice(1, 3));
    expect(await submit(s(h1))).toBe('accepted');
    expect(await submit(s(h1))).toBe('StaleHeader');
    expect(await submit(s(g))).toBe('StaleHeader');
    expect(await submit(s(h3))).toBe('HeightGap');
    expect(await submit(s(next(h1, { prevHash: sha256(utf8('elsewhere')) })))).toBe('NotContinuous');
    expect(await submit(s(next(h1, { timestamp: h1.timestamp - 1n })))).toBe('TimestampBackwards');
    expect(await submit(s(header(sha256(utf8('never-registered')), 1n))), 'unknown domain').toBe(
      'UnknownDomain',
    );
    // The same timestamp as the previous header is allowed (docs/domain.md: never backwards).
    const h2same = next(h1, { timestamp: h1.timestamp });
    expect(await submit(s(h2same))).toBe('accepted');
    // The gap after it is filled by submitting the missing headers in order, in one batch.
    const a = next(h2same);
    const b = next(a);
    const c = next(b);
    expect(await outcome(() => submitHeaders(env.evm, env.lightClient, [s(a), s(c)]))).toBe('HeightGap');
    expect(await outcome(() => submitHeaders(env.evm, env.lightClient, [s(a), s(b), s(c)]))).toBe('accepted');
    expect(await read('latestHeight', [hex(g.domain)])).toBe(5n);
    expect(await read('stateRoot', [hex(g.domain), 4n])).toBe(hex(b.stateRoot));
  });

  it('keeps the roots of the last 256 heights', async () => {
    const g = await newDomain();
    const chain: SignedHeader[] = [];
    let prev = g;
    for (let i = 0; i < 300; i++) {
      prev = next(prev);
      chain.push(sign(prev, ks, ordered.slice(0, 2)));
    }
    await submitHeaders(env.evm, env.lightClient, chain);
    expect(await read('latestHeight', [hex(g.domain)])).toBe(300n);
    expect(await read('stateRoot', [hex(g.domain), 300n])).toBe(hex(chain[299]!.header.stateRoot));
    expect(await read('stateRoot', [hex(g.domain), 45n])).toBe(hex(chain[44]!.header.stateRoot));
    expect(await read('headerTimestamp', [hex(g.domain), 45n])).toBe(chain[44]!.header.timestamp);
    expect(await read('stateRoot', [hex(g.domain), 44n])).toBe(hex(new Uint8Array(32)));
    expect(await read('headerTimestamp', [hex(g.domain), 44n])).toBe(0n);
    expect(await read('stateRoot', [hex(g.domain), 0n])).toBe(hex(new Uint8Array(32)));
  }, 60_000);
});

describe('key-set changes', () => {
  it('follow the key-set record proven under the latest root, from the next height on', async () => {
    const g = await newDomain();
    const nextPairs = signers('rotated', 4);
    const nextKs = keySetOf(nextPairs, 3);
    const nextOrdered = inKeySetOrder(nextKs, nextPairs);
    // Block 1 records the new set in its tree and is still signed by the old one.
    const smt = Smt.inMemory();
    await smt.apply([
      { key: KEYSET_TREE_KEY, value: encodeKeySet(nextKs) },
      { key: utf8('other'), value: utf8('state') },
    ]);
    const h1 = next(g, { stateRoot: smt.root() });
    expect(await submit(sign(h1, ks, ordered.slice(0, 2)))).toBe('accepted');
    const proof = await smt.prove(KEYSET_TREE_KEY);
    // A proof of another set, or of the record under another root, is refused.
    expect(
      await outcome(() =>
        updateKeySet(env.evm, env.lightClient, g.domain, keySetOf(signers('x', 2), 1), proof),
      ),
    ).toBe('BadProof');
    const h2 = next(h1);
    expect(await submit(sign(h2, nextKs, nextOrdered.slice(0, 3)))).toBe('ThresholdNotMet');
    await updateKeySet(env.evm, env.lightClient, g.domain, nextKs, proof);
    const [addrs, threshold, from] = await read<[string[], number, bigint]>('keySet', [hex(g.domain)]);
    expect(addrs).toEqual(signerAddresses(nextKs));
    expect(threshold).toBe(3);
    expect(from).toBe(2n);
    // The old set no longer signs; the new one does, at its threshold.
    expect(await submit(sign(h2, ks, ordered))).toBe('ThresholdNotMet');
    expect(await submit(sign(h2, nextKs, nextOrdered.slice(0, 2)))).toBe('ThresholdNotMet');
    expect(await submit(sign(h2, nextKs, nextOrdered.slice(1, 4)))).toBe('accepted');
  });
});

describe('key-set changes that change nothing', () => {
  it('a proof of the set already in force leaves it, and earlier heights stay open to evidence', async () => {
    const g = await newDomain();
    const smt = Smt.inMemory();
    await smt.apply([{ key: KEYSET_TREE_KEY, value: encodeKeySet(ks) }]);
    const h1 = next(g, { stateRoot: smt.root() });
    expect(await submit(sign(h1, ks, ordered.slice(0, 2)))).toBe('accepted');
    const receipt = await updateKeySet(
      env.evm,
      env.lightClient,
      g.domain,
      ks,
      await smt.prove(KEYSET_TREE_KEY),
    );
    expect(
      parseEventLogs({ abi: weftLightClientAbi, logs: receipt.logs, eventName: 'KeySetChanged' }),
    ).toHaveLength(0);
    const [, , from] = await read<[string[], number, bigint]>('keySet', [hex(g.domain)]);
    expect(from).toBe(0n);
    // Equivocation at height 1 can still be proven with the set that signed it.
    const fork = sign(next(g, { txRoot: new Uint8Array(32).fill(3) }), ks, ordered.slice(1, 3));
    await submitMisbehaviour(env.evm, env.lightClient, sign(h1, ks, ordered.slice(0, 2)), fork);
    expect(await read('frozen', [hex(g.domain)])).toBe(true);
  });
});

describe('equivocation', () => {
  it('two signed headers for one height freeze the domain: no header, no root, no proof', async () => {
    const smt = Smt.inMemory();
    await smt.apply([{ key: utf8('k'), value: utf8('v') }]);
    const g = await newDomain();
    const h1 = next(g, { stateRoot: smt.root() });
    const fork = next(g, { txRoot: new Uint8Array(32).fill(9) });
    expect(await submit(sign(h1, ks, ordered.slice(0, 2)))).toBe('accepted');
    const proof = hex((await import('../src/evm/index.js')).encodeProofForEvm(await smt.prove(utf8('k'))));
    expect(await read('verifyMembership', [hex(g.domain), 1n, hex(utf8('k')), hex(utf8('v')), proof])).toBe(
      true,
    );
    const a = sign(h1, ks, ordered.slice(0, 2));
    const b = sign(fork, ks, ordered.slice(1, 3));
    // Not evidence: the same header twice, different heights, or one side under the threshold.
    expect(await outcome(() => submitMisbehaviour(env.evm, env.lightClient, a, a))).toBe('NotMisbehaviour');
    expect(
      await outcome(() =>
        submitMisbehaviour(env.evm, env.lightClient, a, sign(next(h1), ks, ordered.slice(0, 2))),
      ),
    ).toBe('NotMisbehaviour');
    expect(
      await outcome(() =>
        submitMisbehaviour(env.evm, env.lightClient, a, sign(fork, ks, ordered.slice(0, 1))),
      ),
    ).toBe('ThresholdNotMet');
    expect(await read('frozen', [hex(g.domain)])).toBe(false);
    const receipt = await submitMisbehaviour(env.evm, env.lightClient, a, b);
    const events = parseEventLogs({ abi: weftLightClientAbi, logs: receipt.logs, eventName: 'DomainFrozen' });
    expect(events[0]!.args.height).toBe(1n);
    expect(await read('frozen', [hex(g.domain)])).toBe(true);
    expect(await submit(sign(next(h1), ks, ordered.slice(0, 2)))).toBe('DomainIsFrozen');
    expect(await read('stateRoot', [hex(g.domain), 1n])).toBe(hex(new Uint8Array(32)));
    expect(await read('verifyMembership', [hex(g.domain), 1n, hex(utf8('k')), hex(utf8('v')), proof])).toBe(
      false,
    );
    // The owner re-initialises a frozen domain from a header it trusts.
    await registerDomain(env.evm, env.lightClient, h1, ks);
    expect(await read('frozen', [hex(g.domain)])).toBe(false);
    expect(await read('verifyMembership', [hex(g.domain), 1n, hex(utf8('k')), hex(utf8('v')), proof])).toBe(
      true,
    );
  });
});

describe('registration', () => {
  it('is the owner’s alone, once, with a sane signer list', async () => {
    const g = header(sha256(utf8('registration')), 0n);
    const { connectEvm, DEV_CHAIN_KEYS } = await import('../src/evm/index.js');
    const other = await connectEvm(env.chain.rpcUrl, DEV_CHAIN_KEYS[1]);
    const args = [hex(g.domain), headerForEvm(sign(g, ks, ordered)).header, signerAddresses(ks), 2] as const;
    const call = (evm = env.evm, a: readonly unknown[] = args) =>
      outcome(() =>
        sendContract(evm, {
          address: env.lightClient,
          abi: weftLightClientAbi,
          functionName: 'registerDomain',
          args: a,
        }),
      );
    expect(await call(other)).toBe('NotOwner');
    expect(await call(env.evm, [args[0], args[1], args[2], 0])).toBe('BadSigners');
    expect(await call(env.evm, [args[0], args[1], args[2], 4])).toBe('BadSigners');
    expect(await call(env.evm, [args[0], args[1], [args[2][0], args[2][0]], 1])).toBe('BadSigners');
    expect(await call(env.evm, [hex(sha256(utf8('x'))), args[1], args[2], 2])).toBe('WrongDomain');
    expect(await call(env.evm, [args[0], '0x01', args[2], 2])).toBe('BadHeader');
    expect(await call()).toBe('accepted');
    expect(await call()).toBe('AlreadyRegistered');
  });
});
