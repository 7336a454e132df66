// A contract's storage proven against a block's state root (EIP-1186 `eth_getProof`): the
// account proof under the header's `stateRoot` gives the account's `storageRoot`, and each
// storage proof under that gives a slot's value. The endpoint's own `value` and `storageHash`
// fields are never believed: every value comes out of a verified Merkle-Patricia path
// (@ethereumjs/mpt), so a lie must reach the header, whose hash getVerifiedBlockHeader checks.
import { verifyMerkleProof } from '@ethereumjs/mpt';
import { type Address, bytesToBigInt, fromRlp, type Hex, isAddress, keccak256 } from 'viem';
import { equalBytes, fromHex, WeftError } from '../crypto/index.js';
import type { VerifiedBlockHeader } from './blockHeader.js';

/** Most slots one proof request names. */
export const STORAGE_PROOF_SLOTS_MAX = 16;
/** Most nodes one Merkle-Patricia path may hold (64 nibbles of a hashed key, plus slack). */
export const MPT_PROOF_NODES_MAX = 70;
/** Most bytes of one proof node (a full branch node is at most 532). */
export const MPT_PROOF_NODE_BYTES_MAX = 1_024;
/** The root of an empty Merkle-Patricia trie: keccak256(RLP("")). */
const EMPTY_TRIE_ROOT = fromHex('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421', 32);

type RpcProof = {
  accountProof?: unknown;
  storageProof?: unknown;
};

/** The request `getProvenStorage` needs of a viem client. */
export type ProofClient = {
  request: (args: { method: 'eth_getProof'; params: [Address, Hex[], Hex] }) => Promise<unknown>;
};

function proofNodes(nodes: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(nodes) || nodes.length > MPT_PROOF_NODES_MAX)
    throw new WeftError('BAD_RESPONSE', `${what}: not a list of at most ${MPT_PROOF_NODES_MAX} nodes`);
  return nodes.map((n) => {
    if (
      typeof n !== 'string' ||
      !/^0x([0-9a-fA-F]{2})+$/.test(n) ||
      n.length > 2 + 2 * MPT_PROOF_NODE_BYTES_MAX
    )
      throw new WeftError(
        'BAD_RESPONSE',
        `${what}: a node is not hex of at most ${MPT_PROOF_NODE_BYTES_MAX} bytes`,
      );
    return fromHex(n);
  });
}

/** The value at `key` (hashed with keccak-256, as both tries key) under `root`, or null if absent. */
async function provenValue(root: Uint8Array, key: Uint8Array, proof: Uint8Array[], what: string) {
  // The library checks the first node against the root only when there is one: an empty
  // proof stands for the empty trie alone.
  if (proof.length === 0) {
    if (equalBytes(root, EMPTY_TRIE_ROOT)) return null;
    throw new WeftError('BAD_RESPONSE', `${what}: an empty proof under a non-empty root`);
  }
  if (!equalBytes(fromHex(keccak256(proof[0]!)), root))
    throw new WeftError('BAD_RESPONSE', `${what}: the proof does not start at the root`);
  try {
    return await verifyMerkleProof(key, proof, { root, useKeyHashing: true });
  } catch {
    throw new WeftError('BAD_RESPONSE', `${what}: the Merkle-Patricia proof does not verify`);
  }
}

function rlpBytes(b: Uint8Array, what: string): Uint8Array | readonly unknown[] {
  try {
    return fromRlp(b, 'bytes') as Uint8Array | readonly unknown[];
  } catch {
    throw new WeftError('BAD_RESPONSE', `${what}: the proven value is not RLP`);
  }
}

/**
 * Checks an `eth_getProof` answer for `address` and `slots` against a state root and returns
 * each slot's value (0 for an absent slot), in the order of `slots`; `null` when the account
 * does not exist at that root. Throws BAD_RESPONSE when any path does not verify.
 *
 * @example
 * const answer = await client.request({ method: 'eth_getProof', params: [vault, ['0x2'], '0x64'] });
 * const [count] = (await verifyStorageProof(header.stateRoot, vault, [2n], answer))!;
 */
