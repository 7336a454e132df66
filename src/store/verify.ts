// Offline checks of a node store (`weft store verify`) and its summary (`weft store inspect`).
// Verification trusts nothing it reads: it replays the whole transcript from the genesis state
// through the pure apply, recomputes every block's root from its transition proof, compares
// every header it produces with the stored one, and recomputes every retained tree version.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { equalBytes, toHex, WeftError } from '../crypto/index.js';
import {
  apply,
  checkSeal,
  type DomainState,
  decodeSignedHeader,
  decodeState,
  encodeHeader,
  treeVersionOf,
  verifyHeaderSignatures,
} from '../domain/index.js';
import { builtinRegistry, type LogicLookup } from '../resource/index.js';
import { Smt } from '../smt/index.js';
import { decodeCheckpoint } from './durableNode.js';
import { type Db, META_GENESIS_KEY, metaKey, type NodeEnv, openNodeEnv, readU64Key, u64Key } from './env.js';
import { checkEntry, entryInput, GENESIS_LINK, readEntries } from './transcript.js';

export type StoreFault = { check: string; where: string; message: string };

export type StoreSummary = {
  dir: string;
  domain: string;
  domainId: string;
  committedHeight: string;
  provenHeight: string;
  headHash: string;
  stateRoot: string;
  checkpoint: { height: string; transcriptSeq: string };
  transcript: { entries: number; lastSeq: string };
  tree: { firstVersion: string; lastVersion: string };
  mempool: number;
  databases: Record<string, { entries: number; bytes: number }>;
  fileBytes: number;
};

export type VerifyReport = {
  ok: boolean;
  faults: StoreFault[];
  warnings: StoreFault[];
  summary: StoreSummary | null;
};

const CHECKPOINT_KEY = metaKey('latest');

function dbStats(db: Db): { entries: number; bytes: number } {
  const s = db.getStats() as {
    entryCount: number;
    pageSize: number;
    treeBranchPageCount: number;
    treeLeafPageCount: number;
    overflowPages: number;
  };
  return {
    entries: s.entryCount,
    bytes: s.pageSize * (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages),
  };
}

function summarize(
  node: NodeEnv,
  state: DomainState,
  tree: Smt | null,
  cp: { height: bigint; seq: bigint },
): StoreSummary {
  let lastSeq = 0n;
  for (const k of node.transcript.getKeys({ reverse: true, limit: 1 })) lastSeq = readU64Key(k as Uint8Array);
  const databases: StoreSummary['databases'] = {};
  for (const name of [
    'transcript',
    'blocks',
    'headers',
    'checkpoints',
    'statuses',
    'values',
    'transfers',
  ] as const) {
    databases[name] = dbStats(node[name]);
  }
  let fileBytes = 0;
  try {
    fileBytes = statSync(join(node.dir, 'data.mdb')).size;
  } catch {
    fileBytes = 0;
  }
  return {
    dir: node.dir,
    domain: state.config.name,
    domainId: toHex(state.config.domainId),
    committedHeight: state.height.toString(),
    provenHeight: state.provenHeight.toString(),
    headHash: toHex(state.headHash),
    stateRoot: toHex(state.head.stateRoot),
    checkpoint: { height: cp.height.toString(), transcriptSeq: cp.seq.toString() },
    transcript: { entries: databases.transcript!.entries, lastSeq: lastSeq.toString() },
    tree: {
      firstVersion: tree ? tree.firstVersion().toString() : '?',
      lastVersion: tree ? tree.version().toString() : '?',
    },
    mempool: state.mempool.length,
    databases,
    fileBytes,
  };
}

/** A summary of the store in `dir`: domain, heights, roots, sizes. Reads only. */
export async function inspectStore(dir: string): Promise<StoreSummary> {
  const node = openNodeEnv(dir, { readOnly: true });
  try {
    const cpBytes = node.checkpoints.getBinary(CHECKPOINT_KEY);
    if (!cpBytes) throw new WeftError('STORE_FORMAT', `${dir} holds no checkpoint`);
    const cp = decodeCheckpoint(cpBytes);
    const tree = await Smt.open(node.tree).catch(() => null);
    // The current state is the checkpoint's plus the inputs logged after it, as recovery sees it.
    let state = cp.state;
    const env = { logics: builtinRegistry() };
    for (const e of readEntries(node.transcript, cp.seq, cp.seqHash).entries) {
      try {
        state = apply(state, entryInput(e), env).state;
      } catch {
        break;
      }
    }
    return summarize(node, state, tree, cp);
  } finally {
    await node.env.close();
  }
}

/**
 * Checks the store in `dir` without changing it. `logics` must include every logic the domain
 * used (default: the built-in ones), since the replay re-validates every transaction.
 */
