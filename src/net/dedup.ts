// Receivers' side of exactly-once: remembers the latest message ids (bounded, least recently
// seen dropped first) so a duplicate or a retry is processed once.
import { check } from '../crypto/index.js';
import { isPlanted } from '../crypto/plantedBugs.js';

/** Default number of ids a deduplicator remembers. */
export const DEDUP_IDS_DEFAULT = 65_536;
/** Most ids a deduplicator may be asked to remember. */
export const DEDUP_IDS_MAX = 16 * 1024 * 1024;

/**
 * @example
 * const dedup = new Deduplicator();
 * bus.subscribe(self, (msg) => { if (dedup.seen(msg.id)) return; handle(msg); });
 */
export class Deduplicator {
  private readonly ids = new Map<string, true>();

  constructor(readonly capacity = DEDUP_IDS_DEFAULT) {
    check(
      Number.isInteger(capacity) && capacity >= 1 && capacity <= DEDUP_IDS_MAX,
      'BAD_INPUT',
      `capacity must be an integer 1..${DEDUP_IDS_MAX}`,
    );
  }

  /** True when `id` was seen before (and refreshes it); otherwise remembers it and returns false. */
  seen(id: string): boolean {
    if (isPlanted('dedup')) return false;
    if (this.ids.has(id)) {
      this.ids.delete(id);
      this.ids.set(id, true);
      return true;
    }
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
    return false;
  }

  /** Whether `id` is remembered, without recording or refreshing it. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Forgets `id` (e.g. when processing it failed and a retry should run). */
  forget(id: string): void {
    this.ids.delete(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
