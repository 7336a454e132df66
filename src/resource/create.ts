// Making resources: fresh ones homed on a domain, re-homed copies for cross-domain moves, and
// per-resource nullifier keys derived from one wallet secret. Randomness is injectable so a
// seeded test or simulator reproduces every byte.
import { randomBytes } from 'node:crypto';
import { assertBytes, sha256, utf8, WeftError, Writer } from '../crypto/index.js';
import { assertResource, DIGEST_BYTES, QUANTITY_MAX, type Resource } from './resource.js';
import { decodeValue, encodeValue, LABEL_BYTES_MAX, labelRef, valueRef } from './value.js';

/** A source of random bytes; the default is node:crypto's CSPRNG. */
export type Random = (bytes: number) => Uint8Array;

export const defaultRandom: Random = (n) => {
  const b = randomBytes(n);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
};

/** A resource with the preimages of its valueRef and labelRef, as transactions carry it. */
export type ResourceParts = { resource: Resource; value: Uint8Array; label: Uint8Array };

export type CreateResourceParameters = {
  logicRef: Uint8Array;
  /** the label preimage; labelRef = SHA256(label) */
  label: Uint8Array;
  quantity: bigint;
  /** DomainId of the home domain */
  home: Uint8Array;
  /** application fields, read by the logic */
  data: Uint8Array;
  nkCommitment: Uint8Array;
  isEphemeral?: boolean;
  /** a deadline (ms, a timestamp of the home's blocks) for consuming it there (value format 2); absent: none */
  deadline?: bigint;
  random?: Random;
};

/**
 * A new resource homed on `home` with a fresh nonce and randSeed.
 *
 * @example
 * const { resource, value, label } = createResource({ logicRef: tokenLogic.ref, label, quantity: 10n,
 *   home: domainId('alpha'), data: tokenData(owner), nkCommitment: nkCommitment(nk) });
 */
export function createResource(p: CreateResourceParameters): ResourceParts {
  assertBytes(p.logicRef, DIGEST_BYTES, 'logicRef');
  assertBytes(p.label, undefined, 'label');
  if (p.label.length > LABEL_BYTES_MAX) {
    throw new WeftError(
      'LABEL_TOO_LARGE',
      `label is ${p.label.length} bytes; the limit is ${LABEL_BYTES_MAX}`,
    );
  }
  assertBytes(p.nkCommitment, DIGEST_BYTES, 'nkCommitment');
  if (typeof p.quantity !== 'bigint' || p.quantity < 0n || p.quantity > QUANTITY_MAX) {
    throw new WeftError('BAD_INPUT', 'quantity must be a bigint from 0 to 2^128-1');
  }
  const random = p.random ?? defaultRandom;
  const value = encodeValue(
    p.deadline === undefined
      ? { home: p.home, data: p.data }
      : { home: p.home, deadline: p.deadline, data: p.data },
  );
  const resource: Resource = {
    logicRef: p.logicRef.slice(),
    labelRef: labelRef(p.label),
    valueRef: valueRef(value),
    quantity: p.quantity,
    isEphemeral: p.isEphemeral ?? false,
    nonce: fresh(random, 'nonce'),
    nkCommitment: p.nkCommitment.slice(),
    randSeed: fresh(random, 'randSeed'),
  };
  return { resource, value, label: p.label.slice() };
}

export type RehomeOptions = {
  /**
   * A deadline (ms, a timestamp of the new home's blocks) for consuming the copy at its new
   * home; past it, the domain that created the copy may refund it (docs/transfers.md). Absent:
   * the copy has none, whatever the original had.
   */
  deadline?: bigint;
};

/**
 * The copy of a resource to create on another domain in a cross-domain move: same logic,
 * label, quantity, nkCommitment, ephemerality and application data (so the same kind, and the
 * move balances); new nonce, randSeed and home, and the deadline `opts` gives (none by default).
 *
 * @example const moved = rehome(coin, domainId('beta'), undefined, { deadline: nowMs + 60_000n });
 */
export function rehome(
  parts: ResourceParts,
  home: Uint8Array,
  random: Random = defaultRandom,
  opts: RehomeOptions = {},
): ResourceParts {
  assertResource(parts.resource);
  const old = decodeValue(parts.value);
  const value = encodeValue(
    opts.deadline === undefined
      ? { home, data: old.data }
      : { home, deadline: opts.deadline, data: old.data },
  );
  const resource: Resource = {
    ...parts.resource,
    valueRef: valueRef(value),
    nonce: fresh(random, 'nonce'),
    randSeed: fresh(random, 'randSeed'),
  };
  return { resource, value, label: parts.label.slice() };
}

const NK_TAG = utf8('weft.nk');

/**
 * The nullifier key for resource number `index` of a wallet:
 * `SHA256("weft.nk" || walletSecret(32) || index(u64 BE))`. Distinct indices give unlinkable
 * nkCommitments; the wallet keeps the index beside the resource.
 */
export function deriveNullifierKey(walletSecret: Uint8Array, index: bigint): Uint8Array {
  assertBytes(walletSecret, 32, 'walletSecret');
  const input = new Writer(NK_TAG.length + 40)
    .fixed(NK_TAG, NK_TAG.length)
    .fixed(walletSecret, 32)
    .u64(index)
    .finish();
  return sha256(input);
}

function fresh(random: Random, name: string): Uint8Array {
  const bytes = random(DIGEST_BYTES);
  assertBytes(bytes, DIGEST_BYTES, `random ${name}`);
  return bytes.slice();
}
