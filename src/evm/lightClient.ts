// Driving WeftLightClient from TypeScript: signer addresses of a key set, registering a domain,
// submitting headers (batched when several), key-set changes and misbehaviour evidence.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { Address, Hex, TransactionReceipt } from 'viem';
import { getAddress } from 'viem';
import { toHex, WeftError } from '../crypto/index.js';
import { encodeHeader, encodeKeySet, type Header, type KeySet, type SignedHeader } from '../domain/index.js';
import type { Proof } from '../smt/index.js';
import { weftLightClientAbi } from './artifacts.js';
import type { EvmConnection } from './chain.js';
import { sendContract } from './contracts.js';
import { headerForEvm } from './header.js';
import { encodeProofForEvm } from './proof.js';

/** Most headers sent in one `submitHeaders` transaction (BATCH_HEADERS_MAX in the contract). */
export const EVM_HEADER_BATCH_MAX = 64;

const hex = (b: Uint8Array): Hex => toHex(b) as Hex;

/** The Ethereum address of a compressed secp256k1 public key: what `ecrecover` returns for it. */
export function evmAddressOf(publicKey: Uint8Array): Address {
  const point = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return getAddress(toHex(keccak_256(point.subarray(1)).subarray(12)));
}

/** The signer addresses of a key set, in key-set order (index i is key i), as `registerDomain` takes them. */
export function signerAddresses(ks: KeySet): Address[] {
  return ks.keys.map((k) => {
    if (k.type !== 'secp256k1') throw new WeftError('BAD_KEYSET', 'EVM light clients need secp256k1 keys');
    return evmAddressOf(k.bytes);
  });
}

/** Starts following a domain from a trusted header (owner only). */
export async function registerDomain(
  evm: EvmConnection,
  lightClient: Address,
  header: Header,
  keySet: KeySet,
): Promise<TransactionReceipt> {
  return sendContract(evm, {
    address: lightClient,
    abi: weftLightClientAbi,
    functionName: 'registerDomain',
    args: [hex(header.domain), hex(encodeHeader(header)), signerAddresses(keySet), keySet.threshold],
  });
}

/**
 * Submits consecutive signed headers of one domain: one `submitHeader` for one header, one
 * `submitHeaders` per `EVM_HEADER_BATCH_MAX` otherwise (a batch pays the base fee and the
 * domain's state writes once).
 */
export async function submitHeaders(
  evm: EvmConnection,
  lightClient: Address,
  headers: SignedHeader[],
): Promise<TransactionReceipt[]> {
  const receipts: TransactionReceipt[] = [];
  for (let i = 0; i < headers.length; i += EVM_HEADER_BATCH_MAX) {
    const chunk = headers.slice(i, i + EVM_HEADER_BATCH_MAX).map(headerForEvm);
    receipts.push(
      chunk.length === 1
        ? await sendContract(evm, {
            address: lightClient,
            abi: weftLightClientAbi,
            functionName: 'submitHeader',
            args: [chunk[0]!.header, chunk[0]!.signatures],
          })
        : await sendContract(evm, {
            address: lightClient,
            abi: weftLightClientAbi,
            functionName: 'submitHeaders',
            args: [chunk.map((c) => c.header), chunk.map((c) => c.signatures)],
          }),
    );
  }
  return receipts;
}

/** Follows a key-set change recorded under the latest accepted root (`proof` of `0x05 ‖ "keyset"`). */
export async function updateKeySet(
  evm: EvmConnection,
  lightClient: Address,
  domainId: Uint8Array,
  keySet: KeySet,
  proof: Proof,
): Promise<TransactionReceipt> {
  return sendContract(evm, {
    address: lightClient,
    abi: weftLightClientAbi,
    functionName: 'updateKeySet',
    args: [hex(domainId), hex(encodeKeySet(keySet)), hex(encodeProofForEvm(proof))],
  });
}

/** Submits equivocation evidence: two signed headers of one domain for one height. */
export async function submitMisbehaviour(
  evm: EvmConnection,
  lightClient: Address,
  a: SignedHeader,
  b: SignedHeader,
): Promise<TransactionReceipt> {
  const x = headerForEvm(a);
  const y = headerForEvm(b);
  return sendContract(evm, {
    address: lightClient,
    abi: weftLightClientAbi,
    functionName: 'submitMisbehaviour',
    args: [x.header, x.signatures, y.header, y.signatures],
  });
}
