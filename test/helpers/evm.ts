// Test wiring for the EVM suites: a ganache dev chain started by the suite, the light client
// deployed on it, and domains registered from hand-built headers whose roots the test chooses.
import type { Address, Hex } from 'viem';
import { keyPairFromSeed, sha256, toHex, utf8 } from '../../src/crypto/index.js';
import {
  encodeKeySet,
  type Header,
  headerHash,
  KEYSET_TREE_KEY,
  type KeySet,
  makeKeySet,
  type SignedHeader,
  signHeader,
} from '../../src/domain/index.js';
import {
  connectEvm,
  DEV_CHAIN_KEYS,
  type DevChain,
  deployLightClient,
  type EvmConnection,
  registerDomain,
  startDevChain,
} from '../../src/evm/index.js';

export type EvmEnv = { chain: DevChain; evm: EvmConnection; lightClient: Address };

export async function startEvmEnv(): Promise<EvmEnv> {
  const chain = await startDevChain();
  try {
    const evm = await connectEvm(chain.rpcUrl, DEV_CHAIN_KEYS[0]);
    const lightClient = await deployLightClient(evm);
    return { chain, evm, lightClient };
  } catch (e) {
    await chain.stop();
    throw e;
  }
}

export const hex = (b: Uint8Array): Hex => toHex(b) as Hex;

export function signers(tag: string, n: number) {
  return Array.from({ length: n }, (_, i) => keyPairFromSeed('secp256k1', sha256(utf8(`${tag}-${i}`))));
}

export function keySetOf(pairs: ReturnType<typeof signers>, threshold: number): KeySet {
  return makeKeySet(
    threshold,
    pairs.map((p) => p.publicKey),
  );
}

/** Signing pairs ordered as the key set orders its keys (signer index i is key i). */
export function inKeySetOrder(ks: KeySet, pairs: ReturnType<typeof signers>) {
  return ks.keys.map((k) => pairs.find((p) => Buffer.compare(p.publicKey.bytes, k.bytes) === 0)!);
}

export const keySetEntry = (ks: KeySet) => ({ key: KEYSET_TREE_KEY, value: encodeKeySet(ks) });

/** A header with the given fields and zeros elsewhere. */
export function header(domain: Uint8Array, height: bigint, fields: Partial<Header> = {}): Header {
  return {
    domain,
    height,
    prevHash: new Uint8Array(32),
    stateRoot: new Uint8Array(32).fill(1),
    txRoot: new Uint8Array(32),
    timestamp: 1_000n + height,
    ...fields,
  };
}

export function sign(h: Header, ks: KeySet, pairs: ReturnType<typeof signers>): SignedHeader {
  return { header: h, signatures: signHeader(h, ks, pairs) };
}

/** The next header after `prev`, continuing it. */
export function next(prev: Header, fields: Partial<Header> = {}): Header {
  return header(prev.domain, prev.height + 1n, {
    prevHash: headerHash(prev),
    timestamp: prev.timestamp + 1n,
    stateRoot: sha256(prev.stateRoot),
    ...fields,
  });
}

/** Registers `domainId` with a genesis header whose state root is `root`. */
export async function registerRoot(env: EvmEnv, name: string, root: Uint8Array, ks: KeySet): Promise<Header> {
  const domain = sha256(utf8(name));
  const genesis = header(domain, 0n, { stateRoot: root });
  await registerDomain(env.evm, env.lightClient, genesis, ks);
  return genesis;
}
