// The error-code table is the one source of codes, statuses and meanings: docs/api.md lists it
// exactly, every code the sources throw is in it, and the API and client read it as documented.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf, WeftApiError, WeftClient } from '../src/api/index.js';
import { statusFromJson } from '../src/api/wire.js';
import {
  ERROR_CODES,
  type ErrorCodeInfo,
  isWeftErrorCode,
  toWeftErrorCode,
  WeftError,
  type WeftErrorCode,
} from '../src/crypto/index.js';
import { decodeStatus, encodeStatus } from '../src/domain/index.js';

const root = resolve(import.meta.dirname, '..');
const codes = Object.keys(ERROR_CODES) as WeftErrorCode[];
const info = (code: WeftErrorCode): ErrorCodeInfo => ERROR_CODES[code];

/** The rows of the table under "## Errors" in docs/api.md, in order. */
function documentedRows(): { code: string; status: string; meaning: string }[] {
  const doc = readFileSync(join(root, 'docs/api.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Errors\n'), doc.indexOf('\n## Limits\n'));
  const lines = section.split('\n');
  const head = lines.indexOf('| code | status | meaning |');
  expect(head, 'docs/api.md has the error table').toBeGreaterThan(0);
  const rows = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| ([^|]+) \| (.+) \|$/.exec(line);
    expect(m, line).not.toBeNull();
    rows.push({ code: m![1]!, status: m![2]!, meaning: m![3]! });
  }
  return rows;
}

