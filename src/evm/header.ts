// Signed headers in the form WeftLightClient's `submitHeader(bytes header, bytes signatures)`
// takes: the canonical 145-byte header and the signatures exactly as nodes encode them.
import { toHex } from '../crypto/index.js';
import { encodeHeader, encodeSignedHeader, HEADER_BYTES, type SignedHeader } from '../domain/index.js';

/** The two `submitHeader` arguments of a signed header, 0x-hex for viem. */
export type EvmHeaderArgs = { header: `0x${string}`; signatures: `0x${string}` };

/**
 * The canonical header and its signer-indexed signatures, `u32 count ‖ count × (u8 signer ‖
 * r ‖ s ‖ v)`: the signature list of `encodeSignedHeader`, byte for byte.
 *
 * @example
 * const { header, signatures } = headerForEvm(await node.header(5n));
 * await lightClient.write.submitHeader([header, signatures]);
 */
export function headerForEvm(signed: SignedHeader): EvmHeaderArgs {
  const all = encodeSignedHeader(signed);
  return {
    header: toHex(encodeHeader(signed.header)) as `0x${string}`,
    signatures: toHex(all.subarray(HEADER_BYTES)) as `0x${string}`,
  };
}
