// Who may change a node's state through its API, and how much one client may ask of it: the
// bearer token of state-changing routes, a per-client rate of submissions, and per-client shares
// of the event streams, so one local process cannot take the node over or starve the others.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { WeftError } from '../crypto/index.js';
import {
  RATE_CLIENTS_MAX,
  SSE_ANONYMOUS_MAX,
  SSE_ANONYMOUS_PER_CLIENT_MAX,
  SUBMIT_BURST_MAX,
  SUBMIT_RATE_PER_S,
} from './limits.js';

/** Shortest API token accepted, in characters (a token is a secret, not a password to remember). */
export const API_TOKEN_CHARS_MIN = 16;
/** Longest API token accepted, in characters. */
export const API_TOKEN_CHARS_MAX = 512;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` against the configured token. Both sides are hashed
 * first, so the comparison takes the same time whatever the length or content of the guess.
 */
export class TokenCheck {
  private readonly expected: Buffer | null;

  constructor(token: string | undefined) {
    if (token !== undefined) {
      if (
        typeof token !== 'string' ||
        token.length < API_TOKEN_CHARS_MIN ||
        token.length > API_TOKEN_CHARS_MAX ||
        /\s/.test(token)
      ) {
        throw new WeftError(
          'BAD_INPUT',
          `the API token must be ${API_TOKEN_CHARS_MIN}..${API_TOKEN_CHARS_MAX} characters without whitespace`,
        );
      }
    }
    this.expected = token === undefined ? null : digest(token);
  }

  /** Whether a token is configured (without one, only loopback may be served). */
  get configured(): boolean {
    return this.expected !== null;
  }

  /** Whether the `authorization` header carries the configured token. */
  accepts(header: string | string[] | undefined): boolean {
    if (this.expected === null || typeof header !== 'string') return false;
    const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
    if (!m) return false;
    return timingSafeEqual(digest(m[1]!), this.expected);
  }
}

/** Whether `host` names this machine only (what the API may bind without a token). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

/** Per-client token buckets: `ratePerS` requests a second sustained, bursts up to `burst`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly ratePerS = SUBMIT_RATE_PER_S,
    private readonly burst = SUBMIT_BURST_MAX,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerS > 0) || !(burst >= 1))
      throw new WeftError('BAD_INPUT', 'a rate limit needs rate > 0, burst >= 1');
  }

  /**
   * Takes `n` requests of `client` (default one): 0 when allowed, else the seconds until they
   * would be (nothing is taken then).
   */
  take(client: string, n = 1): number {
    const now = this.now();
    let b = this.buckets.get(client);
    if (b) {
      this.buckets.delete(client); // re-inserted below: the map stays in least-recently-used order
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.atMs) / 1000) * this.ratePerS);
      b.atMs = now;
    } else {
      b = { tokens: this.burst, atMs: now };
      // Bounded memory: the least recently seen client is forgotten (it starts again full).
      if (this.buckets.size >= RATE_CLIENTS_MAX) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(client, b);
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil((n - b.tokens) / this.ratePerS));
  }
}

/**
 * Event-stream shares: anonymous readers (no token) get at most SSE_ANONYMOUS_PER_CLIENT_MAX
 * streams per client and SSE_ANONYMOUS_MAX in all, so the streams left up to SSE_CLIENTS_MAX
 * stay for token holders whatever one anonymous client does.
 */
export class StreamShares {
  private readonly perClient = new Map<string, number>();
  private anonymous = 0;

  /** Why `client` may not open one more anonymous stream now, or null when it may. */
  refusal(client: string): string | null {
    if ((this.perClient.get(client) ?? 0) >= SSE_ANONYMOUS_PER_CLIENT_MAX) {
      return `a client without the API token may hold ${SSE_ANONYMOUS_PER_CLIENT_MAX} event streams`;
    }
    if (this.anonymous >= SSE_ANONYMOUS_MAX) {
      return `${SSE_ANONYMOUS_MAX} event streams without the API token are open`;
    }
    return null;
  }

  /** Counts an anonymous stream of `client`; returns its release. */
  open(client: string): () => void {
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    this.anonymous++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.anonymous--;
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n === 0) this.perClient.delete(client);
      else this.perClient.set(client, n);
    };
  }
}
