// How errors leave the API: one JSON body `{ error: { code, message } }` for every failure, and one
// table from a stable code to its HTTP status (docs/api.md, "Errors").
import { WeftError } from '../crypto/index.js';
import { DECIMAL_PATTERN, HEIGHT_OR_LATEST_PATTERN, HEX_PATTERN } from './schemas.js';

/** The body of every error response. */
export type ErrorBody = { error: { code: string; message: string } };

/**
 * The HTTP status of each code the API answers with. Request checks (400, 413, 415) run before
 * the domain sees anything; 404 names what is unknown; 409 a conflict with the current state
 * that a later state may lift; 422 a transaction the domain understood and refuses by its rules;
 * 503 a node that cannot serve now. A domain code missing here answers `422` when it rejects a
 * transaction and `400` when it is thrown at a request.
 */
export const HTTP_STATUS: Readonly<Record<string, number>> = {
  // the request itself (checked by the API)
  BAD_REQUEST: 400,
  BAD_JSON: 400,
  BAD_HEX: 400,
  BAD_LENGTH: 400,
  BAD_NUMBER: 400,
  BAD_TYPE: 400,
  BAD_RANGE: 400,
  MISSING_FIELD: 400,
  UNKNOWN_FIELD: 400,
  TOO_MANY_ITEMS: 400,
  BAD_INPUT: 400,
  CODEC: 400,
  TX_MALFORMED: 400,
  TX_TOO_LARGE: 400,
  TX_TOO_MANY_ACTIONS: 400,
  TX_TOO_MANY_RESOURCES: 400,
  TX_TOO_MANY_SIGNATURES: 400,
  TX_APP_DATA_TOO_LARGE: 400,
  VALUE_TOO_LARGE: 400,
  LABEL_TOO_LARGE: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // unknown things
  NOT_FOUND: 404,
  NOT_ENABLED: 404,
  UNKNOWN_HEIGHT: 404,
  BAD_HEIGHT: 404,
  VERSION_PRUNED: 404,
  UNKNOWN_VERSION: 404,
  UNKNOWN_TX: 404,
  UNKNOWN_VALUE: 404,
  UNKNOWN_DOMAIN: 404,
  UNKNOWN_TRANSFER: 404,
  // conflicts with the current state
  NULLIFIER_SPENT: 409,
  NULLIFIER_PENDING: 409,
  COMMITMENT_EXISTS: 409,
  DUPLICATE_TX: 409,
  UNKNOWN_ANCHOR: 409,
  UNKNOWN_RESOURCE: 409,
  NOT_FROZEN: 409,
  DEADLINE_PASSED: 409,
  // a transfer plan that does not hold together
  BAD_PLAN: 422,
  // the node cannot serve now: retry later or elsewhere
  MEMPOOL_FULL: 503,
  TOO_MANY_STREAMS: 503,
  DOMAIN_FAILED: 503,
  STORE_CLOSED: 503,
  STORE_FAILED: 503,
  STORE_CORRUPT: 503,
  STORE_FORMAT: 503,
  TRANSPORT_CLOSED: 503,
  INTERNAL: 500,
  // a broken internal invariant: a bug in Weft; the node stops
  INVARIANT: 500,
};

/** The status for `code`; `fallback` for a code the table does not name. */
export function httpStatusOf(code: string, fallback: number): number {
  return HTTP_STATUS[code] ?? fallback;
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** An error a route throws to answer with `code` (its status from the table). */
export function apiError(code: string, message: string): WeftError {
  return new WeftError(code, message);
}

/** What fastify's JSON-schema validation reports for one failed keyword (ajv's error object). */
export type SchemaError = {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
};

/**
 * The code and sentence for a request part's schema failure (`body`, `params`, ...). A failed
 * `oneOf` reports its branches' errors first; the `oneOf` itself says more.
 */
export function schemaErrorOf(part: string, errors: SchemaError[]): { code: string; message: string } {
  const e = errors.find((x) => x.keyword === 'oneOf') ?? errors[0]!;
  const path = `${part}${e.instancePath.replaceAll('/', '.')}`;
  switch (e.keyword) {
    case 'additionalProperties':
      return {
        code: 'UNKNOWN_FIELD',
        message: `${path}.${String(e.params.additionalProperty)} is not a known field`,
      };
    case 'required':
      return { code: 'MISSING_FIELD', message: `${path}.${String(e.params.missingProperty)} is missing` };
    case 'oneOf':
      return e.params.passingSchemas === null
        ? { code: 'MISSING_FIELD', message: `${path} must have one of its alternative fields` }
        : { code: 'BAD_REQUEST', message: `${path} must have only one of its alternative fields` };
    case 'minLength':
    case 'maxLength':
      return { code: 'BAD_LENGTH', message: `${path} ${e.message ?? 'has the wrong length'}` };
    case 'pattern':
      if (e.params.pattern === HEX_PATTERN) {
        return { code: 'BAD_HEX', message: `${path} must be 0x-prefixed lowercase hex` };
      }
      if (e.params.pattern === DECIMAL_PATTERN || e.params.pattern === HEIGHT_OR_LATEST_PATTERN) {
        return {
          code: 'BAD_NUMBER',
          message: `${path} must be a decimal string without sign or leading zeros`,
        };
      }
      return { code: 'BAD_REQUEST', message: `${path} must match ${String(e.params.pattern)}` };
    case 'maxItems':
      return { code: 'TOO_MANY_ITEMS', message: `${path} ${e.message ?? 'has too many items'}` };
    case 'type':
    case 'enum':
    case 'const':
      return { code: 'BAD_TYPE', message: `${path} ${e.message ?? 'has the wrong type'}` };
    default:
      return { code: 'BAD_REQUEST', message: `${path} ${e.message ?? 'is malformed'}` };
  }
}
