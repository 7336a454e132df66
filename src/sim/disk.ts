// The simulator's disk: an in-memory model of a node store (the LMDB store's contract,
// store/durableNode.ts) that survives a simulated crash and can be made to fail mid-write.
// What it models: an append that never reached the disk (a lost unsynced write) or reached it
// only in part (a torn tail: recovery cuts it off, as openDomainNode does); a block commit that
// never happened (the tree version, block, header and checkpoint land together or not at all).
// Acknowledged writes are durable: a Domain acknowledges only after the store resolves.
import { hexKey, type KeyPair, WeftError } from '../crypto/index.js';
import {
  apply,
  type Block,
  type BlockCommit,
  Domain,
  type DomainInput,
  type DomainLimits,
  type DomainState,
  type DomainStore,
  decodeBlock,
  decodeInput,
  decodeSignedHeader,
  decodeState,
  decodeStatus,
  encodeBlock,
  encodeInput,
  encodeSignedHeader,
  encodeState,
  encodeStatus,
  headerHash,
  type KeySet,
  type SignedHeader,
  type TxStatus,
  valuesOf,
} from '../domain/index.js';
import { builtinRegistry } from '../resource/index.js';
import { MemoryNodeStore, Smt } from '../smt/index.js';
import { MemoryTransferStore } from '../transfer/index.js';

/** How the next write fails, when a crash is armed: nothing lands, or a torn prefix of the entry. */
export type CrashMode = 'lost' | 'torn';

export class SimDisk {
  readonly tree = new MemoryNodeStore();
  /** transfer records of the node's driver (its store survives a crash too) */
  readonly transfers = new MemoryTransferStore();
  genesis: Uint8Array | null = null;
  /** encoded inputs, durable, in order (the transcript) */
  readonly transcript: Uint8Array[] = [];
  /** a torn last entry (a prefix of an append that never completed), cut off at recovery */
  torn: Uint8Array | null = null;
  readonly blocks: Uint8Array[] = [];
  readonly headers: Uint8Array[] = [];
  checkpoint: { height: bigint; seq: number; state: Uint8Array } | null = null;
  readonly statuses = new Map<string, Uint8Array>();
  readonly values = new Map<string, Uint8Array>();
  /** the next write fails this way (the node crashes in the middle of it) */
  crashNext: CrashMode | null = null;
  /** writes that failed so (for the summary) */
  crashes = { lost: 0, torn: 0 };

  header(height: bigint): SignedHeader | undefined {
    const b = this.headers[Number(height)];
    return b ? decodeSignedHeader(b) : undefined;
  }

  block(height: bigint): Block | undefined {
    const b = this.blocks[Number(height)];
    return b ? decodeBlock(b) : undefined;
  }

  get height(): bigint {
    return BigInt(this.headers.length - 1);
  }

  /** Fails the write now if a crash is armed: a torn prefix or nothing reaches the disk. */
  maybeCrash(entry: Uint8Array | null): void {
    const mode = this.crashNext;
    if (mode === null) return;
    this.crashNext = null;
    this.crashes[mode]++;
    if (mode === 'torn' && entry !== null && entry.length > 1) this.torn = entry.slice(0, entry.length >> 1);
    throw new WeftError('STORE_FAILED', `simulated crash during a write (${mode})`);
  }

  store(): DomainStore {
    return new SimStore(this);
  }

