// One error family for the whole project: a stable machine-readable `code`, a sentence for people.

// The codes, their HTTP statuses and meanings are one table: ERROR_CODES in errorCodes.ts.
import type { WeftErrorCode } from './errorCodes.js';

export type { WeftErrorCode };
export type WeftErrorOptions = { details?: string; cause?: unknown };

/**
 * The error every Weft layer throws for bad input or a refused operation.
 * Catch it and switch on `code`; `shortMessage` says what was wrong, `details` what to do.
 *
 * @example
 * try { decodeProof(bytes) } catch (e) { if (e instanceof WeftError && e.code === 'CODEC') ... }
 */
export class WeftError extends Error {
  override readonly name = 'WeftError';
  readonly code: WeftErrorCode;
  readonly shortMessage: string;
  readonly details: string | undefined;

  constructor(code: WeftErrorCode, shortMessage: string, opts: WeftErrorOptions = {}) {
    super(opts.details ? `${shortMessage}\n\n${opts.details}` : shortMessage, { cause: opts.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = opts.details;
  }
}

/** Throws WeftError(code) when `condition` is false. For input checks at a boundary. */
export function check(condition: unknown, code: WeftErrorCode, message: string): asserts condition {
  if (!condition) throw new WeftError(code, message);
}

/**
 * Internal invariant: a failure is a bug in Weft, never a user's fault. Throws `INVARIANT`,
 * which a running node answers by stopping (it never continues past a broken invariant).
 */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new WeftError('INVARIANT', `weft invariant violated: ${message}`, {
      details: 'A bug in Weft: the node stops. Report it with the node log; restart recovers from the store.',
    });
  }
}
