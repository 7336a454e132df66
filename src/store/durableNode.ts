// A durable domain node: the DomainStore on LMDB, and opening a node — creating it, or recovering
// it from its last checkpoint and the transcript after it (docs/storage.md).
import {
  check,
  type KeyPair,
  Reader,
  type SignatureVerifierPool,
  toHex,
  WeftError,
  Writer,
} from '../crypto/index.js';
import {
  type AnchorPolicy,
  type Block,
  type BlockCommit,
  Domain,
  type DomainInput,
  type DomainLimits,
  type DomainState,
  type DomainStore,
  decodeBlock,
  decodeSignedHeader,
  decodeState,
  decodeStatus,
  encodeBlock,
  encodeInput,
  encodeSignedHeader,
  encodeState,
  encodeStatus,
  type KeySet,
  type SignedHeader,
  type TxStatus,
  valuesOf,
} from '../domain/index.js';
import type { LogicLookup } from '../resource/index.js';
import type { ProgramLookup, ProverSet } from '../scope/index.js';
import { Smt } from '../smt/index.js';
import { META_GENESIS_KEY, metaKey, type NodeEnv, openNodeEnv, readU64Key, u64Key } from './env.js';
import { type EntryFault, encodeEntry, entryInput, GENESIS_LINK, readEntries } from './transcript.js';

const CHECKPOINT_KEY = metaKey('latest');
/** Beside the checkpoint: the provers' state it was written with (docs/provers.md, "Persistence"). */
const PROVERS_KEY = metaKey('provers');

/**
 * The largest domain state a checkpoint holds, in bytes. Above the codec's usual 16 MiB cap on
 * purpose: the state carries the mempool (up to `mempoolTxsMax` transactions), and a checkpoint
 * written must always be readable again, or the node could never restart.
 */
export const CHECKPOINT_STATE_BYTES_MAX = 1 << 30;

/** The latest checkpoint: the state after block `height`, and the transcript position it covers. */
export type Checkpoint = { height: bigint; seq: bigint; seqHash: Uint8Array; state: DomainState };

export function encodeCheckpoint(
  height: bigint,
  seq: bigint,
  seqHash: Uint8Array,
  state: Uint8Array,
): Uint8Array {
  return new Writer(state.length + 64)
    .u64(height)
    .u64(seq)
    .fixed(seqHash, 32)
    .bytes(state, CHECKPOINT_STATE_BYTES_MAX)
    .finish();
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const r = new Reader(bytes);
  const height = r.u64();
  const seq = r.u64();
  const seqHash = r.fixed(32).slice();
  // Read with the checkpoint's own bound (the same the writer uses), not the codec's default.
  const length = r.u32();
  check(
    length <= CHECKPOINT_STATE_BYTES_MAX,
    'CODEC',
    `checkpoint state of ${length} bytes exceeds CHECKPOINT_STATE_BYTES_MAX`,
  );
  const state = decodeState(r.fixed(length));
  r.end();
  return { height, seq, seqHash, state };
}

/** The DomainStore of a node environment. */
export class LmdbDomainStore implements DomainStore {
  private seq: bigint;
  private seqHash: Uint8Array;

  constructor(
    readonly node: NodeEnv,
    seq: bigint,
    seqHash: Uint8Array,
  ) {
    this.seq = seq;
    this.seqHash = seqHash;
  }

  /** Position of the transcript's last entry. */
  get transcriptSeq(): bigint {
    return this.seq;
  }

  /** Encodes entries for `inputs` after the current tail (without moving the tail yet). */
  private entries(inputs: DomainInput[]): {
    puts: [Uint8Array, Uint8Array][];
    seq: bigint;
    hash: Uint8Array;
  } {
    let seq = this.seq;
    let hash = this.seqHash;
    const puts: [Uint8Array, Uint8Array][] = [];
    for (const input of inputs) {
      seq++;
      const e = encodeEntry(seq, hash, encodeInput(input));
      puts.push([u64Key(seq), e.value]);
      hash = e.hash;
    }
    return { puts, seq, hash };
  }

  async appendInputs(inputs: DomainInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const { puts, seq, hash } = this.entries(inputs);
    const t = this.node.transcript;
    await this.node.env.transaction(() => {
      for (const [k, v] of puts) t.put(k, v);
    });
    await this.node.env.flushed;
    this.seq = seq;
    this.seqHash = hash;
  }