function statusCell(i: ErrorCodeInfo): string {
  return i.requestStatus === undefined ? `${i.status}` : `${i.status} (${i.requestStatus} at a request)`;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every code literal the sources throw or report, by the forms they use. */
function thrownCodes(): Map<string, string> {
  const patterns = [
    // new WeftError('X', ...), new WeftApiError('X', ...), apiError('X'), errorBody('X'), super('X')
    /\b(?:new WeftError|new WeftApiError|apiError|errorBody|httpStatusOf|super)\(\s*'([A-Z][A-Z0-9_]*)'/g,
    // check(condition, 'X', message), over several lines
    /\bcheck\((?:[^;]*?),\s*'([A-Z][A-Z0-9_]*)',/gs,
    // local helpers: fail('X', ...), refuse('X', ...), refuse(state, id, 'X', ...)
    /\b(?:fail|refuse)\(\s*(?:[^;()']*?,\s*)?'([A-Z][A-Z0-9_]*)'/gs,
    // codes carried in fields: code: 'X' (comparisons are left out: Node's own codes, e.g. EPERM)
    /\bcode:\s*'([A-Z][A-Z0-9_]*)'/g,
    // a map from fastify's codes to ours: FST_ERR_...: 'X'
    /\bFST_ERR_[A-Z_]+:\s*'([A-Z][A-Z0-9_]*)'/g,
  ];
  const found = new Map<string, string>();
  for (const file of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const p of patterns) for (const m of text.matchAll(p)) found.set(m[1]!, file.slice(root.length + 1));
  }
  return found;
}

describe('error-code table', () => {
  it('docs/api.md lists exactly the codes of ERROR_CODES, in order, with their statuses and meanings', () => {
    const rows = documentedRows();
    expect(rows.map((r) => r.code)).toEqual(codes);
    for (const r of rows) {
      const i = info(r.code as WeftErrorCode);
      expect(r.status, r.code).toBe(statusCell(i));
      expect(r.meaning, r.code).toBe(i.meaning);
    }
  });

  it('holds every code literal thrown in src/ (the compiler enforces it; this guards the docs)', () => {
    const found = thrownCodes();
    // the scan itself must work: it finds nearly every code of the table (INVARIANT may be unused)
    expect(found.size).toBeGreaterThan(codes.length - 5);
    for (const [code, file] of found) expect(isWeftErrorCode(code), `${code} in ${file}`).toBe(true);
  });

  it('gives every code a status of 400..599 and a one-line meaning that fits a table cell', () => {
    for (const code of codes) {
      const i = info(code);
      expect(i.status, code).toBeGreaterThanOrEqual(400);
      expect(i.status, code).toBeLessThan(600);
      expect(i.meaning, code).toMatch(/^[^|\n]{10,160}$/);
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  it('answers a transaction-rule code 422 as a refusal and 400 when thrown at a request; others the same both ways', () => {
    for (const code of codes) {
      const i = info(code);
      expect(httpStatusOf(code, 'rejection'), code).toBe(i.status);
      if (i.requestStatus === undefined) {
        expect(httpStatusOf(code, 'request'), code).toBe(i.status);
      } else {
        expect([i.status, i.requestStatus], code).toEqual([422, 400]);
        expect(httpStatusOf(code, 'request'), code).toBe(400);
      }
    }
    expect(httpStatusOf('VALUE_MISMATCH', 'rejection')).toBe(422);
    expect(httpStatusOf('BAD_PROOF', 'request')).toBe(400);
    // a transfer plan that does not hold together is refused at a request, and still 422
    expect(httpStatusOf('BAD_PLAN', 'request')).toBe(422);
  });

  it('keeps the statuses the API answered before the table existed', () => {
    // The former HTTP_STATUS map; codes outside it answered 422 as a refusal and 400 when thrown.
    const before: Record<string, number> = {
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
      NULLIFIER_SPENT: 409,
      NULLIFIER_PENDING: 409,
      COMMITMENT_EXISTS: 409,
      DUPLICATE_TX: 409,
      UNKNOWN_ANCHOR: 409,
      UNKNOWN_RESOURCE: 409,
      NOT_FROZEN: 409,
      DEADLINE_PASSED: 409,
      BAD_PLAN: 422,
      MEMPOOL_FULL: 503,
      TOO_MANY_STREAMS: 503,
      DOMAIN_FAILED: 503,
      STORE_CLOSED: 503,
      STORE_FAILED: 503,
      STORE_CORRUPT: 503,
      STORE_FORMAT: 503,
      TRANSPORT_CLOSED: 503,
      INTERNAL: 500,
    };
    for (const [code, status] of Object.entries(before)) {
      expect(isWeftErrorCode(code), code).toBe(true);
      expect(httpStatusOf(code as WeftErrorCode, 'request'), code).toBe(status);
      expect(httpStatusOf(code as WeftErrorCode, 'rejection'), code).toBe(status);
    }
    // every code a transaction can be refused with (admission and eviction) keeps 422 / 400
    const rules: WeftErrorCode[] = [
      'BAD_PROOF',
      'BAD_SIGNATURE',
      'BAD_VALUE',
      'VALUE_MISMATCH',
      'LABEL_MISMATCH',
      'NK_MISMATCH',
      'WRONG_DOMAIN',
      'NULLIFIER_REPEATED',
      'DUPLICATE_COMMITMENT',
      'UNBALANCED',
      'UNKNOWN_LOGIC',
      'LOGIC_REJECTED',
      'REFUND_NO_DEADLINE',
      'REFUND_UNKNOWN_HEADER',
      'REFUND_TOO_EARLY',
      'REFUND_BAD_PROOF',
      'REFUND_NOT_REMOTE',
      'LIMIT_EXCEEDED',
      'EXPIRED',
      'VIEW_FROZEN',
    ];
    for (const code of rules) {
      expect([httpStatusOf(code, 'rejection'), httpStatusOf(code, 'request')], code).toEqual([422, 400]);
    }
  });

  it('names INTERNAL for errors that are not Weft errors and INVARIANT for broken invariants', () => {
    expect(ERROR_CODES.INTERNAL.status).toBe(500);
    expect(ERROR_CODES.INVARIANT).toEqual({
      status: 500,
      meaning: 'a broken internal invariant: a bug in Weft; the node stops',
    });
  });

  it('refuses a code it does not know when reading stored bytes (CODEC), and accepts its own', () => {
    expect(toWeftErrorCode('NULLIFIER_SPENT')).toBe('NULLIFIER_SPENT');
    for (const bad of ['', 'nullifier_spent', 'NO_SUCH_CODE', 'toString', '__proto__', 'constructor']) {
      expect(isWeftErrorCode(bad), bad).toBe(false);
      expect(() => toWeftErrorCode(bad), bad).toThrow(expect.objectContaining({ code: 'CODEC' }));
    }
    const stored = encodeStatus({ status: 'rejected', code: 'UNBALANCED', reason: 'r' });
    expect(decodeStatus(stored)).toEqual({ status: 'rejected', code: 'UNBALANCED', reason: 'r' });
    // the same bytes with the code's text changed to one this version does not know
    const forged = Buffer.from(stored).toString('latin1').replace('UNBALANCED', 'UNBALANCEZ');
    expect(() => decodeStatus(Buffer.from(forged, 'latin1'))).toThrow(WeftError);
  });
});

describe('client and codes it does not know', () => {
  // A stand-in for a newer node: answers every request with the error body it is told to.
  let server: Server;
  let url: string;
  let answer: { status: number; body: unknown } = { status: 500, body: {} };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  it('turns an unknown code into UNKNOWN_REMOTE_CODE and keeps the server code in remoteCode and the message', async () => {
    answer = { status: 409, body: { error: { code: 'QUOTA_SPENT', message: 'try tomorrow' } } };
    const err = await new WeftClient(url).health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftApiError);
    expect(err).toMatchObject({
      code: 'UNKNOWN_REMOTE_CODE',
      remoteCode: 'QUOTA_SPENT',
      httpStatus: 409,
      shortMessage: 'QUOTA_SPENT: try tomorrow',
    });
  });

  it('keeps a known code as it is, with remoteCode equal to it', async () => {
    answer = { status: 503, body: { error: { code: 'MEMPOOL_FULL', message: 'full' } } };
    const err = await new WeftClient(url).health().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MEMPOOL_FULL', remoteCode: 'MEMPOOL_FULL', httpStatus: 503 });
  });

  it('calls an error answer without a code BAD_RESPONSE (a proxy, not the API)', async () => {
    answer = { status: 502, body: { message: 'bad gateway' } };
    const err = await new WeftClient(url).health().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_RESPONSE', httpStatus: 502 });
  });

  it('reads a refused status with an unknown code as UNKNOWN_REMOTE_CODE, the code kept in the reason', () => {
    expect(statusFromJson({ status: 'rejected', code: 'NEW_RULE' as WeftErrorCode, reason: 'no' })).toEqual({
      status: 'rejected',
      code: 'UNKNOWN_REMOTE_CODE',
      reason: 'NEW_RULE: no',
    });
    expect(statusFromJson({ status: 'evicted', code: 'EXPIRED', reason: 'late' })).toEqual({
      status: 'evicted',
      code: 'EXPIRED',
      reason: 'late',
    });
  });
});
