// One LMDB environment per node (docs/storage.md): the tree, blocks, headers, the transcript,
// checkpoints, transaction statuses, content-addressed values and transfer state, each in its
// own named database, behind one format number checked at open.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { Reader, WeftError, Writer } from '../crypto/index.js';
import { checkLmdbDataFile, LmdbNodeStore } from '../smt/index.js';

/**
 * The node store format this build writes and reads. Format 2: transcripts log remote views whole
 * (`trustRemote`, signed `acceptRemoteHeader` with key set, mode and time, `freezeRemote` with its
 * evidence) and checkpoints hold state format 3; a format-1 store is refused (STORE_FORMAT).
 */
export const NODE_STORE_FORMAT = 2;
const MAGIC = 0x5746_4e44; // "WFND"
const MAP_SIZE_BYTES = 64 * 1024 * 1024 * 1024;

export type Db = Database<Uint8Array, Uint8Array>;

export type NodeEnv = {
  dir: string;
  env: RootDatabase;
  meta: Db;
  transcript: Db;
  blocks: Db;
  headers: Db;
  checkpoints: Db;
  statuses: Db;
  values: Db;
  transfers: Db;
  tree: LmdbNodeStore;
};

export const META_FORMAT_KEY = 'format';
export const META_GENESIS_KEY = 'genesis';

export function metaKey(name: string): Uint8Array {
  return new TextEncoder().encode(name);
}

function encodeFormat(): Uint8Array {
  return new Writer(8).u32(MAGIC).u16(NODE_STORE_FORMAT).finish();
}

function checkFormat(bytes: Uint8Array, dir: string): void {
  const r = new Reader(bytes);
  if (bytes.length < 6 || r.u32() !== MAGIC) {
    throw new WeftError('STORE_FORMAT', `${dir} is not a Weft node store (bad magic)`);
  }
  const format = r.u16();
  if (format !== NODE_STORE_FORMAT) {
    throw new WeftError(
      'STORE_FORMAT',
      `${dir} has node store format ${format}; this build reads format ${NODE_STORE_FORMAT}`,
      { details: 'Open it with the Weft version that wrote it. Stores are never rewritten silently.' },
    );
  }
}

/**
 * Whether `dir` holds a node store: an LMDB data file that saw at least one commit. A data file
 * left empty by a process killed while creating the store does not count (nothing in it was ever
 * acknowledged), so the node is created again in its place.
 */
export function hasNodeStore(dir: string): boolean {
  return existsSync(join(dir, 'data.mdb')) && checkLmdbDataFile(dir) === 'committed';
}

/**
 * Opens the node environment in `dir`. `create` makes a new store when the directory holds none;
 * an existing store of another format is refused, never rewritten.
 */
export function openNodeEnv(dir: string, opts: { create?: boolean; readOnly?: boolean } = {}): NodeEnv {
  const state = checkLmdbDataFile(dir);
  const exists = state === 'committed';
  if (!exists && !opts.create) {
    throw new WeftError(
      'STORE_MISSING',
      `no Weft node store in ${dir}${state === 'uncommitted' ? ' (its data file never saw a commit: a creation was interrupted)' : ''}`,
      { details: 'Check the path, or create the node first.' },
    );
  }
  if (!exists) mkdirSync(dir, { recursive: true });
  // Nothing in a data file without a commit was ever acknowledged: LMDB starts a new one.
  if (state === 'uncommitted') rmSync(join(dir, 'data.mdb'), { force: true });
  let env: RootDatabase;
  try {
    env = open({
      path: dir,
      maxDbs: 32,
      compression: false,
      mapSize: MAP_SIZE_BYTES,
      readOnly: opts.readOnly ?? false,
    });
  } catch (e) {
    throw new WeftError(
      'STORE_CORRUPT',
      `cannot open the LMDB environment in ${dir}: ${(e as Error).message}`,
      {
        details:
          'The data file may be truncated or damaged. Run `weft store verify` on a copy, and restore from a backup.',
        cause: e,
      },
    );
  }
  const db = (name: string) =>
    env.openDB({ name, keyEncoding: 'binary', encoding: 'binary' }) as unknown as Db;
  const node: NodeEnv = {
    dir,
    env,
    meta: db('node:meta'),
    transcript: db('node:transcript'),
    blocks: db('node:blocks'),
    headers: db('node:headers'),
    checkpoints: db('node:checkpoints'),
    statuses: db('node:statuses'),
    values: db('node:values'),
    transfers: db('node:transfers'),
    tree: LmdbNodeStore.inEnv(env, { name: 'smt' }),
  };
  let format: Uint8Array | undefined;
  try {
    format = node.meta.getBinary(metaKey(META_FORMAT_KEY)) ?? undefined;
  } catch (e) {
    throw new WeftError('STORE_CORRUPT', `cannot read ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (format) checkFormat(format, dir);
  else if (exists && !opts.create) throw new WeftError('STORE_FORMAT', `${dir} has no Weft node metadata`);
  else if (!opts.readOnly) node.meta.putSync(metaKey(META_FORMAT_KEY), encodeFormat());
  return node;
}

export function u64Key(v: bigint): Uint8Array {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setBigUint64(0, v);
  return k;
}

export function readU64Key(k: Uint8Array): bigint {
  return new DataView(k.buffer, k.byteOffset, 8).getBigUint64(0);
}
