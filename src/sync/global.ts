// The global root: a second-order tree over DomainId -> state root, as one observer knows the
// domains (ARCHITECTURE.md §1). A global inclusion proof chains a proof in a domain's tree with
// a proof that the global tree holds that domain's root (docs/sync.md, "Global root").
import { assertBytes, check, decodeAll, equalBytes, WeftError, Writer } from '../crypto/index.js';
import {
  decodeProof,
  encodeProof,
  KEY_BYTES_MAX,
  type Proof,
  Smt,
  VALUE_BYTES_MAX,
  verifyProof,
  type Write,
} from '../smt/index.js';
import { SINGLE_PROOF_BYTES_MAX } from './limits.js';

export const GLOBAL_PROOF_FORMAT = 0x01;
/** Most domains one global-tree update may set. */
export const GLOBAL_UPDATE_ENTRIES_MAX = 65_536;

/** A proof about a key in a domain tree, under that domain's state root. */
export type DomainProof = { root: Uint8Array; key: Uint8Array; value: Uint8Array | null; proof: Proof };

/**
 * `key -> value` (or absence, for `value: null`) in the tree of `domainId` whose root is
 * `domainRoot`, and `domainId -> domainRoot` in the global tree.
 */
export type GlobalInclusionProof = {
  domainId: Uint8Array;
  domainRoot: Uint8Array;
  key: Uint8Array;
  value: Uint8Array | null;
  domainProof: Proof;
  globalProof: Proof;
};

/**
 * The observer's global tree. Updates run one at a time, in call order.
 *
 * @example
 * const g = new GlobalRoot();
 * await g.update(sync.roots());
 * const proof = g.proveInclusion(alpha.id, { root, key, value, proof });
 * verifyGlobalInclusion(g.root(), proof); // true
 */
export class GlobalRoot {
  private readonly smt = Smt.inMemory();
  private queue: Promise<unknown> = Promise.resolve();

  /** Sets each domain's root (last entry for a domain wins); resolves with the new global root. */
  update(entries: { domainId: Uint8Array; root: Uint8Array }[]): Promise<Uint8Array> {
    check(Array.isArray(entries), 'BAD_INPUT', 'entries must be an array');
    check(
      entries.length <= GLOBAL_UPDATE_ENTRIES_MAX,
      'LIMIT_EXCEEDED',
      `one update sets at most ${GLOBAL_UPDATE_ENTRIES_MAX} domains`,
    );
    const writes: Write[] = entries.map((e, i) => {
      assertBytes(e?.domainId, 32, `entries[${i}].domainId`);
      assertBytes(e?.root, 32, `entries[${i}].root`);
      return { key: e.domainId.slice(), value: e.root.slice() };
    });
    const run = async (): Promise<Uint8Array> => {
      if (writes.length === 0) return this.smt.root();
      const next = await this.smt.apply(writes);
      // Only the latest version is ever read: older ones would only grow memory, one per update.
      await this.smt.prune(next.version);
      return next.root;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Sets one domain's root. */
  set(domainId: Uint8Array, root: Uint8Array): Promise<Uint8Array> {
    return this.update([{ domainId, root }]);
  }

  /** The global root now (the empty root before any update). */
  root(): Uint8Array {
    return this.smt.root();
  }

  /** The root the global tree holds for `domainId`, or null. */
  get(domainId: Uint8Array): Uint8Array | null {
    assertBytes(domainId, 32, 'domainId');
    return this.smt.getSync(domainId);
  }

  /** Proof of `domainId -> root` (or of its absence) under the current global root. */
  proveDomain(domainId: Uint8Array): Proof {
    assertBytes(domainId, 32, 'domainId');
    return this.smt.proveSync(domainId);
  }

  /**
   * Chains a domain-tree proof with the global tree's proof of that domain's root. Refused with
   * UNKNOWN_ROOT when the global tree does not hold `domainProof.root` for the domain, and
   * BAD_PROOF when the domain proof does not verify under it.
   */
  proveInclusion(domainId: Uint8Array, domainProof: DomainProof): GlobalInclusionProof {
    assertBytes(domainId, 32, 'domainId');
    check(domainProof && typeof domainProof === 'object', 'BAD_INPUT', 'domainProof must be an object');
    assertBytes(domainProof.root, 32, 'domainProof.root');
    const held = this.get(domainId);
    if (held === null || !equalBytes(held, domainProof.root)) {
      throw new WeftError('UNKNOWN_ROOT', 'the global tree does not hold this root for the domain', {
        details: 'Update the global root with the domain root first.',
      });
    }
    if (!verifyProof(domainProof.root, domainProof.key, domainProof.value, domainProof.proof)) {
      throw new WeftError('BAD_PROOF', 'the domain proof does not verify under the domain root');
    }
    return {
      domainId: domainId.slice(),
      domainRoot: domainProof.root.slice(),
      key: domainProof.key.slice(),
      value: domainProof.value === null ? null : domainProof.value.slice(),
      domainProof: domainProof.proof,
      globalProof: this.smt.proveSync(domainId),
    };
  }
}

/**
 * Whether `proof` shows its key and value (or absence) in the domain tree whose root the global
 * tree with root `globalRoot` holds for its domain. Both proofs are checked from the caller's
 * `globalRoot` down; nothing in the proof is believed.
 */
export function verifyGlobalInclusion(globalRoot: Uint8Array, proof: GlobalInclusionProof): boolean {
  try {
    if (!(globalRoot instanceof Uint8Array) || globalRoot.length !== 32) return false;
    const { domainId, domainRoot, key, value, domainProof, globalProof } = proof;
    if (!(domainId instanceof Uint8Array) || domainId.length !== 32) return false;
    if (!(domainRoot instanceof Uint8Array) || domainRoot.length !== 32) return false;
    return (
      verifyProof(globalRoot, domainId, domainRoot, globalProof) &&
      verifyProof(domainRoot, key, value, domainProof)
    );
  } catch {
    return false;
  }
}

/**
 * u8 format || domainId 32 || domainRoot 32 || key bytes || bool hasValue || [value bytes] ||
 * domainProof bytes || globalProof bytes (each proof in its single-proof encoding).
 */
export function encodeGlobalInclusionProof(p: GlobalInclusionProof): Uint8Array {
  const w = new Writer(1024);
  w.u8(GLOBAL_PROOF_FORMAT).fixed(p.domainId, 32).fixed(p.domainRoot, 32).bytes(p.key, KEY_BYTES_MAX);
  w.bool(p.value !== null);
  if (p.value !== null) w.bytes(p.value, VALUE_BYTES_MAX);
  w.bytes(encodeProof(p.domainProof), SINGLE_PROOF_BYTES_MAX);
  w.bytes(encodeProof(p.globalProof), SINGLE_PROOF_BYTES_MAX);
  return w.finish();
}

export function decodeGlobalInclusionProof(bytes: Uint8Array): GlobalInclusionProof {
  return decodeAll(bytes, (r) => {
    const format = r.u8();
    check(format === GLOBAL_PROOF_FORMAT, 'CODEC', `unknown global inclusion proof format ${format}`);
    const domainId = r.fixed(32).slice();
    const domainRoot = r.fixed(32).slice();
    const key = r.bytes(KEY_BYTES_MAX).slice();
    const value = r.bool() ? r.bytes(VALUE_BYTES_MAX).slice() : null;
    const domainProof = decodeProof(r.bytes(SINGLE_PROOF_BYTES_MAX));
    const globalProof = decodeProof(r.bytes(SINGLE_PROOF_BYTES_MAX));
    return { domainId, domainRoot, key, value, domainProof, globalProof };
  });
}
