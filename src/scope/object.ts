// Objects: mutable state owned by a program, kept in the domain tree under 0x04 || objectId as a
// chain of state vertices (object id, sequence number, value hash). See docs/scopes.md.
import {
  assertBytes,
  check,
  concatBytes,
  hexKey,
  Reader,
  sha256,
  utf8,
  WeftError,
  Writer,
} from '../crypto/index.js';
import { OBJECT_VALUE_BYTES_MAX, U64_MAX } from './limits.js';

/** Tree namespace of object state in a domain tree (ARCHITECTURE.md §3). */
export const OBJECT_KEY_PREFIX = 0x04;
/** Format byte of an object's tree value. */
export const OBJECT_STATE_FORMAT = 1;
/** Bytes of an object id, a program (logic) reference and a value hash. */
export const OBJECT_ID_BYTES = 32;
/** The value hash of a vertex that holds no value (a failed write-only, or never written). */
export const NULL_VALUE_HASH = new Uint8Array(32);

const OBJECT_ID_TAG = utf8('weft.object');

/**
 * What one object holds after its `seq`-th write: its owner `program` (a logicRef), `seq`
 * (1 for the first vertex) and `value` (null when a write-only entry failed or wrote nothing).
 */
export type ObjectState = { program: Uint8Array; seq: bigint; value: Uint8Array | null };

/** One state vertex of the object DAG: the object, which write it is, and a hash of its value. */
export type StateVertex = { object: Uint8Array; seq: bigint; valueHash: Uint8Array };

/**
 * The id of the object `name` of `program`: SHA256("weft.object" || program || u32 len || name).
 * Any 32 bytes may name an object; this is the convention programs use so ids never collide
 * across programs.
 *
 * @example const counter = objectId(counterProgram.ref, utf8('main'));
 */
export function objectId(program: Uint8Array, name: Uint8Array): Uint8Array {
  assertBytes(program, OBJECT_ID_BYTES, 'program');
  assertBytes(name, undefined, 'name');
  check(name.length <= 256, 'BAD_INPUT', 'an object name is at most 256 bytes');
  const w = new Writer(80).fixed(OBJECT_ID_TAG, OBJECT_ID_TAG.length).fixed(program, 32).bytes(name, 256);
  return sha256(w.finish());
}

/** The tree key of an object: 0x04 || objectId (33 bytes). */
export function objectKey(object: Uint8Array): Uint8Array {
  assertBytes(object, OBJECT_ID_BYTES, 'object');
  const key = new Uint8Array(33);
  key[0] = OBJECT_KEY_PREFIX;
  key.set(object, 1);
  return key;
}

/** SHA256(value), or 32 zero bytes for null. */
export function valueHash(value: Uint8Array | null): Uint8Array {
  return value === null ? NULL_VALUE_HASH : sha256(value);
}

/**
 * The tree value of an object:
 * `u8 format (1) || program 32 || seq u64 || u8 hasValue (0|1) || [bytes value (u32 length, at most 4,096)]`.
 */
export function encodeObjectState(state: ObjectState): Uint8Array {
  assertObjectState(state);
  const w = new Writer(64 + (state.value?.length ?? 0))
    .u8(OBJECT_STATE_FORMAT)
    .fixed(state.program, 32)
    .u64(state.seq)
    .bool(state.value !== null);
  if (state.value !== null) w.bytes(state.value, OBJECT_VALUE_BYTES_MAX);
  return w.finish();
}

/** Strict inverse of encodeObjectState (CODEC on an unknown format, truncation or trailing bytes). */
export function decodeObjectState(bytes: Uint8Array): ObjectState {
  const r = new Reader(bytes);
  const format = r.u8();
  if (format !== OBJECT_STATE_FORMAT) throw new WeftError('CODEC', `unknown object state format ${format}`);
  const program = r.fixed(32).slice();
  const seq = r.u64();
  const value = r.bool() ? r.bytes(OBJECT_VALUE_BYTES_MAX).slice() : null;
  r.end();
  if (seq === 0n) throw new WeftError('CODEC', 'an object in the tree has seq >= 1');
  return { program, seq, value };
}

export function assertObjectState(state: ObjectState): void {
  assertBytes(state?.program, 32, 'state.program');
  check(
    typeof state.seq === 'bigint' && state.seq >= 1n && state.seq <= U64_MAX,
    'BAD_INPUT',
    'an object state has a u64 seq of at least 1',
  );
  if (state.value !== null) {
    assertBytes(state.value, undefined, 'state.value');
    check(
      state.value.length <= OBJECT_VALUE_BYTES_MAX,
      'OBJECT_VALUE_TOO_LARGE',
      `an object value is at most ${OBJECT_VALUE_BYTES_MAX} bytes, got ${state.value.length}`,
    );
  }
}

/** The vertex an object state is. */
export function vertexOf(object: Uint8Array, state: ObjectState): StateVertex {
  return { object, seq: state.seq, valueHash: valueHash(state.value) };
}

/** Map key of an object (unprefixed hex). */
export function objectKeyString(object: Uint8Array): string {
  return hexKey(object);
}

/** Map key of a vertex: `<object hex>:<seq>`. */
export function vertexKeyString(object: Uint8Array | string, seq: bigint): string {
  return `${typeof object === 'string' ? object : hexKey(object)}:${seq}`;
}

/** Canonical bytes of a vertex, what vertex lists hash: object 32 || seq u64 || valueHash 32. */
export function encodeVertex(v: StateVertex): Uint8Array {
  return new Writer(72).fixed(v.object, 32).u64(v.seq).fixed(v.valueHash, 32).finish();
}

/** SHA256("weft.vertices" || each vertex in order): one digest for a list of vertices. */
export function verticesDigest(vertices: readonly StateVertex[]): Uint8Array {
  return sha256(concatBytes(utf8('weft.vertices'), ...vertices.map(encodeVertex)));
}
