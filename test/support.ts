// Test fixtures: seeded randomness, a toy domain ledger (an SMT of commitments and nullifiers,
// accepted anchors) and builders for token transactions. Not a test file itself.
import { expect } from 'vitest';
import { type KeyPair, type PublicKey, sha256, toHex, utf8, WeftError } from '../src/crypto/index.js';
import {
  builtinRegistry,
  commitment,
  createToken,
  domainId,
  type LogicRegistry,
  nkCommitment,
  nullifier,
  type Random,
  type ResourceParts,
} from '../src/resource/index.js';
import { type HasherName, Smt } from '../src/smt/index.js';
import {
  type CommitmentProof,
  type Consumed,
  type Created,
  commitmentKey,
  encodeHeight,
  nullifierKey,
  type Transaction,
  type ValidationContext,
  type ValidTransaction,
  validateTransaction,
} from '../src/tx/index.js';

/** Deterministic bytes from a seed: SHA256(seed || counter), as many as asked. */
export function seededRandom(seed: string): Random {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = sha256(utf8(`${seed}/${counter++}`));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

export function bytes32(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

/** Asserts `fn` throws a WeftError with `code` (and returns it for message checks). */
export function expectCode(fn: () => unknown, code: string): WeftError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WeftError)) throw e;
    expect(e.code, e.message).toBe(code);
    return e;
  }
  throw new Error(`expected WeftError ${code}, nothing was thrown`);
}

/** A resource the wallet holds: the parts plus the nullifier key. */
export type Held = ResourceParts & { nk: Uint8Array };

/**
 * A toy domain: commitments and nullifiers in one SMT, heights, the roots it accepts (its own
 * and remote ones), and a registry. `apply` validates and then writes, as a domain would.
 */
export class Ledger {
  readonly smt: Smt;
  readonly id: Uint8Array;
  readonly logics: LogicRegistry;
  height = 0n;
  private readonly spent = new Set<string>();
  private readonly anchors = new Map<string, HasherName>();

  constructor(
    readonly name: string,
    opts: { hasher?: HasherName; logics?: LogicRegistry } = {},
  ) {
    this.smt = Smt.inMemory({ hasher: opts.hasher });
    this.id = domainId(name);
    this.logics = opts.logics ?? builtinRegistry();
    this.anchors.set(toHex(this.smt.root()), opts.hasher ?? 'weft');
  }

  get hasher(): HasherName {
    return this.anchors.get(toHex(this.smt.root())) ?? 'weft';
  }

  /** Accept another ledger's current root as an anchor (what sync will do). */
  acceptRemote(other: Ledger): void {
    this.anchors.set(toHex(other.smt.root()), other.hasher);
  }

  context(): ValidationContext {
    return {
      domainId: this.id,
      isAnchorAccepted: (root) => this.anchors.has(toHex(root)),
      isNullifierSpent: (nf) => this.spent.has(toHex(nf)),
      logics: this.logics,
      anchorHasher: (root) => this.anchors.get(toHex(root)) ?? 'weft',
    };
  }

  /** Writes commitments directly (genesis), as if created at the next height. */
  async seed(resources: readonly ResourceParts[]): Promise<void> {
    await this.write(
      resources.map((r) => commitment(r.resource)),
      [],
    );
  }

  /** Validates and applies a transaction; returns its effects. */
  async apply(tx: Transaction): Promise<ValidTransaction> {
    const valid = validateTransaction(tx, this.context());
    await this.write(valid.commitments, valid.nullifiers);
    return valid;
  }

  private async write(cms: readonly Uint8Array[], nfs: readonly Uint8Array[]): Promise<void> {
    const hasher = this.hasher;
    this.height++;
    const h = encodeHeight(this.height);
    await this.smt.apply([
      ...cms.map((cm) => ({ key: commitmentKey(cm), value: h })),
      ...nfs.map((nf) => ({ key: nullifierKey(nf), value: h })),
    ]);
    for (const nf of nfs) this.spent.add(toHex(nf));
    this.anchors.set(toHex(this.smt.root()), hasher);
  }

  /** The commitment proof of a resource under the current root. */
  async proofOf(r: ResourceParts): Promise<CommitmentProof> {
    const key = commitmentKey(commitment(r.resource));
    const height = await this.smt.get(key);
    if (height === null) throw new Error('resource is not committed in this ledger');
    const view = new DataView(height.buffer, height.byteOffset, 8);
    return { anchor: this.smt.root(), height: view.getBigUint64(0), proof: await this.smt.prove(key) };
  }

  /** A consumed entry for a held resource, proven under the current root (or none if ephemeral). */
  async consume(h: Held): Promise<Consumed> {
    return {
      resource: h.resource,
      value: h.value,
      label: h.label,
      nk: h.nk,
      commitmentProof: h.resource.isEphemeral ? null : await this.proofOf(h),
    };
  }

  isSpent(h: Held): boolean {
    return this.spent.has(toHex(nullifier(h.resource, h.nk)));
  }
}

export function created(p: ResourceParts): Created {
  return { resource: p.resource, value: p.value, label: p.label };
}

export type Token = { issuer: KeyPair; symbol: string };

/** Makes token resources with per-resource nullifier keys from a seeded source. */
export class Mint {
  constructor(
    readonly token: Token,
    readonly random: Random,
  ) {}

  make(owner: PublicKey, quantity: bigint, home: Uint8Array, isEphemeral = false): Held {
    const nk = this.random(32);
    const parts = createToken({
      label: { issuer: this.token.issuer.publicKey, symbol: this.token.symbol },
      owner,
      quantity,
      home,
      nkCommitment: nkCommitment(nk),
      isEphemeral,
      random: this.random,
    });
    return { ...parts, nk };
  }
}
