import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open as lmdbOpen } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex, WeftError } from '../src/crypto/index.js';
import { encodeHeader } from '../src/domain/index.js';
import { commitment, nullifier } from '../src/resource/index.js';
import { checkLmdbDataFile } from '../src/smt/index.js';
import { hasNodeStore, LmdbTransferStore, openDomainNode, openNodeEnv } from '../src/store/index.js';
import { encodeEntry } from '../src/store/transcript.js';
import { alice, bob, key, steppingClock, Wallet } from './helpers/domain.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'weft-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const operator = key('secp256k1', 'store/operator');
const create = { name: 'durable', genesisTimestamp: 1_700_000_000_000n };
const open = (dir: string, withCreate = false) =>
  openDomainNode(dir, {
    signers: [operator],
    clock: steppingClock(1_800_000_000_000n),
    ...(withCreate ? { create } : {}),
  });

describe('a durable domain node', () => {
  it('reopens with every block, header, status and the mempool as they were', async () => {
    const dir = tempDir();
    const n1 = await open(dir, true);
    expect(n1.recovery.created).toBe(true);
    const w = new Wallet(n1.domain);
    const coin = await w.mint(alice.publicKey, 100n);
    const t = w.transferTx(coin, alice, bob.publicKey, 60n);
    const r = await n1.domain.submit(t.tx);
    await n1.domain.sealBlock();
    const pendingMint = await n1.domain.submit(w.mintTx(bob.publicKey, 7n).tx); // logged, not sealed
    const headers = [0n, 1n, 2n].map((h) => toHex(encodeHeader(n1.domain.header(h)!.header)));
    const root = toHex(n1.domain.stateRoot);
    await n1.close();

    const n2 = await open(dir);
    expect(n2.recovery).toMatchObject({ created: false, checkpointHeight: 2n, replayed: 1, tornTail: null });
    expect(n2.domain.committedHeight).toBe(2n);
    expect(toHex(n2.domain.stateRoot)).toBe(root);
    expect([0n, 1n, 2n].map((h) => toHex(encodeHeader(n2.domain.header(h)!.header)))).toEqual(headers);
    expect(n2.domain.status(r.txId)).toMatchObject({ status: 'included', height: 2n });
    expect(n2.domain.status(pendingMint.txId)).toMatchObject({ status: 'pending' });
    expect(n2.domain.mempoolSize).toBe(1);
    // The replayed submission is sealed after the restart, once.
    await n2.domain.sealBlock();
    expect(n2.domain.status(pendingMint.txId)).toMatchObject({ status: 'included', height: 3n });
    const spent = n2.domain.proveNullifier(nullifier(coin.resource, coin.nk));
    expect(spent.value).not.toBeNull();
    expect(n2.domain.proveCommitment(commitment(t.out.resource)).value).not.toBeNull();
    await n2.close();
  });

  it('refuses to open what is not there, and a store of another format, without touching it', async () => {
    const dir = tempDir();
    await expect(open(join(dir, 'nothing'))).rejects.toMatchObject({ code: 'STORE_MISSING' });
    const n = await open(dir, true);
    await n.close();
    const env = openNodeEnv(dir);
    env.meta.putSync(new TextEncoder().encode('format'), new Uint8Array([0x57, 0x46, 0x4e, 0x44, 0, 9]));
    await env.env.close();
    await expect(open(dir)).rejects.toSatisfy(
      (e) => e instanceof WeftError && e.code === 'STORE_FORMAT' && /format 9/.test(e.message),
    );
  });
});

/** A node with three sealed blocks and `pending` submissions logged after the last checkpoint. */
async function nodeWithTail(pending: number): Promise<string> {
  const dir = tempDir();
  const n = await open(dir, true);
  const w = new Wallet(n.domain);
  for (let i = 0; i < 3; i++) await w.mint(alice.publicKey, BigInt(i + 1));
  for (let i = 0; i < pending; i++) await n.domain.submit(w.mintTx(bob.publicKey, BigInt(10 + i)).tx);
  await n.close();
  return dir;
}

function rewriteEntry(dir: string, seq: bigint, f: (value: Uint8Array) => Uint8Array): void {
  const env = openNodeEnv(dir);
  const k = new Uint8Array(8);
  new DataView(k.buffer).setBigUint64(0, seq);
  const v = env.transcript.getBinary(k)!;
  env.transcript.putSync(k, f(v.slice()));
  void env.env.close();
}

