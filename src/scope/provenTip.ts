// The proven tip of one domain: advances height by height once a threshold of the configured
// provers attested the committed root there; convicts and excludes provers who sign wrong roots.
import {
  assertPublicKey,
  encodePublicKey,
  equalBytes,
  hexKey,
  type PublicKey,
  Reader,
  WeftError,
  Writer,
} from '../crypto/index.js';
import {
  decodeProverEvidence,
  decodeSignedAttestation,
  encodeProverEvidence,
  encodeSignedAttestation,
  evidenceProver,
  type ProverEvidence,
  SIGNED_ATTESTATION_BYTES_MAX,
  type SignedAttestation,
  verifyAttestation,
  verifyProverEvidence,
} from './attestation.js';
import { ATTESTATION_WINDOW_HEIGHTS, PROVERS_MAX } from './limits.js';

/** The provers a domain configured and how many must attest a height. */
export type ProverSet = { provers: PublicKey[]; threshold: number };

export type ProvenTipOptions = {
  domain: Uint8Array;
  provers: ProverSet;
  /** proven tip to start from (default 0, genesis) */
  provenHeight?: bigint;
  /** the state root of the committed header at `height`, when the domain has it */
  committedRoot: (height: bigint) => Uint8Array | undefined;
};

/** What adding an attestation did. */
export type AttestationOutcome = {
  /** counted toward its height (false: stale, or a root other than the committed one) */
  counted: boolean;
  /** the new proven tip, when it moved */
  advancedTo: bigint | null;
  /** evidence found by this attestation (its prover is now excluded) */
  evidence: ProverEvidence | null;
  /** the attested root differs from the committed one: re-execute the block to learn who lies */
  mismatch: boolean;
};

/**
 * @example
 * const tip = new ProvenTip({ domain, provers: { provers: [p1, p2, p3], threshold: 2 }, committedRoot });
 * tip.add(signAttestation(prover1, { domain, height: 1n, stateRoot }));
 */
export class ProvenTip {
  readonly domain: Uint8Array;
  private readonly set: Map<string, PublicKey>;
  private readonly threshold: number;
  private readonly committedRoot: (height: bigint) => Uint8Array | undefined;
  /** height -> prover key -> its attestation of that height */
  private readonly byHeight = new Map<bigint, Map<string, SignedAttestation>>();
  private readonly excludedKeys = new Map<string, ProverEvidence>();
  private tip: bigint;