  async commitGenesis(c: BlockCommit): Promise<void> {
    // Genesis state: what `weft store verify` replays the whole transcript from.
    const genesis = encodeState(c.state);
    await this.commitBlock(c, () => this.node.meta.put(metaKey(META_GENESIS_KEY), genesis));
  }

  async commitBlock(c: BlockCommit, also?: () => void): Promise<void> {
    // Everything is encoded now, before the transaction: the state must not move under it.
    const { puts, seq, hash } = this.entries(c.inputs);
    const height = c.block.header.height;
    const block = encodeBlock(c.block);
    const header = encodeSignedHeader(c.signed);
    const checkpoint = encodeCheckpoint(height, seq, hash, encodeState(c.state));
    const statuses = c.statuses.map(([k, st]) => [Buffer.from(k, 'hex'), st] as const);
    const values = valuesOf(c.block).map(([k, v]) => [Buffer.from(k, 'hex'), v] as const);
    const n = this.node;
    await c.staged.commit(() => {
      for (const [k, v] of puts) n.transcript.put(k, v);
      n.blocks.put(u64Key(height), block);
      n.headers.put(u64Key(height), header);
      n.checkpoints.put(CHECKPOINT_KEY, checkpoint);
      if (c.provers) n.checkpoints.put(PROVERS_KEY, c.provers);
      for (const [k, st] of statuses) {
        // A refused resubmission never overwrites the status of a transaction already included.
        if (st.status === 'rejected') {
          const known = n.statuses.getBinary(k);
          if (known && decodeStatus(known).status === 'included') continue;
        }
        n.statuses.put(k, encodeStatus(st));
      }
      for (const [k, v] of values) n.values.put(k, v);
      also?.();
    });
    await n.env.flushed;
    this.seq = seq;
    this.seqHash = hash;
  }

  header(height: bigint): SignedHeader | undefined {
    const b = this.node.headers.getBinary(u64Key(height));
    return b ? decodeSignedHeader(b) : undefined;
  }

  block(height: bigint): Block | undefined {
    const b = this.node.blocks.getBinary(u64Key(height));
    return b ? decodeBlock(b) : undefined;
  }

  status(txKey: string): TxStatus | undefined {
    const b = this.node.statuses.getBinary(Buffer.from(txKey, 'hex'));
    return b ? decodeStatus(b) : undefined;
  }

  value(refKey: string): Uint8Array | undefined {
    return this.node.values.getBinary(Buffer.from(refKey, 'hex')) ?? undefined;
  }

  proverState(): Uint8Array | undefined {
    return this.node.checkpoints.getBinary(PROVERS_KEY) ?? undefined;
  }

  checkpoint(): Checkpoint | undefined {
    const b = this.node.checkpoints.getBinary(CHECKPOINT_KEY);
    return b ? decodeCheckpoint(b) : undefined;
  }
}

export type OpenNodeOptions = {
  /** secp256k1 keys this node signs with */
  signers: KeyPair[];
  /** to create the node when `dir` holds none: its name and genesis parameters */
  create?: { name: string; keySet?: KeySet; limits?: DomainLimits; genesisTimestamp?: bigint };
  clock?: () => bigint;
  logics?: LogicLookup;
  /** which anchors known only through other domains admission accepts (none by default) */
  anchorPolicy?: AnchorPolicy;
  /** the remote views' trusting period, for anchor paths (default TRUSTING_PERIOD_MS_DEFAULT) */
  trustingPeriodMs?: bigint;
  verifier?: SignatureVerifierPool;
  /** the domain's provers: heights are proven by their attestations (Domain.attest) */
  provers?: ProverSet;
  /** the programs scoped transactions call (absent: the domain refuses them) */
  programs?: ProgramLookup;
  /** refuse claims anchored on heights other domains' provers have not proven (DomainOptions) */
  requireProvenAnchors?: boolean;
};

/** What recovery did, for logs and tests. */
export type RecoveryReport = {
  created: boolean;
  checkpointHeight: bigint;
  replayed: number;
  /** a torn last entry that was cut off (never acknowledged: acknowledgements follow the flush) */
  tornTail: EntryFault | null;
};