function lastSeq(dir: string): bigint {
  const env = openNodeEnv(dir);
  let last = 0n;
  for (const k of env.transcript.getKeys({ reverse: true, limit: 1 })) {
    last = new DataView((k as Uint8Array).buffer, (k as Uint8Array).byteOffset, 8).getBigUint64(0);
  }
  void env.env.close();
  return last;
}

describe('damaged transcripts', () => {
  it('cuts off a torn last entry (shorter than it claims) and recovers without it', async () => {
    const dir = await nodeWithTail(3);
    const last = lastSeq(dir);
    rewriteEntry(dir, last, (v) => v.subarray(0, v.length - 20));
    const n = await open(dir);
    expect(n.recovery.tornTail).toMatchObject({ seq: last, kind: 'torn' });
    expect(n.recovery.replayed).toBe(2);
    expect(n.domain.mempoolSize).toBe(2);
    await n.close();
    // The cut is durable: the next open finds a clean tail.
    const again = await open(dir);
    expect(again.recovery.tornTail).toBeNull();
    await again.close();
  });

  it('stops on a bit flip in the middle, naming the entry', async () => {
    const dir = await nodeWithTail(3);
    const last = lastSeq(dir);
    rewriteEntry(dir, last - 1n, (v) => {
      v[10]! ^= 0x01;
      return v;
    });
    await expect(open(dir)).rejects.toSatisfy(
      (e) =>
        e instanceof WeftError && e.code === 'TRANSCRIPT_CORRUPT' && e.message.includes(`entry ${last - 1n}`),
    );
  });

  it('stops on a broken hash chain (an entry re-hashed over the wrong link), naming the entry', async () => {
    const dir = await nodeWithTail(3);
    const last = lastSeq(dir);
    rewriteEntry(dir, last - 1n, (v) => {
      const n = new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
      const input = v.subarray(4, 4 + n);
      return encodeEntry(last - 1n, new Uint8Array(32).fill(9), input).value;
    });
    await expect(open(dir)).rejects.toSatisfy(
      (e) =>
        e instanceof WeftError && e.code === 'TRANSCRIPT_CORRUPT' && /broken-chain at entry/.test(e.message),
    );
  });

  it('refuses a truncated data file with a clear error', async () => {
    const dir = await nodeWithTail(1);
    const file = join(dir, 'data.mdb');
    const size = readFileSync(file).length;
    truncateSync(file, Math.floor(size / 3));
    await expect(open(dir)).rejects.toBeInstanceOf(WeftError);
    writeFileSync(file, new Uint8Array(0));
    await expect(open(dir)).rejects.toBeInstanceOf(WeftError);
  });
});

describe('a store whose creation was interrupted', () => {
  it('opens as a new store when its data file is empty, all zeros, or never committed', async () => {
    for (const leftover of ['empty', 'zeros', 'lmdb'] as const) {
      const dir = tempDir();
      const file = join(dir, 'data.mdb');
      if (leftover === 'empty') writeFileSync(file, new Uint8Array(0));
      if (leftover === 'zeros') writeFileSync(file, new Uint8Array(8192));
      if (leftover === 'lmdb') {
        // LMDB made its file (both meta pages at transaction 0) and the process died before a commit.
        const env = lmdbOpen({ path: dir });
        await env.close();
        expect(checkLmdbDataFile(dir)).toBe('uncommitted');
      }
      expect(hasNodeStore(dir)).toBe(false);
      // Without `create` it is no store at all, and says why.
      await expect(open(dir)).rejects.toSatisfy(
        (e) => e instanceof WeftError && e.code === 'STORE_MISSING' && /never saw a commit/.test(e.message),
      );
      const n = await open(dir, true);
      expect(n.recovery.created, leftover).toBe(true);
      await n.domain.sealBlock();
      await n.close();
      const again = await open(dir);
      expect(again.recovery.created).toBe(false);
      expect(again.domain.committedHeight).toBe(1n);
      await again.close();
    }
  });

  it('still refuses a truncated store that committed something, even when asked to create', async () => {
    const dir = await nodeWithTail(1);
    const file = join(dir, 'data.mdb');
    const size = readFileSync(file).length;
    for (const cut of [Math.floor(size / 2), 8192, 4096]) {
      truncateSync(file, cut);
      expect(() => checkLmdbDataFile(dir), `cut to ${cut}`).toThrow(/truncated/);
      await expect(open(dir, true)).rejects.toSatisfy(
        (e) => e instanceof WeftError && e.code === 'STORE_CORRUPT' && /truncated/.test(e.message),
      );
    }
  });
});

