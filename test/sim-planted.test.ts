// The simulator finds bugs: each of five known bugs, planted behind the test-only switch
// (`__plantBug`, src/crypto/plantedBugs.ts), is caught within a bounded number of seeds, by the
// invariant that names it. With no bug planted the same seeds pass (test/sim.test.ts runs more).
import { afterEach, describe, expect, it } from 'vitest';
import {
  __clearPlantedBugs,
  __plantBug,
  isPlanted,
  PLANTED_BUGS,
  type PlantedBug,
} from '../src/crypto/plantedBugs.js';
import { runSim } from '../src/sim/index.js';

/** Seeds tried per bug before the test gives up. */
const SEEDS_MAX = 5;

const cases: { bug: PlantedBug; faults: string; caughtBy: string[] }[] = [
  // A double spend (the sim's clients try them) is admitted: the nullifier lands twice.
  { bug: 'nullifierCheck', faults: 'none', caughtBy: ['nullifier-once', 'supply'] },
  // The byzantine domain's one-signature forgery of an honest header is accepted.
  { bug: 'headerThreshold', faults: 'byzantine', caughtBy: ['accepted-roots', 'frozen-views'] },
  // Submissions are acknowledged without reaching the transcript: replay gives other blocks.
  { bug: 'transcriptFlush', faults: 'none', caughtBy: ['transcript-replay', 'durability'] },
  // A refund whose witness shows the claim landed is admitted: the value exists twice.
  { bug: 'refundAbsenceProof', faults: 'none', caughtBy: ['supply'] },
  // Duplicated messages reach the router twice.
  { bug: 'dedup', faults: 'net', caughtBy: ['exactly-once-delivery'] },
];

afterEach(() => __clearPlantedBugs());

describe('planted bugs are caught by the simulator', () => {
  it('the switch is off by default and names five bugs', () => {
    expect(PLANTED_BUGS).toHaveLength(5);
    for (const b of PLANTED_BUGS) expect(isPlanted(b)).toBe(false);
    __plantBug('dedup');
    expect(isPlanted('dedup')).toBe(true);
    __clearPlantedBugs();
    expect(isPlanted('dedup')).toBe(false);
  });

  for (const c of cases) {
    it(`${c.bug}: caught within ${SEEDS_MAX} seeds by ${c.caughtBy.join(' or ')}`, async () => {
      __plantBug(c.bug);
      let caught: string[] = [];
      let seeds = 0;
      for (let s = 1; s <= SEEDS_MAX && caught.length === 0; s++) {
        seeds = s;
        const r = await runSim({ seed: `plant-${s}`, domains: 3, steps: 60, faults: c.faults });
        caught = [...new Set(r.failures.map((f) => f.invariant))];
      }
      expect(
        caught.some((inv) => c.caughtBy.includes(inv)),
        `caught by ${caught.join(', ')}`,
      ).toBe(true);
      expect(seeds).toBeLessThanOrEqual(SEEDS_MAX);
      // The same seed with the bug off holds every invariant: the failure is the bug's.
      __clearPlantedBugs();
      const clean = await runSim({ seed: `plant-${seeds}`, domains: 3, steps: 60, faults: c.faults });
      expect(clean.failures).toEqual([]);
    }, 120_000);
  }
});
