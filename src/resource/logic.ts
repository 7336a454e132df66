// Resource logics: the deterministic predicates that decide whether a resource may be consumed
// or created in a transaction, found by logicRef in a registry. See docs/resource-logics.md.
import { assertBytes, hexKey, type PublicKey, sha256, utf8, WeftError, Writer } from '../crypto/index.js';
import type { Resource } from './resource.js';
import type { ResourceValue } from './value.js';

/** Logic names: 1 to 64 bytes of lowercase ASCII letters, digits, '.', '_' and '-'. */
export const LOGIC_NAME_BYTES_MAX = 64;
const LOGIC_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Longest reason a logic may give for a rejection; longer ones are cut. */
export const LOGIC_REASON_CHARS_MAX = 200;
/** Most logics one registry holds. */
export const REGISTRY_LOGICS_MAX = 4096;

export type LogicRole = 'consumed' | 'created';

/** A resource as a logic sees it: checked against its refs, value decoded, hashes computed. */
export type ResourceView = {
  resource: Resource;
  value: ResourceValue;
  /** the label preimage (SHA256(label) == resource.labelRef) */
  label: Uint8Array;
  commitment: Uint8Array;
  /** the nullifier, for consumed resources; null for created ones */
  nullifier: Uint8Array | null;
  kind: Uint8Array;
};

export type ActionView = { consumed: readonly ResourceView[]; created: readonly ResourceView[] };

/** The whole transaction, as logics see it. `id` is what signatures sign. */
export type TransactionView = {
  id: Uint8Array;
  actions: readonly ActionView[];
  appData: Uint8Array;
  /** every public key whose signature over `id` verified */
  signers: readonly PublicKey[];
};

export type LogicInput = {
  self: ResourceView;
  role: LogicRole;
  actionIndex: number;
  /** position of `self` in its action's consumed or created list */
  index: number;
  tx: TransactionView;
  /** true when `publicKey` signed the transaction id (signatures are verified before logics run) */
  isSignedBy(publicKey: PublicKey): boolean;
};

export type LogicVerdict = { ok: true } | { ok: false; reason: string };

export interface ResourceLogic {
  readonly name: string;
  readonly version: number;
  /** SHA256("weft.logic" || u32 name length || name || u32 version) */
  readonly ref: Uint8Array;
  /** Must be deterministic: no I/O, clock or randomness; reads only its input. */
  check(input: LogicInput): LogicVerdict;
}

export const ACCEPT: LogicVerdict = Object.freeze({ ok: true });

export function accept(): LogicVerdict {
  return ACCEPT;
}

export function reject(reason: string): LogicVerdict {
  return { ok: false, reason };
}

const LOGIC_TAG = utf8('weft.logic');

/**
 * logicRef = SHA256(utf8("weft.logic") || u32 BE byte length of name || utf8(name) || u32 BE version).
 *
 * @example logicRef('token', 1)
 */
export function logicRef(name: string, version: number): Uint8Array {
  assertLogicName(name);
  if (!Number.isInteger(version) || version < 0 || version > 0xffffffff) {
    throw new WeftError('BAD_INPUT', `logic version must be a u32, got ${version}`);
  }
  const w = new Writer(64)
    .fixed(LOGIC_TAG, LOGIC_TAG.length)
    .bytes(utf8(name), LOGIC_NAME_BYTES_MAX)
    .u32(version);
  return sha256(w.finish());
}

function assertLogicName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !LOGIC_NAME_PATTERN.test(name)) {
    throw new WeftError(
      'BAD_INPUT',
      `logic name must be 1 to ${LOGIC_NAME_BYTES_MAX} characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit`,
    );
  }
}

export type DefineLogicParameters = {
  name: string;
  version: number;
  check: (input: LogicInput) => LogicVerdict;
};

/**
 * A logic with its ref computed from name and version.
 *
 * @example
 * const open = defineLogic({ name: 'open', version: 1, check: () => accept() });
 */
export function defineLogic(p: DefineLogicParameters): ResourceLogic {
  if (typeof p.check !== 'function') throw new WeftError('BAD_INPUT', 'a logic needs a check function');
  const ref = logicRef(p.name, p.version);
  return Object.freeze({ name: p.name, version: p.version, ref, check: p.check });
}

/** Looks logics up by logicRef: what validation needs from a registry. */
export type LogicLookup = { get(ref: Uint8Array): ResourceLogic | undefined };

function refKey(ref: Uint8Array): string {
  return hexKey(ref);
}

/**
 * logicRef -> logic. Registering checks that the ref really is the hash of name and version
 * and refuses a second logic under a ref already taken.
 */
export class LogicRegistry implements LogicLookup {
  private readonly byRef = new Map<string, ResourceLogic>();

  constructor(logics: readonly ResourceLogic[] = []) {
    for (const l of logics) this.register(l);
  }

  register(logic: ResourceLogic): this {
    assertBytes(logic?.ref, 32, 'logic.ref');
    if (typeof logic.check !== 'function')
      throw new WeftError('BAD_INPUT', `logic ${logic.name} has no check function`);
    const expected = logicRef(logic.name, logic.version);
    if (refKey(expected) !== refKey(logic.ref)) {
      throw new WeftError(
        'BAD_INPUT',
        `logic ${logic.name} v${logic.version} has a ref that is not its logicRef`,
      );
    }
    const key = refKey(logic.ref);
    if (this.byRef.has(key)) {
      throw new WeftError('LOGIC_EXISTS', `a logic is already registered as ${logic.name} v${logic.version}`);
    }
    if (this.byRef.size >= REGISTRY_LOGICS_MAX) {
      throw new WeftError('LIMIT_EXCEEDED', `a registry holds at most ${REGISTRY_LOGICS_MAX} logics`);
    }
    this.byRef.set(key, logic);
    return this;
  }

  get(ref: Uint8Array): ResourceLogic | undefined {
    if (!(ref instanceof Uint8Array) || ref.length !== 32) return undefined;
    return this.byRef.get(refKey(ref));
  }

  has(ref: Uint8Array): boolean {
    return this.get(ref) !== undefined;
  }

  get size(): number {
    return this.byRef.size;
  }

  list(): ResourceLogic[] {
    return [...this.byRef.values()];
  }
}
