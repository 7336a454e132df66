// An EVM block header read over JSON-RPC and checked against its own hash: the header's fields,
// RLP-encoded in consensus order and hashed with keccak-256, must give the hash the endpoint
// names. What this buys: the header's `stateRoot` is bound to the block hash, so a storage proof
// under it (getProvenStorage) is as good as the endpoint's word on which block is canonical.
import { type Hex, hexToBigInt, isHex, keccak256, toRlp } from 'viem';
import { equalBytes, fromHex, WeftError } from '../crypto/index.js';

/** Most bytes of a header's `extraData` we accept (mainnet allows 32; a bound, not a rule). */
export const BLOCK_EXTRA_DATA_BYTES_MAX = 1_024;

/** A block header whose hash the follower recomputed from its fields. */
export type VerifiedBlockHeader = {
  number: bigint;
  hash: Uint8Array;
  parentHash: Uint8Array;
  stateRoot: Uint8Array;
  /** seconds, as the chain stamps it */
  timestamp: bigint;
};

type Field = { name: string; kind: 'bytes' | 'quantity'; bytes?: number };

/**
 * The header's fields in consensus (RLP) order: the yellow paper's fifteen, then each fork's
 * addition (EIP-1559 baseFeePerGas, EIP-4895 withdrawalsRoot, EIP-4844 blobGasUsed and
 * excessBlobGas, EIP-4788 parentBeaconBlockRoot, EIP-7685 requestsHash). The optional tail is
 * present up to the chain's fork: a later field without every earlier one is malformed.
 */
const HEADER_FIELDS: readonly Field[] = [
  { name: 'parentHash', kind: 'bytes', bytes: 32 },
  { name: 'sha3Uncles', kind: 'bytes', bytes: 32 },
  { name: 'miner', kind: 'bytes', bytes: 20 },
  { name: 'stateRoot', kind: 'bytes', bytes: 32 },
  { name: 'transactionsRoot', kind: 'bytes', bytes: 32 },
  { name: 'receiptsRoot', kind: 'bytes', bytes: 32 },
  { name: 'logsBloom', kind: 'bytes', bytes: 256 },
  { name: 'difficulty', kind: 'quantity' },
  { name: 'number', kind: 'quantity' },
  { name: 'gasLimit', kind: 'quantity' },
  { name: 'gasUsed', kind: 'quantity' },
  { name: 'timestamp', kind: 'quantity' },
  { name: 'extraData', kind: 'bytes' },
  { name: 'mixHash', kind: 'bytes', bytes: 32 },
  { name: 'nonce', kind: 'bytes', bytes: 8 },
];
const HEADER_FIELDS_OPTIONAL: readonly Field[] = [
  { name: 'baseFeePerGas', kind: 'quantity' },
  { name: 'withdrawalsRoot', kind: 'bytes', bytes: 32 },
  { name: 'blobGasUsed', kind: 'quantity' },
  { name: 'excessBlobGas', kind: 'quantity' },
  { name: 'parentBeaconBlockRoot', kind: 'bytes', bytes: 32 },
  { name: 'requestsHash', kind: 'bytes', bytes: 32 },
];

/** A JSON-RPC quantity as RLP wants it: big-endian, no leading zero byte, zero as no bytes. */
function quantityBytes(n: bigint): Uint8Array {
  const out: number[] = [];
  for (let x = n; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return Uint8Array.from(out);
}

function fieldBytes(block: Record<string, unknown>, f: Field, at: string): Uint8Array {
  const v = block[f.name];
  if (typeof v !== 'string' || !isHex(v, { strict: true }))
    throw new WeftError('BAD_RESPONSE', `block ${at}: header field ${f.name} is not hex`);
  if (f.kind === 'quantity') {
    // A header's integers are at most 256 bits (difficulty, base fee); most are 64.
    if (v.length > 2 + 64)
      throw new WeftError('BAD_RESPONSE', `block ${at}: ${f.name} is wider than 256 bits`);
    return quantityBytes(hexToBigInt(v));
  }
  if (v.length % 2 !== 0) throw new WeftError('BAD_RESPONSE', `block ${at}: ${f.name} is not whole bytes`);
  const bytes = fromHex(v);
  if (f.bytes !== undefined && bytes.length !== f.bytes)
    throw new WeftError('BAD_RESPONSE', `block ${at}: ${f.name} is ${bytes.length} bytes, not ${f.bytes}`);
  if (bytes.length > BLOCK_EXTRA_DATA_BYTES_MAX)
    throw new WeftError(
      'BAD_RESPONSE',
      `block ${at}: ${f.name} is ${bytes.length} bytes, more than ${BLOCK_EXTRA_DATA_BYTES_MAX}`,
    );
  return bytes;
}

/**
 * The hash a block header's fields give (keccak-256 of their RLP list), as an endpoint's
 * `eth_getBlockByNumber` object reports them. Throws BAD_RESPONSE on a malformed field.
 *
 * @example
 * const block = await client.request({ method: 'eth_getBlockByNumber', params: ['0x10', false] });
 * equalBytes(blockHeaderHash(block), fromHex(block.hash, 32)); // true for an honest endpoint
 */
export function blockHeaderHash(block: Record<string, unknown>): Uint8Array {
  const at = String(block.number);
  const items = HEADER_FIELDS.map((f) => fieldBytes(block, f, at));
  let ended = false;
  for (const f of HEADER_FIELDS_OPTIONAL) {
    if (block[f.name] === undefined || block[f.name] === null) {
      ended = true;
      continue;
    }
    if (ended)
      throw new WeftError('BAD_RESPONSE', `block ${at}: ${f.name} without the fields of earlier forks`);
    items.push(fieldBytes(block, f, at));
  }
  return fromHex(keccak256(toRlp(items)), 32);
}

/**
 * Reads block `blockNumber`'s header and checks that its fields hash to the hash the endpoint
 * names (and that it is the block asked for). Throws BAD_RESPONSE otherwise.
 *
 * @example
 * const h = await getVerifiedBlockHeader(client, 100n);
 * const values = await getProvenStorage(client, vault, [2n], h);
 */
export async function getVerifiedBlockHeader(
  client: { request: (args: { method: 'eth_getBlockByNumber'; params: [Hex, boolean] }) => Promise<unknown> },
  blockNumber: bigint,
): Promise<VerifiedBlockHeader> {
  if (blockNumber < 0n) throw new WeftError('BAD_INPUT', 'a block number is at least 0');
  const block = (await client.request({
    method: 'eth_getBlockByNumber',
    params: [`0x${blockNumber.toString(16)}`, false],
  })) as Record<string, unknown> | null;
  if (block === null || typeof block !== 'object')
    throw new WeftError('BAD_RESPONSE', `the endpoint has no block ${blockNumber}`);
  const hash = blockHeaderHash(block);
  const named =
    typeof block.hash === 'string' && /^0x[0-9a-fA-F]{64}$/.test(block.hash) ? block.hash : undefined;
  if (named === undefined || !equalBytes(hash, fromHex(named, 32)))
    throw new WeftError(
      'BAD_RESPONSE',
      `block ${blockNumber}'s header does not hash to the hash the endpoint names`,
    );
  const number = hexToBigInt(block.number as Hex);
  if (number !== blockNumber)
    throw new WeftError(
      'BAD_RESPONSE',
      `asked for block ${blockNumber}, the endpoint answered block ${number}`,
    );
  return {
    number,
    hash,
    parentHash: fromHex(block.parentHash as Hex, 32),
    stateRoot: fromHex(block.stateRoot as Hex, 32),
    timestamp: hexToBigInt(block.timestamp as Hex),
  };
}