const leafDb = (env: ReturnType<typeof lmdbOpen>) =>
  env.openDB({ name: 'smt:leaves', keyEncoding: 'binary', encoding: 'binary' });

describe('weft store verify and inspect', () => {
  const run = async (args: string[]) => {
    const { main } = await import('../src/cli/main.js');
    const lines: string[] = [];
    const code = await main(args, { log: (s) => lines.push(s), error: (s) => lines.push(s) });
    return { code, text: lines.join('\n') };
  };

  it('passes a sound store and summarises it', async () => {
    const dir = await nodeWithTail(2);
    const v = await run(['store', 'verify', dir]);
    expect(v.text).toContain('no faults');
    expect(v.code).toBe(0);
    const i = await run(['store', 'inspect', dir, '--json']);
    expect(i.code).toBe(0);
    const summary = JSON.parse(i.text);
    expect(summary).toMatchObject({ domain: 'durable', committedHeight: '3', mempool: 2 });
  });

  it('finds a bit flip, a broken chain and a torn tail, each by entry', async () => {
    const flipped = await nodeWithTail(3);
    const last = lastSeq(flipped);
    rewriteEntry(flipped, 2n, (v) => {
      v[12]! ^= 0x40;
      return v;
    });
    const a = await run(['store', 'verify', flipped]);
    expect(a.code).toBe(1);
    expect(a.text).toMatch(/FAULT +transcript +transcript entry 2: corrupt/);

    const broken = await nodeWithTail(3);
    rewriteEntry(broken, last - 1n, (v) => {
      const n = new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
      return encodeEntry(last - 1n, new Uint8Array(32).fill(3), v.subarray(4, 4 + n)).value;
    });
    const b = await run(['store', 'verify', broken]);
    expect(b.code).toBe(1);
    expect(b.text).toContain(`transcript entry ${last - 1n}: broken-chain`);

    const torn = await nodeWithTail(3);
    rewriteEntry(torn, last, (v) => v.subarray(0, 10));
    const c = await run(['store', 'verify', torn]);
    expect(c.code).toBe(0);
    expect(c.text).toMatch(/warning .*torn tail/);
  });

  it("finds a missing and an altered leaf record of the node's tree (store format 3)", async () => {
    const leafRecords = (dir: string, each: (db: ReturnType<typeof leafDb>, keys: Uint8Array[]) => void) => {
      const env = lmdbOpen({ path: dir, maxDbs: 32, compression: false });
      const db = leafDb(env);
      each(db, [...db.getKeys({})] as Uint8Array[]);
      return env.close();
    };
    const missing = await nodeWithTail(2);
    await leafRecords(missing, (db, keys) => {
      expect(keys.length).toBeGreaterThan(0);
      db.removeSync(keys[0]!);
    });
    const a = await run(['store', 'verify', missing]);
    expect(a.code).toBe(1);
    expect(a.text).toMatch(/FAULT +tree .*missing leaf record/);

    const altered = await nodeWithTail(2);
    await leafRecords(altered, (db, keys) => {
      const value = db.getBinary(keys[0]!)!.slice();
      value[value.length - 1]! ^= 0x01; // the value's last byte: its leaf hash no longer matches
      db.putSync(keys[0]!, value);
    });
    const b = await run(['store', 'verify', altered]);
    expect(b.code).toBe(1);
    expect(b.text).toMatch(/FAULT +tree .*leaf's hash does not match/);
  });

  it('finds a truncated data file, and reports bad usage with exit code 2', async () => {
    const dir = await nodeWithTail(1);
    const file = join(dir, 'data.mdb');
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    const t = await run(['store', 'verify', dir]);
    expect(t.code).toBe(1);
    expect(t.text).toMatch(/truncated/);
    expect((await run(['store', 'verify'])).code).toBe(2);
    expect((await run(['store', 'frobnicate', dir])).code).toBe(2);
    expect((await run(['store', 'verify', dir, '--bogus'])).code).toBe(2);
  });
});

describe('acknowledgements and storage faults', () => {
  it('answers DUPLICATE_TX for a transaction included before a restart, and keeps its status', async () => {
    const dir = tempDir();
    const n1 = await open(dir, true);
    const w = new Wallet(n1.domain);
    const coin = await w.mint(alice.publicKey, 10n);
    const t = w.transferTx(coin, alice, bob.publicKey, 4n);
    const first = await n1.domain.submit(t.tx);
    await n1.domain.sealBlock();
    await n1.close();
    const n2 = await open(dir);
    const again = await n2.domain.submit(t.tx);
    expect(again.status).toMatchObject({ status: 'included', height: 2n });
    expect(n2.domain.status(first.txId)).toMatchObject({ status: 'included', height: 2n });
    await n2.domain.sealBlock();
    expect(n2.domain.status(first.txId)).toMatchObject({ status: 'included', height: 2n });
    await n2.close();
  });

  it('does not acknowledge or apply a submission whose transcript entry failed to land', async () => {
    const dir = tempDir();
    const n = await open(dir, true);
    const w = new Wallet(n.domain);
    const real = n.store.appendInputs.bind(n.store);
    n.store.appendInputs = async () => {
      throw new Error('disk full (injected)');
    };
    const { tx } = w.mintTx(alice.publicKey, 5n);
    await expect(n.domain.submit(tx)).rejects.toThrow(/disk full/);
    expect(n.domain.mempoolSize).toBe(0);
    // The node stops rather than run on memory the disk does not back.
    n.store.appendInputs = real;
    await expect(n.domain.submit(tx)).rejects.toMatchObject({ code: 'DOMAIN_FAILED' });
    await n.close();
    const reopened = await open(dir);
    expect(reopened.domain.mempoolSize).toBe(0);
    expect((await reopened.domain.submit(tx)).status.status).toBe('pending');
    await reopened.close();
  });

  it('stops when a block fails to commit, and recovers the block as never sealed', async () => {
    const dir = tempDir();
    const n = await open(dir, true);
    const w = new Wallet(n.domain);
    const { tx } = w.mintTx(alice.publicKey, 5n);
    const r = await n.domain.submit(tx);
    n.store.commitBlock = async () => {
      throw new Error('I/O error (injected)');
    };
    await expect(n.domain.sealBlock()).rejects.toThrow(/I\/O error/);
    await expect(n.domain.sealBlock()).rejects.toMatchObject({ code: 'DOMAIN_FAILED' });
    await n.close();
    const again = await open(dir);
    expect(again.domain.committedHeight).toBe(0n);
    expect(again.domain.status(r.txId)?.status).toBe('pending');
    await again.domain.sealBlock();
    expect(again.domain.status(r.txId)).toMatchObject({ status: 'included', height: 1n });
    await again.close();
  });
});

describe('every input reaches the transcript', () => {
  it('logs accepted remote headers, so recovery and verify reproduce the blocks that record them', async () => {
    const dir = tempDir();
    const n = await open(dir, true);
    const { makeDomain } = await import('./helpers/domain.js');
    const other = await makeDomain('remote-peer');
    await new Wallet(other).mint(alice.publicKey, 3n);
    await n.domain.acceptRemoteHeader(other.header(1n)!.header);
    const sealed = await n.domain.sealBlock(); // records 0x03 || peer -> header in its tree
    await n.close();
    const again = await open(dir);
    expect(again.domain.remoteHeader(other.id)?.height).toBe(1n);
    expect(toHex(again.domain.header(1n)!.header.stateRoot)).toBe(toHex(sealed.header.stateRoot));
    await again.close();
    const { verifyStore } = await import('../src/store/index.js');
    expect((await verifyStore(dir)).faults).toEqual([]);
  });
});

describe('transfer records in a node store', () => {
  it('reads a finished transfer by id after the process that drove it is gone', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = tempDir();
    const made = spawnSync(
      process.execPath,
      [
        join(import.meta.dirname, '..', 'bin', 'weft.mjs'),
        'demo',
        '--domains',
        '2',
        '--transfers',
        '3',
        '--data-dir',
        dir,
      ],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const node = openNodeEnv(join(dir, 'domain-a'), { readOnly: true });
    try {
      const store = new LmdbTransferStore(node);
      const all = store.list();
      expect(all.length).toBeGreaterThan(0);
      for (const rec of all) {
        expect(rec.transfer.phase).toBe('confirmed');
        expect(store.get(rec.transfer.id)?.transfer).toEqual(rec.transfer);
      }
      expect(store.get(`0x${'00'.repeat(32)}`)).toBeUndefined();
      expect(store.get('not an id')).toBeUndefined();
    } finally {
      await node.env.close();
    }
  });
});
