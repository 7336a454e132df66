// Equivocation evidence as the page checks it: the observer's GET /v1/remotes/:id serves the two
// signed headers its sync layer kept (`evidence: [{ first, second }]`). The page checks what makes
// them evidence at all — the same domain, the same height, two different headers, each signed —
// and shows both, as src/sync/equivocation.ts's verifyEquivocation defines evidence. What it takes on trust: the header hashes and the signatures as the observer
// served them (it verified both under the domain's key set before it froze the view; the page has
// no key set it trusts, and bundling the signature code would not give it one). `weft` on the
// command line checks the signatures against the network file.
import type { EvidenceJson } from './wire.js';

/** One check the page ran on a pair, with whether it held. */
export type EvidenceCheck = { what: string; ok: boolean };

export type EvidenceVerdict = {
  /** every check held: two different headers of `domain` at one height, both signed */
  ok: boolean;
  height: string;
  checks: EvidenceCheck[];
  /** the header fields in which the two differ */
  differ: string[];
};

/** The checks the page runs on one pair of headers said to equivocate for `domain`. */
export function checkEvidence(e: EvidenceJson, domain: string): EvidenceVerdict {
  const a = e.first;
  const b = e.second;
  const lower = (x: string) => x.toLowerCase();
  const checks: EvidenceCheck[] = [
    {
      what: `both headers are of the domain (${domain.slice(0, 10)}…)`,
      ok: lower(a.header.domain) === lower(domain) && lower(b.header.domain) === lower(domain),
    },
    {
      what: `both at one height (${a.header.height} and ${b.header.height})`,
      ok: a.header.height === b.header.height,
    },
    { what: 'two different headers (their hashes differ)', ok: lower(a.headerHash) !== lower(b.headerHash) },
    {
      what: `both carry signatures (signers ${a.signatures.map((g) => g.signer).join(',')} and ${b.signatures.map((g) => g.signer).join(',')})`,
      ok: a.signatures.length > 0 && b.signatures.length > 0,
    },
  ];
  const differ = (['prevHash', 'stateRoot', 'txRoot', 'timestamp'] as const).filter(
    (k) => lower(a.header[k]) !== lower(b.header[k]),
  );
  return { ok: checks.every((c) => c.ok), height: a.header.height, checks, differ };
}