export async function verifyStorageProof(
  stateRoot: Uint8Array,
  address: Address,
  slots: readonly bigint[],
  answer: unknown,
): Promise<bigint[] | null> {
  if (stateRoot.length !== 32) throw new WeftError('BAD_INPUT', 'a state root is 32 bytes');
  if (!isAddress(address, { strict: false }))
    throw new WeftError('BAD_INPUT', `'${address}' is not an address`);
  if (slots.length > STORAGE_PROOF_SLOTS_MAX)
    throw new WeftError('BAD_INPUT', `at most ${STORAGE_PROOF_SLOTS_MAX} slots per proof`);
  if (answer === null || typeof answer !== 'object')
    throw new WeftError('BAD_RESPONSE', 'eth_getProof answered nothing');
  const { accountProof, storageProof } = answer as RpcProof;
  const account = await provenValue(
    stateRoot,
    fromHex(address),
    proofNodes(accountProof, 'account proof'),
    'account proof',
  );
  if (account === null) return null;
  const fields = rlpBytes(account, 'account');
  // An account is RLP [nonce, balance, storageRoot, codeHash] (yellow paper §4.1).
  if (
    !Array.isArray(fields) ||
    fields.length !== 4 ||
    !(fields[2] instanceof Uint8Array) ||
    fields[2].length !== 32
  )
    throw new WeftError('BAD_RESPONSE', 'the proven account is not [nonce, balance, storageRoot, codeHash]');
  const storageRoot = fields[2] as Uint8Array;
  if (!Array.isArray(storageProof) || storageProof.length !== slots.length)
    throw new WeftError(
      'BAD_RESPONSE',
      `eth_getProof answered ${String((storageProof as unknown[])?.length)} storage proofs for ${slots.length} slots`,
    );
  const values: bigint[] = [];
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    if (slot < 0n || slot >= 1n << 256n) throw new WeftError('BAD_INPUT', 'a storage slot is a u256');
    const what = `storage slot ${slot}`;
    const nodes = proofNodes((storageProof[i] as { proof?: unknown } | null)?.proof, what);
    const v = await provenValue(
      storageRoot,
      fromHex(`0x${slot.toString(16).padStart(64, '0')}`, 32),
      nodes,
      what,
    );
    if (v === null) {
      values.push(0n);
      continue;
    }
    // A slot's value is RLP of its big-endian bytes without leading zeros.
    const word = rlpBytes(v, what);
    if (!(word instanceof Uint8Array) || word.length === 0 || word.length > 32 || word[0] === 0)
      throw new WeftError('BAD_RESPONSE', `${what}: the proven value is not a minimal word`);
    values.push(bytesToBigInt(word));
  }
  return values;
}

/**
 * Reads `slots` of `address` at the header's block with `eth_getProof` and proves them against
 * its state root (verifyStorageProof); `null` when the account does not exist there.
 *
 * @example
 * const header = await getVerifiedBlockHeader(client, target);
 * const [count, root] = (await getProvenStorage(client, vault, [2n, 35n], header))!;
 */
export async function getProvenStorage(
  client: ProofClient,
  address: Address,
  slots: readonly bigint[],
  header: Pick<VerifiedBlockHeader, 'number' | 'stateRoot'>,
): Promise<bigint[] | null> {
  let answer: unknown;
  try {
    answer = await client.request({
      method: 'eth_getProof',
      params: [address, slots.map((s) => `0x${s.toString(16)}` as Hex), `0x${header.number.toString(16)}`],
    });
  } catch (e) {
    throw new WeftError(
      'UNAVAILABLE',
      `the endpoint did not answer eth_getProof at block ${header.number}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  return verifyStorageProof(header.stateRoot, address, slots, answer);
}

/** The storage slot of `mapping(bytes32 => _)` entry `key` when the mapping sits at `slot` (Solidity's layout). */
export function mappingSlot(key: Uint8Array, slot: bigint): bigint {
  if (key.length !== 32) throw new WeftError('BAD_INPUT', 'a bytes32 mapping key is 32 bytes');
  const word = fromHex(`0x${slot.toString(16).padStart(64, '0')}`, 32);
  const both = new Uint8Array(64);
  both.set(key, 0);
  both.set(word, 32);
  return BigInt(keccak256(both));
}
