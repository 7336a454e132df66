// Resuming the event stream over real HTTP: a reader that reconnects with Last-Event-ID (or
// ?lastEventId=) gets exactly the frames it missed, filtered by its types; an id from another
// process, an unknown id, or one whose successors fell out of the replay buffer gets a `reset`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type WeftApi } from '../src/api/index.js';
import { type TestNet, testNet } from './helpers/network.js';

/** One frame of the stream as the server wrote it (`raw` ends with the blank line). */
type Frame = { id: string | null; event: string | null; data: string | null; raw: string };

/** A raw event-stream reader over fetch: every frame kept, comments and `retry:`-only frames dropped. */
class Stream {
  readonly frames: Frame[] = [];
  private readonly ac = new AbortController();
  private buffer = '';
  private done: Promise<void> = Promise.resolve();

  static async open(url: string, headers: Record<string, string> = {}): Promise<Stream> {
    const s = new Stream();
    const res = await fetch(url, { headers, signal: s.ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    s.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          s.push(decoder.decode(value, { stream: true }));
        }
      } catch {
        // aborted
      }
    })();
    return s;
  }

  private push(text: string): void {
    this.buffer += text;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const raw = this.buffer.slice(0, end + 2);
      this.buffer = this.buffer.slice(end + 2);
      const f: Frame = { id: null, event: null, data: null, raw };
      for (const line of raw.split('\n')) {
        if (line.startsWith('id: ')) f.id = line.slice(4);
        else if (line.startsWith('event: ')) f.event = line.slice(7);
        else if (line.startsWith('data: ')) f.data = line.slice(6);
      }
      if (f.id !== null || f.data !== null) this.frames.push(f);
    }
  }

  /** Frames with an event (not the bare `id:` position markers). */
  get events(): Frame[] {
    return this.frames.filter((f) => f.event !== null);
  }

  async until(cond: (s: Stream) => boolean, timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while (!cond(this)) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out; frames: ${JSON.stringify(this.frames)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    this.ac.abort();
    await this.done;
  }
}

const seqOf = (id: string): number => Number(id.split('-')[1]);
const epochOf = (id: string): string => id.split('-')[0]!;

/** Opens a stream and waits for what it writes on open: a `reset` event or the position marker. */
async function resume(url: string, lastEventId?: string, via: 'header' | 'query' = 'header') {
  const sep = url.includes('?') ? '&' : '?';
  const s =
    lastEventId === undefined
      ? await Stream.open(url)
      : via === 'header'
        ? await Stream.open(url, { 'last-event-id': lastEventId })
        : await Stream.open(`${url}${sep}lastEventId=${encodeURIComponent(lastEventId)}`);
  await s.until((x) => x.frames.some((f) => f.event === null || f.event === 'reset'));
  const stop = s.frames.findIndex((f) => f.event === null || f.event === 'reset');
  return { stream: s, replayed: s.frames.slice(0, stop), first: s.frames[stop]! };
}

let t: TestNet;
let api: WeftApi;
let small: WeftApi;
let url: string;
let smallUrl: string;
/** a reader that never leaves: every frame the node published since it opened */
let all: Stream;
let allSmall: Stream;
const FRAMES_MAX = 8;
const BYTES_MAX = 1_000;

beforeAll(async () => {
  t = await testNet(['ev-a', 'ev-b']);
  const [a] = t.domains;
  const node = { domain: a!, router: t.net, driver: t.driver };
  api = await createApi(node, { replayFramesMax: FRAMES_MAX });
  small = await createApi(node, { replayBytesMax: BYTES_MAX });
  url = `${await api.listen()}/v1/events`;
  smallUrl = `${await small.listen()}/v1/events`;
  all = (await resume(url)).stream;
  allSmall = (await resume(smallUrl)).stream;
});
afterAll(async () => {
  await all?.close();
  await allSmall?.close();
  await api?.close();
  await small?.close();
});

/** The newest id `reader` holds (an event's or a marker's). */
const lastIdOf = (s: Stream): string => s.frames[s.frames.length - 1]!.id!;

/** Rounds until at least `n` more events were published, then until both readers have them all. */
async function publish(n: number): Promise<void> {
  const target = all.events.length + n;
  for (;;) {
    await t.round();
    await t.bus.idle();
    // A fresh reader's position marker is the newest frame published: wait for the readers to get it.
    for (const [u, reader] of [
      [url, all],
      [smallUrl, allSmall],
    ] as const) {
      const { first, stream } = await resume(u);
      await stream.close();
      if (seqOf(first.id!) > 0) await reader.until((s) => s.frames.some((f) => f.id === first.id));
    }
    if (all.events.length >= target) return;
  }
}

