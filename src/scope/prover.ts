// The Prover interface every prover plugs into (re-execution now, a ZK prover later), and the
// re-executing prover: it recomputes a block's root statelessly and signs an attestation.
import type { KeyPair, PublicKey } from '../crypto/index.js';
import { publicKeyOf } from '../crypto/index.js';
import { type SignedAttestation, signAttestation } from './attestation.js';

/**
 * What a prover is asked: block `height` of `domain`, starting from the proven `prevRoot`, with
 * whatever the domain's execution needs (`block`: the transactions and the full-mode witness).
 */
export type ProvingJob<B = unknown> = { domain: Uint8Array; height: bigint; prevRoot: Uint8Array; block: B };

/**
 * A prover: answers a job with a signed attestation of the root the block leads to. A ZK prover
 * implements the same interface; its key is configured in the domain's prover set like any other,
 * and it may attach its proof beside the attestation for verifiers that check proofs instead of
 * counting signatures (docs/provers.md).
 */
export interface Prover<B = unknown> {
  readonly publicKey: PublicKey;
  prove(job: ProvingJob<B>): Promise<SignedAttestation>;
}

/** Recomputes a block's state root from the job alone (stateless, deterministic). */
export type Reexecute<B> = (job: ProvingJob<B>) => Uint8Array;

/**
 * @example
 * const prover = new ReexecutionProver(keyPair, (job) => recomputeRoot(job));
 * tip.add(await prover.prove(job));
 */
export class ReexecutionProver<B = unknown> implements Prover<B> {
  readonly publicKey: PublicKey;

  constructor(
    private readonly keyPair: KeyPair,
    private readonly reexecute: Reexecute<B>,
  ) {
    this.publicKey = publicKeyOf(keyPair.type, keyPair.secretKey);
  }

  async prove(job: ProvingJob<B>): Promise<SignedAttestation> {
    const stateRoot = this.reexecute(job);
    return signAttestation(this.keyPair, { domain: job.domain, height: job.height, stateRoot });
  }
}
