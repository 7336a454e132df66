// What a transfer waits for in each phase, as the list shows it without asking a node (no DOM).
/**
 * What a transfer in each phase waits for: the `waitingFor` the driver reports for that phase
 * (src/transfer/driver.ts `explain`), and in words. The open timeline shows the node's full answer.
 */
export const WAITS_FOR: Record<string, { waitingFor: string | null; words: string }> = {
  requested: { waitingFor: 'sourceCommit', words: 'the move to commit on the source' },
  sourceCommitted: {
    waitingFor: 'sourceRootAtDestination',
    words: 'the destination to accept a source root at the move’s height',
  },
  rootSynced: { waitingFor: 'claimInclusion', words: 'the claim to be included at the destination' },
  claimed: {
    waitingFor: 'destinationRootAtSource',
    words: 'the source to accept a destination root at the claim’s height',
  },
  refundable: { waitingFor: 'refundInclusion', words: 'the refund to be included at the source' },
  confirmed: { waitingFor: null, words: 'nothing: done' },
  refunded: { waitingFor: null, words: 'nothing: refunded' },
  failed: { waitingFor: null, words: 'nothing: failed' },
  expired: { waitingFor: null, words: 'nothing: expired' },
};

/** The `waitingFor` of a phase and its words, for a list row. */
export const waitText = (phase: string): string => {
  const w = WAITS_FOR[phase];
  if (!w) return '?';
  return w.waitingFor ? `${w.waitingFor} — ${w.words}` : w.words;
};