  constructor(opts: ProvenTipOptions) {
    const { provers, threshold } = opts.provers;
    if (!Array.isArray(provers) || provers.length === 0 || provers.length > PROVERS_MAX) {
      throw new WeftError('BAD_INPUT', `a prover set holds 1 to ${PROVERS_MAX} provers`);
    }
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > provers.length) {
      throw new WeftError('BAD_INPUT', 'the prover threshold is between 1 and the number of provers');
    }
    this.set = new Map();
    for (const p of provers) {
      assertPublicKey(p, 'prover');
      const k = proverKey(p);
      if (this.set.has(k)) throw new WeftError('BAD_INPUT', 'a prover appears twice in the set');
      this.set.set(k, p);
    }
    this.domain = opts.domain;
    this.threshold = threshold;
    this.committedRoot = opts.committedRoot;
    this.tip = opts.provenHeight ?? 0n;
  }

  /** The proven height: every height up to it was attested by a threshold of provers, in order. */
  get height(): bigint {
    return this.tip;
  }

  /** Evidence held against excluded provers. */
  evidence(): ProverEvidence[] {
    return [...this.excludedKeys.values()];
  }

  /** The attestations kept for `height` (above the tip, not yet counted), in key order. */
  pendingAt(height: bigint): SignedAttestation[] {
    const m = this.byHeight.get(height);
    return m ? [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s) : [];
  }

  isExcluded(prover: PublicKey): boolean {
    return this.excludedKeys.has(proverKey(prover));
  }

  /**
   * Adds a signed attestation. Refuses (throws) one for another domain (`ATTESTATION_WRONG_DOMAIN`),
   * from a key outside the set (`PROVER_UNKNOWN`) or an excluded one (`PROVER_EXCLUDED`), with a
   * bad signature (`BAD_SIGNATURE`) or too far above the tip (`ATTESTATION_TOO_FAR`).
   */
  add(s: SignedAttestation): AttestationOutcome {
    const a = s.attestation;
    if (!(a.domain instanceof Uint8Array) || !equalBytes(a.domain, this.domain)) {
      throw new WeftError('ATTESTATION_WRONG_DOMAIN', 'the attestation is for another domain');
    }
    const key = proverKey(s.prover);
    if (!this.set.has(key))
      throw new WeftError('PROVER_UNKNOWN', 'the attestation is signed by a key outside the prover set');
    if (this.excludedKeys.has(key))
      throw new WeftError('PROVER_EXCLUDED', 'the prover was excluded on evidence');
    if (!verifyAttestation(s))
      throw new WeftError('BAD_SIGNATURE', 'the attestation signature does not verify');
    if (a.height > this.tip + BigInt(ATTESTATION_WINDOW_HEIGHTS)) {
      throw new WeftError(
        'ATTESTATION_TOO_FAR',
        `attestations are kept up to ${ATTESTATION_WINDOW_HEIGHTS} heights above the tip`,
      );
    }
    const none: AttestationOutcome = { counted: false, advancedTo: null, evidence: null, mismatch: false };
    let atHeight = this.byHeight.get(a.height);
    const earlier = atHeight?.get(key);
    if (earlier && !equalBytes(earlier.attestation.stateRoot, a.stateRoot)) {
      const evidence: ProverEvidence = { kind: 'conflict', first: earlier, second: s };
      this.exclude(evidence);
      return { ...none, evidence };
    }
    if (a.height <= this.tip || earlier) return none;
    const committed = this.committedRoot(a.height);
    const mismatch = committed !== undefined && !equalBytes(committed, a.stateRoot);
    if (!atHeight) this.byHeight.set(a.height, (atHeight = new Map()));
    atHeight.set(key, s);
    const advancedTo = this.advance();
    return { counted: !mismatch, advancedTo, evidence: null, mismatch };
  }

  /**
   * Checks an attestation against the root a full-mode verifier re-executed the block to; on a
   * difference, returns the evidence and excludes the prover.
   */
  checkReexecution(s: SignedAttestation, recomputedRoot: Uint8Array): ProverEvidence | null {
    const evidence: ProverEvidence = { kind: 'reexecution', attestation: s, recomputedRoot };
    if (!verifyProverEvidence(evidence)) return null;
    if (this.set.has(proverKey(s.prover))) this.exclude(evidence);
    return evidence;
  }

  /** Excludes the prover `evidence` convicts (BAD_INPUT unless it verifies): its attestations stop counting. */
  exclude(evidence: ProverEvidence): void {
    if (!verifyProverEvidence(evidence))
      throw new WeftError('BAD_INPUT', 'the evidence does not convict anyone');
    const key = proverKey(evidenceProver(evidence));
    if (this.excludedKeys.has(key)) return;
    this.excludedKeys.set(key, evidence);
    for (const m of this.byHeight.values()) m.delete(key);
  }

  /**
   * What to persist: `u8 format (1) || tip u64 || list(evidence: bytes) || list(pending attestations: bytes)`,
   * attestations in height then key order. The prover set and the committed roots are configuration.
   */
  snapshot(): Uint8Array {
    const w = new Writer(512).u8(1).u64(this.tip);
    w.list([...this.excludedKeys.values()], PROVERS_MAX, (w, e) =>
      w.bytes(encodeProverEvidence(e), 4 * SIGNED_ATTESTATION_BYTES_MAX),
    );
    const pending = [...this.byHeight]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([, m]) => [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s));
    w.list(pending, ATTESTATION_WINDOW_HEIGHTS * PROVERS_MAX, (w, s) =>
      w.bytes(encodeSignedAttestation(s), SIGNED_ATTESTATION_BYTES_MAX),
    );
    return w.finish();
  }

  /**
   * A tracker with `opts` and the state a snapshot holds (its tip, or `opts.provenHeight` when
   * higher); every attestation and evidence is re-checked.
   */
  static restore(opts: ProvenTipOptions, bytes: Uint8Array): ProvenTip {
    const r = new Reader(bytes);
    if (r.u8() !== 1) throw new WeftError('CODEC', 'unknown proven tip snapshot format');
    // The caller's tip wins when it is ahead (heights proven after the snapshot was taken).
    const saved = r.u64();
    const given = opts.provenHeight ?? 0n;
    const tip = new ProvenTip({ ...opts, provenHeight: given > saved ? given : saved });
    for (const e of r.list(PROVERS_MAX, (r) =>
      decodeProverEvidence(r.bytes(4 * SIGNED_ATTESTATION_BYTES_MAX)),
    ))
      tip.exclude(e);
    const pending = r.list(ATTESTATION_WINDOW_HEIGHTS * PROVERS_MAX, (r) =>
      decodeSignedAttestation(r.bytes(SIGNED_ATTESTATION_BYTES_MAX)),
    );
    r.end();
    for (const s of pending) tip.add(s);
    return tip;
  }

  /** Re-checks heights above the tip (after the domain learned a committed root). */
  advance(): bigint | null {
    const start = this.tip;
    for (;;) {
      const h = this.tip + 1n;
      const root = this.committedRoot(h);
      const atHeight = this.byHeight.get(h);
      if (!root || !atHeight) break;
      let count = 0;
      for (const [k, s] of atHeight) {
        if (!this.excludedKeys.has(k) && equalBytes(s.attestation.stateRoot, root)) count++;
      }
      if (count < this.threshold) break;
      this.tip = h;
      this.byHeight.delete(h);
    }
    return this.tip > start ? this.tip : null;
  }
}

function proverKey(p: PublicKey): string {
  return hexKey(encodePublicKey(p));
}