export async function verifyStore(dir: string, opts: { logics?: LogicLookup } = {}): Promise<VerifyReport> {
  const faults: StoreFault[] = [];
  const warnings: StoreFault[] = [];
  const fault = (check: string, where: string, message: string) => faults.push({ check, where, message });
  let node: NodeEnv;
  try {
    node = openNodeEnv(dir, { readOnly: true });
  } catch (e) {
    fault('format', dir, (e as Error).message);
    return { ok: false, faults, warnings, summary: null };
  }
  try {
    const genesisBytes = node.meta.getBinary(metaKey(META_GENESIS_KEY));
    const cpBytes = node.checkpoints.getBinary(CHECKPOINT_KEY);
    if (!genesisBytes || !cpBytes) {
      fault('format', dir, 'the store has no genesis state or no checkpoint');
      return { ok: false, faults, warnings, summary: null };
    }
    const cp = decodeCheckpoint(cpBytes);

    // The tree: every retained version recomputes from its leaves.
    let tree: Smt | null = null;
    try {
      tree = await Smt.open(node.tree);
      for (const m of tree.checkIntegrity()) fault('tree', 'tree', m);
    } catch (e) {
      fault('tree', 'tree', (e as Error).message);
    }

    // The transcript: one hash chain from the first entry, every entry decodable.
    const env = { logics: opts.logics ?? builtinRegistry() };
    let state = decodeState(genesisBytes);
    let expect: Uint8Array = GENESIS_LINK;
    let next = 1n;
    let checkpointSeen = cp.seq === 0n;
    if (cp.seq === 0n && !equalBytes(cp.state.headHash, state.headHash)) {
      fault('checkpoint', 'checkpoint', 'the checkpoint at transcript position 0 is not the genesis state');
    }
    const keys = [...node.transcript.getKeys({})] as Uint8Array[];
    for (const [i, k] of keys.entries()) {
      const seq = readU64Key(k);
      const where = `transcript entry ${seq}`;
      if (seq !== next) {
        fault('transcript', where, `entry ${next} is missing (found ${seq} next)`);
        break;
      }
      const checked = checkEntry(seq, node.transcript.getBinary(k)!, expect);
      if ('fault' in checked) {
        const isLast = i === keys.length - 1;
        if (checked.fault.kind === 'torn' && isLast) {
          warnings.push({
            check: 'transcript',
            where,
            message: `torn tail: ${checked.fault.message}; recovery will cut it off`,
          });
        } else {
          fault('transcript', where, `${checked.fault.kind}: ${checked.fault.message}`);
        }
        break;
      }
      expect = checked.entry.hash;
      next++;
      let input: ReturnType<typeof entryInput>;
      try {
        input = entryInput(checked.entry);
      } catch (e) {
        fault('transcript', where, (e as Error).message);
        break;
      }
      // Replay: every block's root recomputed from its proof, every header compared.
      if (input.type === 'seal') {
        if (!checkSeal(state, input)) {
          fault('replay', where, `the seal's state root does not follow from its transition proof`);
          break;
        }
        const signingSet = state.keySet;
        try {
          state = apply(state, input, env).state;
        } catch (e) {
          fault('replay', where, (e as Error).message);
          break;
        }
        const stored = node.headers.getBinary(u64Key(state.height));
        const storedHeader = stored ? decodeSignedHeader(stored) : undefined;
        if (!storedHeader) fault('blocks', `height ${state.height}`, 'the header is missing');
        else {
          if (toHex(encodeHeader(storedHeader.header)) !== toHex(encodeHeader(state.head))) {
            fault(
              'replay',
              `height ${state.height}`,
              'the stored header differs from the one the transcript produces',
            );
          }
          if (!verifyHeaderSignatures(storedHeader, signingSet)) {
            fault(
              'blocks',
              `height ${state.height}`,
              'the header lacks the key set threshold of valid signatures',
            );
          }
        }
        if (tree && state.height <= tree.version() - 1n) {
          if (!equalBytes(tree.root(treeVersionOf(state.height)), state.head.stateRoot)) {
            fault('tree', `height ${state.height}`, 'the tree root of this height differs from its header');
          }
        }
      } else {
        try {
          state = apply(state, input, env).state;
        } catch (e) {
          fault('replay', where, (e as Error).message);
          break;
        }
      }
      if (seq === cp.seq) {
        checkpointSeen = true;
        if (!equalBytes(state.headHash, cp.state.headHash) || state.height !== cp.height) {
          fault(
            'checkpoint',
            'checkpoint',
            `the checkpoint (height ${cp.height}) differs from the replayed state at entry ${seq}`,
          );
        }
      }
    }
    if (!checkpointSeen && faults.length === 0) {
      fault(
        'checkpoint',
        'checkpoint',
        `the checkpoint names transcript entry ${cp.seq}, which the transcript does not reach`,
      );
    }
    return { ok: faults.length === 0, faults, warnings, summary: summarize(node, cp.state, tree, cp) };
  } finally {
    await node.env.close();
  }
}
