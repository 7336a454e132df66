// A member far behind a peer (another process, followed from genesis) catches up in one go: each
// accepted chain of a gap asks for the next at once, not at the peer's next re-announcement.
import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/net/index.js';
import { HEADER_CHAIN_MAX, SyncRouter } from '../src/node/index.js';
import { makeDomain } from './helpers/domain.js';

describe('catching up with a peer far ahead', () => {
  it('fills a gap of many chains after one announcement', async () => {
    const ahead = await makeDomain('catchup-ahead');
    const behind = await makeDomain('catchup-behind');
    const genesis = ahead.header(0n)!;
    const blocks = HEADER_CHAIN_MAX * 3 + 5;
    for (let i = 0; i < blocks; i++) await ahead.sealBlock();
    const bus = new InProcessBus({ seed: 'catchup' });
    const endpoint = (id: Uint8Array) => bus.endpoint(id);
    const a = new SyncRouter({ endpoint, mode: 'transition', announceEveryMs: 0 });
    const b = new SyncRouter({ endpoint, mode: 'transition', announceEveryMs: 0 });
    try {
      await a.join(ahead);
      await a.addPeer({ id: behind.id, keySet: behind.keySet, genesis: behind.header(0n)! });
      await b.join(behind);
      await b.addPeer({ id: ahead.id, keySet: ahead.keySet, genesis });
      await a.announceAll();
      for (
        let i = 0;
        i < 50 && b.syncOf(behind.id)?.view(ahead.id)?.head.header.height !== BigInt(blocks);
        i++
      )
        await bus.idle();
      expect(b.syncOf(behind.id)?.view(ahead.id)?.head.header.height).toBe(BigInt(blocks));
      expect(b.counters().gapRequests).toBe(4);
      expect(b.counters().accepted).toBe(blocks);
    } finally {
      a.close();
      b.close();
      await bus.close();
    }
  });
});
