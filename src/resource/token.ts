// The built-in `token` logic: fungible units owned by a public key (secp256k1 or ed25519).
// The owner lives in the value's data, the issuer and symbol in the label (so they are part
// of the kind). Minting is consuming an ephemeral token (issuer signs); burning is creating an
// ephemeral one (its owner signs); spending a real one needs its owner's signature.
import {
  decodeAll,
  equalPublicKeys,
  type PublicKey,
  type Reader,
  readPublicKey,
  WeftError,
  Writer,
  writePublicKey,
} from '../crypto/index.js';
import { createResource, type Random, type ResourceParts } from './create.js';
import {
  accept,
  defineLogic,
  type LogicInput,
  type LogicVerdict,
  type ResourceLogic,
  reject,
} from './logic.js';

/** Token symbols: 1 to 32 characters of A-Z, a-z, 0-9, '.', '_', '-'. */
export const TOKEN_SYMBOL_CHARS_MAX = 32;
const SYMBOL_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;
/** The token label encoding's version byte. */
export const TOKEN_LABEL_FORMAT = 0x01;

export type TokenLabel = { issuer: PublicKey; symbol: string };

/** Token label: u8 format (1) || issuer public key (tag || key) || u32 length || symbol (ASCII). */
export function tokenLabel(label: TokenLabel): Uint8Array {
  if (typeof label?.symbol !== 'string' || !SYMBOL_PATTERN.test(label.symbol)) {
    throw new WeftError(
      'BAD_INPUT',
      `token symbol must be 1 to ${TOKEN_SYMBOL_CHARS_MAX} of A-Z a-z 0-9 . _ -`,
    );
  }
  const w = new Writer(72).u8(TOKEN_LABEL_FORMAT);
  writePublicKey(w, label.issuer);
  w.bytes(new TextEncoder().encode(label.symbol), TOKEN_SYMBOL_CHARS_MAX);
  return w.finish();
}

/** Strict: throws CODEC on any other layout. */
export function decodeTokenLabel(bytes: Uint8Array): TokenLabel {
  return decodeAll(bytes, (r: Reader) => {
    const format = r.u8();
    if (format !== TOKEN_LABEL_FORMAT) throw new WeftError('CODEC', `unknown token label format ${format}`);
    const issuer = readPublicKey(r);
    const symbol = r.text(TOKEN_SYMBOL_CHARS_MAX);
    if (!SYMBOL_PATTERN.test(symbol))
      throw new WeftError('CODEC', 'token symbol has characters outside A-Z a-z 0-9 . _ -');
    return { issuer, symbol };
  });
}

/** Token value data: the owner's public key (tag || key). */
export function tokenData(owner: PublicKey): Uint8Array {
  const w = new Writer(34);
  writePublicKey(w, owner);
  return w.finish();
}

export function decodeTokenData(data: Uint8Array): PublicKey {
  return decodeAll(data, readPublicKey);
}

function decodeOr<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

// The label last decoded here and its bytes: a domain's transfers mostly move one token or a few,
// so the same label recurs (compared byte for byte, never assumed). checkToken only reads the
// label, so it may share the decoded object between calls; nothing outside sees it.
let lastLabelBytes: Uint8Array | undefined;
let lastLabel: TokenLabel | undefined;

function labelOf(bytes: Uint8Array): TokenLabel | undefined {
  if (lastLabelBytes !== undefined && bytes instanceof Uint8Array && bytes.length === lastLabelBytes.length) {
    let same = true;
    for (let i = 0; i < bytes.length && same; i++) same = bytes[i] === lastLabelBytes[i];
    if (same) return lastLabel;
  }
  const label = decodeOr(() => decodeTokenLabel(bytes));
  if (label !== undefined) {
    lastLabelBytes = bytes.slice();
    lastLabel = label;
  }
  return label;
}

function checkToken(input: LogicInput): LogicVerdict {
  const { self, role, isSignedBy } = input;
  const owner = decodeOr(() => decodeTokenData(self.value.data));
  if (!owner) return reject('the value data is not a token owner key');
  const label = labelOf(self.label);
  if (!label) return reject('the label is not a token label');
  if (role === 'consumed') {
    if (self.resource.isEphemeral) {
      // A copy: the decoded label is shared between calls, and a caller's isSignedBy gets its own.
      const issuer = { type: label.issuer.type, bytes: label.issuer.bytes.slice() };
      return isSignedBy(issuer) ? accept() : reject(`minting ${label.symbol} needs the issuer's signature`);
    }
    return isSignedBy(owner) ? accept() : reject(`spending ${label.symbol} needs the owner's signature`);
  }
  if (self.resource.isEphemeral) {
    return isSignedBy(owner) ? accept() : reject(`burning ${label.symbol} needs the owner's signature`);
  }
  return accept();
}

/** The built-in `token` logic, version 1. */
export const tokenLogic: ResourceLogic = defineLogic({ name: 'token', version: 1, check: checkToken });

export type CreateTokenParameters = {
  label: TokenLabel;
  owner: PublicKey;
  quantity: bigint;
  home: Uint8Array;
  nkCommitment: Uint8Array;
  isEphemeral?: boolean;
  random?: Random;
};

/**
 * A token resource with its preimages.
 *
 * @example
 * const coin = createToken({ label: { issuer: bank.publicKey, symbol: 'USD' }, owner: alice.publicKey,
 *   quantity: 100n, home: domainId('alpha'), nkCommitment: nkCommitment(nk) });
 */
export function createToken(p: CreateTokenParameters): ResourceParts {
  return createResource({
    logicRef: tokenLogic.ref,
    label: tokenLabel(p.label),
    quantity: p.quantity,
    home: p.home,
    data: tokenData(p.owner),
    nkCommitment: p.nkCommitment,
    isEphemeral: p.isEphemeral,
    random: p.random,
  });
}

/** True when `parts` is a token owned by `owner` (for wallets and tests). */
export function isOwnedBy(data: Uint8Array, owner: PublicKey): boolean {
  const got = decodeOr(() => decodeTokenData(data));
  return got !== undefined && equalPublicKeys(got, owner);
}