  /**
   * Replays the whole transcript from the genesis state through `apply` (no tree, no side effect)
   * and checks that every seal reproduces the header the disk holds at its height: what
   * `weft store verify` does for an LMDB store. Returns the problems found (empty: it replays).
   */
  replayProblems(): string[] {
    if (this.genesis === null) return ['no genesis state on disk'];
    let state: DomainState = decodeState(this.genesis);
    const env = { logics: builtinRegistry() };
    let height = 0n;
    for (const [i, bytes] of this.transcript.entries()) {
      const input = decodeInput(bytes);
      try {
        state = apply(state, input, env).state;
      } catch (e) {
        return [`transcript entry ${i + 1} (${input.type}) does not replay: ${(e as Error).message}`];
      }
      if (input.type === 'seal') {
        height++;
        const stored = this.header(height);
        if (!stored) return [`the transcript seals block ${height}, which the disk does not hold`];
        if (hexKey(headerHash(stored.header)) !== hexKey(headerHash(state.head))) {
          return [`replaying the transcript gives another header at height ${height} than the one stored`];
        }
      }
    }
    if (height !== this.height) {
      return [`the transcript seals ${height} blocks, the disk holds ${this.height}`];
    }
    return [];
  }
}

class SimStore implements DomainStore {
  constructor(private readonly disk: SimDisk) {}

  async appendInputs(inputs: DomainInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const encoded = inputs.map(encodeInput);
    this.disk.maybeCrash(encoded[0]!);
    this.disk.transcript.push(...encoded);
  }

  async commitGenesis(c: BlockCommit): Promise<void> {
    this.disk.genesis = encodeState(c.state);
    await this.commitBlock(c);
  }

  async commitBlock(c: BlockCommit): Promise<void> {
    const inputs = c.inputs.map(encodeInput);
    const block = encodeBlock(c.block);
    const header = encodeSignedHeader(c.signed);
    const state = encodeState(c.state);
    const statuses = c.statuses.map(([k, st]) => [k, st] as const);
    const values = valuesOf(c.block);
    const height = c.block.header.height;
    if (height > 0n) this.disk.maybeCrash(null);
    const d = this.disk;
    await c.staged.commit(() => {
      d.transcript.push(...inputs);
      d.blocks[Number(height)] = block;
      d.headers[Number(height)] = header;
      d.checkpoint = { height, seq: d.transcript.length, state };
      for (const [k, st] of statuses) {
        if (st.status === 'rejected') {
          const known = d.statuses.get(k);
          if (known && decodeStatus(known).status === 'included') continue;
        }
        d.statuses.set(k, encodeStatus(st));
      }
      for (const [k, v] of values) d.values.set(k, v);
    });
  }

  header(height: bigint): SignedHeader | undefined {
    return this.disk.header(height);
  }

  block(height: bigint): Block | undefined {
    return this.disk.block(height);
  }

  status(txKey: string): TxStatus | undefined {
    const b = this.disk.statuses.get(txKey);
    return b ? decodeStatus(b) : undefined;
  }

  value(refKey: string): Uint8Array | undefined {
    return this.disk.values.get(refKey);
  }
}

export type OpenSimNode = {
  name: string;
  signers: KeyPair[];
  keySet: KeySet;
  limits: DomainLimits;
  genesisTimestamp: bigint;
  clock: () => bigint;
};

/** Creates the node's domain on an empty disk, or recovers it: checkpoint, then the transcript after it. */
export async function openSimDomain(
  disk: SimDisk,
  o: OpenSimNode,
): Promise<{ domain: Domain; replayed: number; tornTail: boolean }> {
  const tree = await Smt.open(disk.tree);
  if (disk.checkpoint === null) {
    const domain = await Domain.create({
      name: o.name,
      signers: o.signers,
      keySet: o.keySet,
      limits: o.limits,
      genesisTimestamp: o.genesisTimestamp,
      clock: o.clock,
      tree,
      store: disk.store(),
    });
    return { domain, replayed: 0, tornTail: false };
  }
  const tornTail = disk.torn !== null;
  disk.torn = null; // recovery cuts a torn last entry off (it was never acknowledged)
  const cp = disk.checkpoint;
  const replay = disk.transcript.slice(cp.seq).map(decodeInput);
  const domain = Domain.resume({
    state: decodeState(cp.state),
    tree,
    store: disk.store(),
    replay,
    signers: o.signers,
    clock: o.clock,
  });
  return { domain, replayed: replay.length, tornTail };
}
