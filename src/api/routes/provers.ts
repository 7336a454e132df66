// Prover routes: attestations of this domain's blocks, counted toward its proven tip when the
// domain has a prover set (docs/provers.md).
import { toHex } from '../../crypto/index.js';
import { decodeSignedAttestation, encodeProverEvidence } from '../../scope/index.js';
import * as S from '../schemas.js';
import { bytesOf } from '../wire.js';
import { json, type Route, type RouteContext } from './route.js';

/** Attestations from the domain's provers. */
export function proverRoutes({ node }: RouteContext): Route[] {
  const domain = node.domain;
  return [
    {
      method: 'POST',
      url: '/v1/attestations',
      operationId: 'submitAttestation',
      summary: "Count a prover's signed attestation of one of this domain's blocks",
      description:
        'The proven tip moves once a threshold of the configured provers attested the committed roots, ' +
        'in order. An attestation of another root convicts its prover: the answer carries the evidence. ' +
        '404 NOT_ENABLED when the domain has no prover set.',
      tags: ['provers'],
      body: S.AttestationBody,
      responses: { 200: json('what the attestation did', S.AttestationResultSchema) },
      handler: async (req) => {
        const body = req.body as { attestation: string };
        const out = await domain.attest(
          decodeSignedAttestation(bytesOf(body.attestation, 'body.attestation')),
        );
        return {
          counted: out.counted,
          mismatch: out.mismatch,
          advancedTo: out.advancedTo === null ? null : out.advancedTo.toString(),
          evidence: out.evidence ? toHex(encodeProverEvidence(out.evidence)) : null,
          provenHeight: domain.provenHeight.toString(),
        };
      },
    },
  ];
}