export type DurableNode = {
  domain: Domain;
  store: LmdbDomainStore;
  node: NodeEnv;
  recovery: RecoveryReport;
  close(): Promise<void>;
};

/**
 * Opens the durable domain node in `dir`, creating it when `opts.create` is given and the
 * directory holds no store, or recovering it: load the last checkpoint, fold the transcript
 * entries after it through apply (outputs suppressed), and check the recovered state root against
 * the last committed header. A torn last entry is cut off; a corrupt or broken-chain entry anywhere
 * else stops the node with an error naming it.
 */
export async function openDomainNode(dir: string, opts: OpenNodeOptions): Promise<DurableNode> {
  const node = openNodeEnv(dir, { create: opts.create !== undefined });
  const closeAll = async () => {
    await node.env.flushed;
    await node.env.close();
  };
  try {
    const tree = await Smt.open(node.tree);
    const existing = node.checkpoints.getBinary(CHECKPOINT_KEY);
    if (!existing) {
      if (!opts.create)
        throw new WeftError('STORE_FORMAT', `${dir} holds no checkpoint: it was never initialised`);
      const store = new LmdbDomainStore(node, 0n, GENESIS_LINK);
      const domain = await Domain.create({
        name: opts.create.name,
        signers: opts.signers,
        keySet: opts.create.keySet,
        limits: opts.create.limits,
        genesisTimestamp: opts.create.genesisTimestamp,
        clock: opts.clock,
        logics: opts.logics,
        anchorPolicy: opts.anchorPolicy,
        trustingPeriodMs: opts.trustingPeriodMs,
        verifier: opts.verifier,
        provers: opts.provers,
        programs: opts.programs,
        requireProvenAnchors: opts.requireProvenAnchors,
        tree,
        store,
      });
      const recovery = { created: true, checkpointHeight: 0n, replayed: 0, tornTail: null };
      return { domain, store, node, recovery, close: closeAll };
    }
    const cp = decodeCheckpoint(existing);
    const read = readEntries(node.transcript, cp.seq, cp.seqHash);
    let tornTail: EntryFault | null = null;
    if (read.fault) {
      const isLast = read.fault.seq === read.lastSeq && lastKey(node) === read.fault.seq;
      if (read.fault.kind === 'torn' && isLast) {
        tornTail = read.fault;
        await node.env.transaction(() => {
          node.transcript.remove(u64Key(read.fault!.seq));
        });
        await node.env.flushed;
      } else {
        throw new WeftError(
          'TRANSCRIPT_CORRUPT',
          `transcript ${read.fault.kind} at entry ${read.fault.seq}: ${read.fault.message}`,
          {
            details:
              'The node stops rather than rewrite history. Run `weft store verify` and restore the store from a backup.',
          },
        );
      }
    }
    const replay = read.entries.map(entryInput);
    const last = read.entries[read.entries.length - 1];
    const store = new LmdbDomainStore(node, last?.seq ?? cp.seq, last?.hash ?? cp.seqHash);
    const domain = Domain.resume({
      state: cp.state,
      tree,
      store,
      replay,
      signers: opts.signers,
      clock: opts.clock,
      logics: opts.logics,
      anchorPolicy: opts.anchorPolicy,
      trustingPeriodMs: opts.trustingPeriodMs,
      verifier: opts.verifier,
      provers: opts.provers,
      programs: opts.programs,
      requireProvenAnchors: opts.requireProvenAnchors,
    });
    const head = store.header(domain.committedHeight);
    if (!head || toHex(head.header.stateRoot) !== toHex(domain.stateRoot)) {
      throw new WeftError(
        'STORE_CORRUPT',
        `recovered state root does not match the header at height ${domain.committedHeight}`,
      );
    }
    const recovery = { created: false, checkpointHeight: cp.height, replayed: replay.length, tornTail };
    return { domain, store, node, recovery, close: closeAll };
  } catch (e) {
    await closeAll().catch(() => undefined);
    throw e;
  }
}

function lastKey(node: NodeEnv): bigint | null {
  for (const k of node.transcript.getKeys({ reverse: true, limit: 1 })) {
    return readU64Key(k as Uint8Array);
  }
  return null;
}
