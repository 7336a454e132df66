// Declarations: the objects a transaction reads and writes, and its two gas commitments. Every
// node works out scopes and the off-DAG marking from these alone (docs/scopes.md).
import { assertBytes, compareBytes, type Reader, WeftError, type Writer } from '../crypto/index.js';
import { GAS } from './gas.js';
import { DECL_OBJECTS_MAX, U64_MAX } from './limits.js';

/** Format byte of an encoded declaration. */
export const DECLARATION_FORMAT = 1;

/**
 * How a transaction touches an object: `read` (fetched by the meta-instruction, never written),
 * `readWrite` (fetched, then a new vertex), `write` (write-only: a new vertex that does not
 * depend on the previous one, allowed only with a sequence index).
 */
export type Access = 'read' | 'write' | 'readWrite';

/**
 * The sequence number of the vertex a transaction reads or overwrites (0 for an object never
 * written), exactly or as a lower bound. Checked from the DAG's metadata alone; a wrong index
 * fails the transaction.
 */
export type SeqIndex = { kind: 'exact' | 'atLeast'; seq: bigint };

/** One declared object: its id, its owner program (logicRef), the access and an optional index. */
export type DeclEntry = { object: Uint8Array; program: Uint8Array; access: Access; index: SeqIndex | null };

/**
 * A transaction's declaration: entries sorted by object id (one per object), `localGas` (the most
 * gas its own execution may use) and `scopeGas` (the most local gas its scope may sum to, for
 * every program it writes to).
 */
export type Declaration = { entries: DeclEntry[]; localGas: bigint; scopeGas: bigint };

const ACCESS_TAG = { read: 1, write: 2, readWrite: 3 } as const satisfies Record<Access, number>;
const INDEX_TAG = { none: 0, exact: 1, atLeast: 2 } as const;

export function isRead(access: Access): boolean {
  return access !== 'write';
}

export function isWrite(access: Access): boolean {
  return access !== 'read';
}

/**
 * Refuses a declaration that breaks a rule, each with its own code, in this order:
 * `DECL_TOO_MANY_OBJECTS`, `DECL_MALFORMED` (field types and sizes), `GAS_OUT_OF_RANGE`,
 * `GAS_BELOW_BASE` (localGas under GAS.txBase), `DECL_DUPLICATE_OBJECT`, `DECL_NOT_CANONICAL` (entries not sorted by object id),
 * `DECL_WRITE_NOT_READ` (a write-only entry without an index: `w ⊄ r`).
 */
export function checkDeclaration(decl: Declaration): void {
  if (!decl || !Array.isArray(decl.entries))
    throw new WeftError('DECL_MALFORMED', 'a declaration has entries');
  if (decl.entries.length > DECL_OBJECTS_MAX) {
    throw new WeftError(
      'DECL_TOO_MANY_OBJECTS',
      `a declaration names at most ${DECL_OBJECTS_MAX} objects, got ${decl.entries.length}`,
    );
  }
  for (const [i, e] of decl.entries.entries()) checkEntry(e, i);
  checkGas(decl.localGas, 'localGas');
  checkGas(decl.scopeGas, 'scopeGas');
  // Every transaction pays at least the base, so a scope walk visits at most scopeGas / txBase
  // transactions: metadata work is bounded by gas too.
  if (decl.localGas < GAS.txBase) {
    throw new WeftError(
      'GAS_BELOW_BASE',
      `localGas must cover the base cost of ${GAS.txBase}, got ${decl.localGas}`,
    );
  }
  for (let i = 1; i < decl.entries.length; i++) {
    const order = compareBytes(decl.entries[i - 1]!.object, decl.entries[i]!.object);
    if (order === 0)
      throw new WeftError('DECL_DUPLICATE_OBJECT', `entry ${i} names the same object as entry ${i - 1}`);
    if (order > 0)
      throw new WeftError('DECL_NOT_CANONICAL', `entries must be sorted by object id (entry ${i})`);
  }
  for (const [i, e] of decl.entries.entries()) {
    if (e.access === 'write' && e.index === null) {
      throw new WeftError(
        'DECL_WRITE_NOT_READ',
        `entry ${i} writes without reading and names no sequence index: declare it readWrite, or name the index it overwrites`,
      );
    }
  }
}

