// How errors leave the API: one JSON body `{ error: { code, message } }` for every failure, its
// status from the one code table (`ERROR_CODES` in weft/crypto; docs/api.md, "Errors").
import { ERROR_CODES, type ErrorCodeInfo, WeftError, type WeftErrorCode } from '../crypto/index.js';
import { DECIMAL_PATTERN, HEIGHT_OR_LATEST_PATTERN, HEX_PATTERN } from './schemas.js';

/** The body of every error response. */
export type ErrorBody = { error: { code: WeftErrorCode; message: string } };

/**
 * The status the API answers `code` with (`ERROR_CODES` in weft/crypto, docs/api.md "Errors").
 * `at` says where the code arose: `'request'` for an error thrown while a route checks or serves
 * a request, `'rejection'` for the code of a submitted transaction the domain refused. The two
 * differ only for transaction-rule codes, which answer 422 as a refusal and 400 when thrown.
 */
export function httpStatusOf(code: WeftErrorCode, at: 'request' | 'rejection'): number {
  const info: ErrorCodeInfo = ERROR_CODES[code];
  return at === 'request' ? (info.requestStatus ?? info.status) : info.status;
}

export function errorBody(code: WeftErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** An error a route throws to answer with `code` (its status from the table). */
export function apiError(code: WeftErrorCode, message: string): WeftError {
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
export function schemaErrorOf(part: string, errors: SchemaError[]): { code: WeftErrorCode; message: string } {
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
      return { code: 'BAD_TYPE', message: `${path} ${e.message ?? 'has the wrong type'}` };
    case 'enum':
    case 'const':
      return { code: 'BAD_TYPE', message: `${path} ${e.message ?? 'has the wrong type'}` };
    default:
      return { code: 'BAD_REQUEST', message: `${path} ${e.message ?? 'is malformed'}` };
  }
}
