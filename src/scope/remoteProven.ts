// What an observer knows of other domains' proven tips (docs/provers.md, "Across domains"): one
// ProvenTip per followed domain, over the prover set that domain published, counting attestations
// that arrive over the transport against the headers the observer accepted. An attestation of a
// root other than the one a block re-executed to (the observer verified it in full mode) convicts
// its prover here, whoever else believes it. Persisted as one snapshot (`snapshot`/`load`).
import { check, equalBytes, hexKey, Reader, WeftError, Writer } from '../crypto/index.js';
import type { ProverEvidence, SignedAttestation } from './attestation.js';
import { type AttestationOutcome, ProvenTip, type ProverSet } from './provenTip.js';

/** Most domains whose proven tips one observer tracks. */
export const REMOTE_PROVEN_DOMAINS_MAX = 4096;
/** Largest snapshot of one domain's tracker (evidence and pending attestations included). */
export const REMOTE_PROVEN_SNAPSHOT_BYTES_MAX = 16 * 1024 * 1024;
/** Format byte of a remote proven tips snapshot. */
export const REMOTE_PROVEN_FORMAT = 1;

/**
 * A header the observer accepted of a followed domain: its state root, and whether the observer
 * re-executed the block (full mode) — then that root is a verified fact, not the sequencer's word.
 */
export type AcceptedRoot = { stateRoot: Uint8Array; reexecuted: boolean };

/** What adding a remote attestation did: ProvenTip's outcome, with the evidence re-execution gave. */
export type RemoteAttestationOutcome = AttestationOutcome & { provenHeight: bigint };

/**
 * @example
 * const tips = new RemoteProvenTips((d, h) => accepted(d, h));
 * tips.follow(beta, { provers: [p1], threshold: 1 });
 * tips.add(signedAttestation); // counted once the header at its height is accepted
 */
export class RemoteProvenTips {
  private readonly tips = new Map<string, ProvenTip>();
  /** snapshots restored before their domain's prover set was given again (configuration) */
  private readonly saved = new Map<string, Uint8Array>();

  constructor(
    private readonly acceptedAt: (domainId: Uint8Array, height: bigint) => AcceptedRoot | undefined,
  ) {}

  /**
   * Tracks `domainId`'s proven tip over `provers` (idempotent for the same set). A snapshot
   * loaded earlier for it is restored now, every signature and evidence re-checked.
   */
  follow(domainId: Uint8Array, provers: ProverSet): void {
    const k = hexKey(domainId);
    if (this.tips.has(k)) return;
    check(this.tips.size < REMOTE_PROVEN_DOMAINS_MAX, 'LIMIT_EXCEEDED', 'too many followed prover sets');
    const opts = {
      domain: domainId.slice(),
      provers,
      committedRoot: (h: bigint) => this.acceptedAt(domainId, h)?.stateRoot,
    };
    const saved = this.saved.get(k);
    this.saved.delete(k);
    const tip = saved ? ProvenTip.restore(opts, saved) : new ProvenTip(opts);
    this.tips.set(k, tip);
    tip.advance();
  }

  /** True when nothing is tracked or waiting to be restored. */
  isEmpty(): boolean {
    return this.tips.size === 0 && this.saved.size === 0;
  }

  isFollowed(domainId: Uint8Array): boolean {
    return this.tips.has(hexKey(domainId));
  }

  /** The proven height of `domainId` as this observer counted it; undefined when untracked. */
  provenHeight(domainId: Uint8Array): bigint | undefined {
    return this.tips.get(hexKey(domainId))?.height;
  }

  /** Evidence held against `domainId`'s provers (conflicts, and roots re-execution contradicted). */
  evidence(domainId: Uint8Array): ProverEvidence[] {
    return this.tips.get(hexKey(domainId))?.evidence() ?? [];
  }

  /**
   * Adds a remote prover's attestation. UNKNOWN_DOMAIN when the attestation's domain is not
   * tracked; else ProvenTip's refusals. An attestation of another root than the header the
   * observer re-executed at that height convicts its prover (reexecution evidence, excluded).
   */
  add(s: SignedAttestation): RemoteAttestationOutcome {
    const tip = this.tips.get(hexKey(s.attestation.domain));
    if (!tip) throw new WeftError('UNKNOWN_DOMAIN', 'no prover set is known for the attested domain');
    const out = tip.add(s);
    if (out.mismatch) {
      const at = this.acceptedAt(s.attestation.domain, s.attestation.height);
      if (at?.reexecuted) {
        const evidence = tip.checkReexecution(s, at.stateRoot);
        return { ...out, evidence, counted: false, provenHeight: tip.height };
      }
    }
    return { ...out, provenHeight: tip.height };
  }

  /**
   * After the observer accepted `domainId`'s header at `height`: attestations kept for it that
   * contradict a re-executed root convict their provers, then the tip moves if it can. Returns
   * the new proven height when it moved, and the evidence found.
   */
  accepted(domainId: Uint8Array, height: bigint): { advancedTo: bigint | null; evidence: ProverEvidence[] } {
    const tip = this.tips.get(hexKey(domainId));
    if (!tip) return { advancedTo: null, evidence: [] };
    const evidence: ProverEvidence[] = [];
    const at = this.acceptedAt(domainId, height);
    if (at?.reexecuted) {
      for (const s of tip.pendingAt(height)) {
        if (equalBytes(s.attestation.stateRoot, at.stateRoot)) continue;
        const e = tip.checkReexecution(s, at.stateRoot);
        if (e) evidence.push(e);
      }
    }
    return { advancedTo: tip.advance(), evidence };
  }

  /**
   * `u8 format (1) || list(domainId 32 || bytes ProvenTip snapshot)`, by domain id: every tracked
   * tip, and any loaded snapshot whose prover set was not given again yet.
   */
  snapshot(): Uint8Array {
    const all = new Map<string, Uint8Array>(this.saved);
    for (const [k, t] of this.tips) all.set(k, t.snapshot());
    const entries = [...all].sort(([a], [b]) => (a < b ? -1 : 1));
    const w = new Writer(1024).u8(REMOTE_PROVEN_FORMAT);
    w.list(entries, REMOTE_PROVEN_DOMAINS_MAX, (w, [k, bytes]) =>
      w.fixed(Buffer.from(k, 'hex'), 32).bytes(bytes, REMOTE_PROVEN_SNAPSHOT_BYTES_MAX),
    );
    return w.finish();
  }

  /**
   * Loads a snapshot (CODEC when malformed): each domain's tracker is rebuilt when its prover set
   * is given (`follow`), never believed before.
   */
  load(bytes: Uint8Array): void {
    const r = new Reader(bytes);
    if (r.u8() !== REMOTE_PROVEN_FORMAT) throw new WeftError('CODEC', 'unknown remote proven tips format');
    const entries = r.list(REMOTE_PROVEN_DOMAINS_MAX, (r) => ({
      domainId: r.fixed(32).slice(),
      bytes: r.bytes(REMOTE_PROVEN_SNAPSHOT_BYTES_MAX).slice(),
    }));
    r.end();
    for (const e of entries) {
      const k = hexKey(e.domainId);
      if (!this.tips.has(k)) this.saved.set(k, e.bytes);
    }
  }
}