describe('GET /v1/events resumes after a reconnect', () => {
  it('ids are <epoch>-<seq>; a fresh reader gets its position and no reset', async () => {
    const { first, replayed } = await resume(url).then(async (r) => {
      await r.stream.close();
      return r;
    });
    expect(replayed).toEqual([]);
    expect(first.event).toBeNull();
    expect(first.id).toMatch(/^[0-9a-f]{16}-\d+$/);
    await publish(2);
    for (const f of all.events) expect(epochOf(f.id!)).toBe(epochOf(first.id!));
    // Sequence numbers count up by one per frame published.
    const seqs = all.events.map((f) => seqOf(f.id!));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  });

  it('replays exactly the frames published after Last-Event-ID, then goes live', async () => {
    const reader = (await resume(url)).stream;
    await publish(1);
    await reader.until((s) => s.events.length > 0);
    const cut = lastIdOf(reader);
    await reader.close();
    // While the reader is away the node goes on: blocks, remote headers.
    await publish(5);
    const missed = all.events.filter((f) => seqOf(f.id!) > seqOf(cut));
    expect(missed.length).toBeGreaterThanOrEqual(5);
    expect(missed.length).toBeLessThanOrEqual(FRAMES_MAX);

    const back = await resume(url, cut);
    expect(back.replayed.map((f) => f.raw)).toEqual(missed.map((f) => f.raw));
    expect(back.first.event).toBeNull();
    expect(back.first.id).toBe(lastIdOf(all));
    // ...and then live: the next frame is the next one published.
    const before = all.events.length;
    await publish(1);
    await back.stream.until((s) => s.events.length > missed.length);
    expect(back.stream.events[missed.length]!.raw).toBe(all.events[before]!.raw);
    expect(back.stream.frames.some((f) => f.event === 'reset')).toBe(false);
    await back.stream.close();

    // The same through ?lastEventId= (for clients that cannot set the header).
    const byQuery = await resume(url, cut, 'query');
    expect(byQuery.replayed.map((f) => f.raw)).toEqual(
      all.events.filter((f) => seqOf(f.id!) > seqOf(cut)).map((f) => f.raw),
    );
    await byQuery.stream.close();
  });

  it('filters the replay by the reader’s types', async () => {
    const cut = lastIdOf(all);
    await publish(6);
    const missed = all.events.filter((f) => seqOf(f.id!) > seqOf(cut));
    // Both kinds were published while away, so the filter has something to drop.
    expect(new Set(missed.map((f) => f.event))).toEqual(new Set(['blockSealed', 'remoteAccepted']));
    const back = await resume(`${url}?types=remoteAccepted`, cut);
    expect(back.replayed.map((f) => f.raw)).toEqual(
      missed.filter((f) => f.event === 'remoteAccepted').map((f) => f.raw),
    );
    // Its position is the node's newest frame, whatever its type.
    expect(back.first.id).toBe(lastIdOf(all));
    await back.stream.close();
  });

  it('sends a reset for an id of another process, a malformed id, or one from the future', async () => {
    const now = lastIdOf(all);
    const epoch = epochOf(now);
    const other = epoch === '0000000000000000' ? '1111111111111111' : '0000000000000000';
    for (const [id, reason] of [
      [`${other}-${seqOf(now)}`, 'otherProcess'],
      ['17', 'unknown'],
      [`${epoch}-${seqOf(now) + 1}`, 'unknown'],
    ] as const) {
      for (const via of ['header', 'query'] as const) {
        const r = await resume(url, id, via);
        expect(r.replayed, `${id} by ${via}`).toEqual([]);
        expect(r.first.event).toBe('reset');
        expect(JSON.parse(r.first.data!)).toEqual({ lastEventId: id, reason });
        // The reset carries the current position, so the next reconnect resumes from it.
        expect(r.first.id).toBe(now);
        await r.stream.close();
      }
    }
  });

  it(`keeps at most ${FRAMES_MAX} frames: one further back is a reset`, async () => {
    await publish(FRAMES_MAX + 2);
    const newest = seqOf(lastIdOf(all));
    const epoch = epochOf(lastIdOf(all));
    const exact = await resume(url, `${epoch}-${newest - FRAMES_MAX}`);
    expect(exact.replayed.map((f) => f.raw)).toEqual(all.events.slice(-FRAMES_MAX).map((f) => f.raw));
    await exact.stream.close();
    const tooOld = await resume(url, `${epoch}-${newest - FRAMES_MAX - 1}`);
    expect(tooOld.replayed).toEqual([]);
    expect(tooOld.first.event).toBe('reset');
    expect(JSON.parse(tooOld.first.data!)).toMatchObject({ reason: 'tooOld' });
    await tooOld.stream.close();
  });

  it(`keeps at most ${BYTES_MAX} bytes of frames: one further back is a reset`, async () => {
    await publish(6);
    await allSmall.until((s) => s.events.length === all.events.length);
    const events = allSmall.events;
    // The most recent frames whose bytes fit under the cap.
    let k = 0;
    let bytes = 0;
    while (k < events.length && bytes + Buffer.byteLength(events[events.length - 1 - k]!.raw) <= BYTES_MAX)
      bytes += Buffer.byteLength(events[events.length - 1 - k++]!.raw);
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(events.length);
    const newest = seqOf(lastIdOf(allSmall));
    const epoch = epochOf(lastIdOf(allSmall));
    // Two APIs of one process: separate hubs, separate epochs.
    expect(epoch).not.toBe(epochOf(lastIdOf(all)));
    const fits = await resume(smallUrl, `${epoch}-${newest - k}`);
    expect(fits.replayed.map((f) => f.raw)).toEqual(events.slice(-k).map((f) => f.raw));
    await fits.stream.close();
    const over = await resume(smallUrl, `${epoch}-${newest - k - 1}`);
    expect(over.first.event).toBe('reset');
    expect(JSON.parse(over.first.data!)).toMatchObject({ reason: 'tooOld' });
    await over.stream.close();
  });
});
