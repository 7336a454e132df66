// TEST-ONLY. Known bugs the deterministic simulator (`weft sim`, docs/simulation.md) must catch.
// Production code consults `isPlanted` at the one place each rule lives; every bug is off unless
// a test (or `weft sim --plant`) turns it on with `__plantBug`. Never turn one on in a node.

export const PLANTED_BUGS = [
  /** the spent-nullifier check on consumed resources (claims included) is skipped: tx/validate.ts */
  'nullifierCheck',
  /** a header signed by fewer than its key set's threshold is accepted: domain/keyset.ts meetsThreshold */
  'headerThreshold',
  /** a submission is acknowledged without being written to the transcript: domain/domain.ts drain */
  'transcriptFlush',
  /** a refund by deadline is admitted without checking the nullifier's absence proof: tx/validate.ts */
  'refundAbsenceProof',
  /** a receiver's deduplicator reports no message as seen: net/dedup.ts */
  'dedup',
] as const;

export type PlantedBug = (typeof PLANTED_BUGS)[number];

const planted = new Set<PlantedBug>();

/** TEST-ONLY: turns planted bug `name` on (or off with `on = false`). */
export function __plantBug(name: PlantedBug, on = true): void {
  if (!(PLANTED_BUGS as readonly string[]).includes(name)) throw new Error(`no planted bug named ${name}`);
  if (on) planted.add(name);
  else planted.delete(name);
}

/** TEST-ONLY: turns every planted bug off. */
export function __clearPlantedBugs(): void {
  planted.clear();
}

/** Whether planted bug `name` is on (always false outside tests and `weft sim --plant`). */
export function isPlanted(name: PlantedBug): boolean {
  return planted.size > 0 && planted.has(name);
}
