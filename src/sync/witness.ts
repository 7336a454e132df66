// The old tree as a block's transition proof shows it, for stateless re-execution (full mode)
// and for proofs of keys a block wrote; the walk lives with the tree's verifiers in weft/smt.
export type { OldTreeWitness, WitnessAnswer } from '../smt/index.js';
export { openTransition, proveWrittenKey } from '../smt/index.js';