function checkEntry(e: DeclEntry, i: number): void {
  const bad = (why: string): never => {
    throw new WeftError('DECL_MALFORMED', `declaration entry ${i}: ${why}`);
  };
  if (!e || typeof e !== 'object') bad('not an object');
  if (!(e.object instanceof Uint8Array) || e.object.length !== 32) bad('object must be 32 bytes');
  if (!(e.program instanceof Uint8Array) || e.program.length !== 32) bad('program must be 32 bytes');
  if (!Object.hasOwn(ACCESS_TAG, e.access))
    bad(`access must be read, write or readWrite, got ${String(e.access)}`);
  if (e.index !== null) {
    if (!e.index || (e.index.kind !== 'exact' && e.index.kind !== 'atLeast'))
      bad('index kind must be exact or atLeast');
    if (typeof e.index.seq !== 'bigint' || e.index.seq < 0n || e.index.seq > U64_MAX)
      bad('index seq must be a u64');
  }
}

function checkGas(gas: bigint, name: string): void {
  if (typeof gas !== 'bigint' || gas < 0n || gas > U64_MAX) {
    throw new WeftError('GAS_OUT_OF_RANGE', `${name} must be a u64 bigint, got ${String(gas)}`);
  }
}

/**
 * Canonical bytes:
 * `u8 format (1) || localGas u64 || scopeGas u64 || list(entries, at most 64)`, each entry
 * `object 32 || program 32 || u8 access (1 read, 2 write, 3 readWrite) || u8 index (0 none, 1 exact, 2 atLeast) || [seq u64]`.
 */
export function writeDeclaration(w: Writer, decl: Declaration): void {
  checkDeclaration(decl);
  w.u8(DECLARATION_FORMAT).u64(decl.localGas).u64(decl.scopeGas);
  w.list(decl.entries, DECL_OBJECTS_MAX, (w, e) => {
    w.fixed(e.object, 32).fixed(e.program, 32).u8(ACCESS_TAG[e.access]);
    if (e.index === null) w.u8(INDEX_TAG.none);
    else w.u8(INDEX_TAG[e.index.kind]).u64(e.index.seq);
  });
}

/** Reads a declaration and checks it (CODEC for bad bytes, the rule's code for a broken rule). */
export function readDeclaration(r: Reader): Declaration {
  const format = r.u8();
  if (format !== DECLARATION_FORMAT) throw new WeftError('CODEC', `unknown declaration format ${format}`);
  const localGas = r.u64();
  const scopeGas = r.u64();
  const count = r.u32();
  if (count > DECL_OBJECTS_MAX) {
    throw new WeftError(
      'DECL_TOO_MANY_OBJECTS',
      `a declaration names at most ${DECL_OBJECTS_MAX} objects, got ${count}`,
    );
  }
  const entries: DeclEntry[] = [];
  for (let i = 0; i < count; i++) {
    const object = r.fixed(32).slice();
    const program = r.fixed(32).slice();
    const accessTag = r.u8();
    const access = (Object.keys(ACCESS_TAG) as Access[]).find((a) => ACCESS_TAG[a] === accessTag);
    if (access === undefined) throw new WeftError('CODEC', `unknown access tag ${accessTag}`);
    const indexTag = r.u8();
    let index: SeqIndex | null;
    if (indexTag === INDEX_TAG.none) index = null;
    else if (indexTag === INDEX_TAG.exact) index = { kind: 'exact', seq: r.u64() };
    else if (indexTag === INDEX_TAG.atLeast) index = { kind: 'atLeast', seq: r.u64() };
    else throw new WeftError('CODEC', `unknown index tag ${indexTag}`);
    entries.push({ object, program, access, index });
  }
  const decl = { entries, localGas, scopeGas };
  checkDeclaration(decl);
  return decl;
}

/** Whether `current` (the object's latest seq, 0 when never written) satisfies `index`. */
export function indexHolds(index: SeqIndex, current: bigint): boolean {
  return index.kind === 'exact' ? current === index.seq : current >= index.seq;
}

/** A declaration from unsorted entries: sorts them by object id (duplicates still refused). */
export function declare(entries: DeclEntry[], gas: { localGas: bigint; scopeGas: bigint }): Declaration {
  for (const e of entries) assertBytes(e?.object, 32, 'entry.object');
  const sorted = [...entries].sort((a, b) => compareBytes(a.object, b.object));
  const decl = { entries: sorted, localGas: gas.localGas, scopeGas: gas.scopeGas };
  checkDeclaration(decl);
  return decl;
}
