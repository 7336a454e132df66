// `weft prover` and `weft follow`. A prover re-executes a domain's sealed blocks statelessly from
// the full-mode witness a node serves and signs an attestation of (domain, height, state root) for
// each block that re-executes to its header's root (docs/provers.md). A follower keeps one
// program's objects from a node's blocks, executing only its program's scopes (docs/scopes.md).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { WeftClient } from '../api/index.js';
import {
  equalBytes,
  fromHex,
  hexKey,
  type KeyPair,
  type KeyType,
  keyPairFromSeed,
  SEED_BYTES,
  toHex,
  WeftError,
} from '../crypto/index.js';
import { headerHash } from '../domain/index.js';
import { builtinRegistry } from '../resource/index.js';
import {
  decodeObjectState,
  encodeSignedAttestation,
  examplePrograms,
  type ObjectWitness,
  objectsToRead,
  ProgramRegistry,
  ScopeFollower,
  type ScopeTx,
  type SignedAttestation,
  scopeTxOf,
  signAttestation,
} from '../scope/index.js';
import { type Proof, verifyTransition } from '../smt/index.js';
import { ScopeHistory, type ScopeWitness, scopeWitnessOf, validateBlockStateless } from '../sync/index.js';
import { type Transaction, txId, verifyTransactionSignatures } from '../tx/index.js';

export const PROVER_USAGE = `usage: weft prover --api URL --key FILE [options]

Re-executes the domain's sealed blocks from the node at URL (from the full-mode witness: writes,
transition proof, transactions) and prints one signed attestation per block as a JSON line:
{"domain","height","stateRoot","prover","attestation"} (attestation: encodeSignedAttestation).
A block that does not re-execute to its header's root is not attested: the prover stops, prints
the reason and exits 1.

options:
  --api URL               the node's HTTP API
  --key FILE              the prover's key seed (0x + 64 hex digits); created if missing
  --key-type TYPE         ed25519 (default) or secp256k1
  --from H                first height to prove (default 1); the root at H - 1 is trusted
  --to H                  last height (default: the node's committed tip)
  --trust-remote-anchors  accept anchors that are not the domain's own recent roots (the
                          prover does not follow other domains; without this flag a block
                          spending a resource anchored on another domain is not attested)
  --programs SET          re-execute scoped transactions with a program set: examples. Without
                          it a block with scoped transactions is not attested. The prover
                          starts its object DAG at --from: a block whose scopes reach below
                          it (an unproven window older than the prover) is refused
                          (SCOPE_HISTORY_UNKNOWN); start lower, or at a proven height
  --post                  also hand each attestation to the node (POST /v1/attestations); the
                          line then carries the node's proven height after it. A node with an
                          API token needs it in WEFT_API_TOKEN (never on the command line)`;

/** How many of the domain's own latest roots count as anchors (the domain's default window). */
export const PROVER_ANCHOR_WINDOW = 256;

export type ProverOptions = {
  api: string;
  keyFile: string;
  keyType: KeyType;
  from: bigint;
  to: bigint | null;
  trustRemoteAnchors: boolean;
  post: boolean;
  /** the program set scoped transactions are re-executed with */
  programs?: 'examples';
};

export function parseProverArgs(args: string[]): ProverOptions | 'help' | { error: string } {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const o: Partial<ProverOptions> = {
    keyType: 'ed25519',
    from: 1n,
    to: null,
    trustRemoteAnchors: false,
    post: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--api') o.api = value();
      else if (a === '--key') o.keyFile = value();
      else if (a === '--key-type') {
        const t = value();
        if (t !== 'ed25519' && t !== 'secp256k1') return { error: `unknown key type ${t}` };
        o.keyType = t;
      } else if (a === '--from') o.from = height(value(), 1n);
      else if (a === '--to') o.to = height(value(), 1n);
      else if (a === '--trust-remote-anchors') o.trustRemoteAnchors = true;
      else if (a === '--post') o.post = true;
      else if (a === '--programs') {
        const set = value();
        if (set !== 'examples') return { error: '--programs must name a program set: examples' };
        o.programs = set;
      } else return { error: `unknown option ${a}` };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }
  if (!o.api) return { error: '--api is required' };
  if (!o.keyFile) return { error: '--key is required' };
  return o as ProverOptions;
}

function height(s: string, min: bigint): bigint {
  if (!/^[0-9]{1,20}$/.test(s) || BigInt(s) < min || BigInt(s) >= 1n << 64n) {
    throw new Error(`a height must be a decimal u64 of at least ${min}, got ${s}`);
  }
  return BigInt(s);
}

/** The prover's key: a seed in `file` (0x hex), created with fresh randomness when missing. */
export function loadProverKey(file: string, type: KeyType): KeyPair {
  if (!existsSync(file)) {
    const seed = crypto.getRandomValues(new Uint8Array(SEED_BYTES));
    writeFileSync(file, `${toHex(seed)}\n`, { mode: 0o600 });
  }
  return keyPairFromSeed(type, fromHex(readFileSync(file, 'utf8').trim(), SEED_BYTES, 'the key seed'));
}

export type ProvedBlock = { attestation: SignedAttestation };

/**
 * Proves heights `from..to` of the node's domain, calling `emit` per attested block, in order.
 * Throws FULL_VALIDATION_FAILED / BAD_TRANSITION / BAD_INPUT for the first block it refuses.
 */
export async function proveBlocks(
  client: WeftClient,
  keyPair: KeyPair,
  opts: { from: bigint; to: bigint | null; trustRemoteAnchors: boolean; programs?: 'examples' },
  emit: (p: ProvedBlock) => void,
): Promise<bigint> {
  const info = await client.info();
  const to = opts.to ?? info.committedHeight;
  const start = await client.header(opts.from - 1n);
  if (!start) throw new WeftError('BAD_HEIGHT', `the node has no header at ${opts.from - 1n}`);
  let prev = start.header;
  // The domain's own latest roots are its anchors; seed the window from the node's roots list.
  const own: string[] = [];
  const first =
    opts.from - 1n > BigInt(PROVER_ANCHOR_WINDOW) ? opts.from - 1n - BigInt(PROVER_ANCHOR_WINDOW) : 0n;
  for (const r of await client.roots({ from: first, to: opts.from - 1n })) own.push(hexKey(r.stateRoot));
  const logics = builtinRegistry();
  const scopes = opts.programs ? new ScopeHistory(new ProgramRegistry(examplePrograms)) : undefined;
  let proved = 0n;
  for (let h = opts.from; h <= to; h++) {
    const block = await client.block(h);
    if (!block) throw new WeftError('BAD_HEIGHT', `the node has no block at ${h}`);
    const { header } = block;
    if (
      !equalBytes(header.domain, info.domainId) ||
      header.height !== h ||
      !equalBytes(header.prevHash, headerHash(prev))
    ) {
      throw new WeftError('BAD_INPUT', `block ${h} does not continue the chain the prover is proving`);
    }
    if (!verifyTransition(prev.stateRoot, header.stateRoot, block.writes, block.transition)) {
      throw new WeftError(
        'BAD_TRANSITION',
        `block ${h}: the writes do not take the previous root to the header's`,
      );
    }
    const ownRoots = new Set(own);
    const witness = scopes ? await fetchScopeWitness(client, block) : undefined;
    const done = validateBlockStateless({
      header,
      prevRoot: prev.stateRoot,
      writes: block.writes,
      transition: block.transition,
      txs: block.txs,
      isAnchorAccepted: (root) => ownRoots.has(hexKey(root)) || opts.trustRemoteAnchors,
      isSenderRoot: (root) => ownRoots.has(hexKey(root)),
      logics,
      ...(scopes ? { scopes: { history: scopes, prevHash: headerHash(prev), witness } } : {}),
    });
    done.commit(headerHash(header));
    emit({
      attestation: signAttestation(keyPair, {
        domain: info.domainId,
        height: h,
        stateRoot: header.stateRoot,
      }),
    });
    own.push(hexKey(header.stateRoot));
    if (own.length > PROVER_ANCHOR_WINDOW) own.shift();
    prev = header;
    proved++;
  }
  return proved;
}

/**
 * The scope witness of a block from the node's API: the proven tip its scopes used and every
 * declared object's value at the previous height, with its proof (checked by the verifier
 * against the previous root, never trusted). Undefined for a block without scoped transactions.
 */
async function fetchScopeWitness(
  client: WeftClient,
  block: { header: { height: bigint }; txs: Transaction[]; scopeProvenHeight?: bigint },
): Promise<ScopeWitness | undefined> {
  const prover = new Map<string, { value: Uint8Array | null; proof: Proof }>();
  const scoped: ScopeTx[] = [];
  for (const tx of block.txs) {
    const st = tx.scope === undefined ? null : scopeTxOf(tx, txId(tx));
    if (st) scoped.push(st);
  }
  if (scoped.length === 0 || block.scopeProvenHeight === undefined) return undefined;
  for (const o of objectsToRead(scoped)) {
    const p = await client.proveObject(o, block.header.height - 1n);
    prover.set(hexKey(o), { value: p.value, proof: p.proof });
  }
  return scopeWitnessOf(
    { proveObject: (o: Uint8Array) => prover.get(hexKey(o))! },
    { header: block.header, txs: block.txs, scopeProvenHeight: block.scopeProvenHeight },
  );
}

/** One attestation as a JSON line. */
export function attestationToJson(s: SignedAttestation): Record<string, string> {
  return {
    domain: toHex(s.attestation.domain),
    height: s.attestation.height.toString(),
    stateRoot: toHex(s.attestation.stateRoot),
    prover: toHex(s.prover.bytes),
    attestation: toHex(encodeSignedAttestation(s)),
  };
}

type Out = { log(s: string): void; error(s: string): void };

export async function proverCommand(args: string[], out: Out): Promise<number> {
  const parsed = parseProverArgs(args);
  if (parsed === 'help') {
    out.log(PROVER_USAGE);
    return 0;
  }
  if ('error' in parsed) {
    out.error(`weft prover: ${parsed.error}\n\n${PROVER_USAGE}`);
    return 2;
  }
  try {
    const key = loadProverKey(parsed.keyFile, parsed.keyType);
    const token = process.env.WEFT_API_TOKEN;
    const client = new WeftClient(parsed.api, token ? { token } : {});
    let chain = Promise.resolve();
    await proveBlocks(client, key, parsed, (p) => {
      // Post in order, one at a time: the node counts heights in order anyway.
      chain = chain.then(async () => {
        const line: Record<string, string> = attestationToJson(p.attestation);
        if (parsed.post) line.provenHeight = (await client.attest(p.attestation)).provenHeight.toString();
        out.log(JSON.stringify(line));
      });
    });
    await chain;
    return 0;
  } catch (e) {
    out.error(`weft prover: ${e instanceof WeftError ? `${e.code}: ${e.message}` : (e as Error).message}`);
    return 1;
  }
}

export const FOLLOW_USAGE = `usage: weft follow --api URL --program LOGICREF --domain NAME --programs examples [options]

Keeps the objects of one program (its logic reference, 0x + 64 hex digits, or the name of an
example program: counter, oracle, pair) of domain NAME from the node at URL. It reads every
block's scoped declarations, executes only the transactions in its program's scopes, checks the
proven values they read against the proven root, and prints one JSON line per block with
scoped transactions ({"height","executed","gasExecuted","scopeGasPaid"}), then the program's
objects ({"objects":[{"object","seq","value"}]}).

options:
  --programs SET   the program code to execute scopes with: examples (required)
  --from H         first block (default 1); the follower starts from genesis
  --to H           last block (default: the node's committed tip)`;

export type FollowOptions = { api: string; program: Uint8Array; domain: string; to: bigint | null };

export function parseFollowArgs(args: string[]): FollowOptions | 'help' | { error: string } {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  let api: string | undefined;
  let program: Uint8Array | undefined;
  let domain: string | undefined;
  let programs: string | undefined;
  let to: bigint | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = args[++i];
    if (v === undefined) return { error: `${a} needs a value` };
    try {
      if (a === '--api') api = v;
      else if (a === '--domain') domain = v;
      else if (a === '--programs') programs = v;
      else if (a === '--to') to = height(v, 1n);
      else if (a === '--program') {
        const named = examplePrograms.find((p) => p.name === v);
        program = named ? named.ref : fromHex(v, 32, '--program');
      } else return { error: `unknown option ${a}` };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }
  if (!api || !program || !domain) return { error: '--api, --program and --domain are required' };
  if (programs !== 'examples') return { error: '--programs must name a program set: examples' };
  return { api, program, domain, to };
}

export type FollowedBlock = { height: bigint; executed: number; gasExecuted: bigint; scopeGasPaid: bigint };

/**
 * Follows `program` on the node's domain from genesis to `to`, calling `emit` per block with
 * scoped transactions; returns the follower. Refuses BAD_INPUT for another domain, a block
 * without its scopes' proven height, or a transaction whose signatures do not verify, and
 * BAD_PROOF for a proven value that does not verify.
 */
export async function followProgram(
  client: WeftClient,
  opts: { program: Uint8Array; domain: string; to: bigint | null },
  emit: (b: FollowedBlock) => void,
): Promise<ScopeFollower> {
  const info = await client.info();
  if (info.name !== opts.domain) {
    throw new WeftError('BAD_INPUT', `the node serves domain ${info.name}, not ${opts.domain}`);
  }
  const follower = new ScopeFollower({
    program: opts.program,
    programs: new ProgramRegistry(examplePrograms),
  });
  const to = opts.to ?? info.committedHeight;
  for (let h = 1n; h <= to; h++) {
    const block = await client.block(h);
    if (!block) throw new WeftError('BAD_HEIGHT', `the node has no block at ${h}`);
    const bodies: ScopeTx[] = [];
    for (const tx of block.txs) {
      const id = txId(tx);
      const body = scopeTxOf(tx, id);
      if (!body) continue;
      if (!verifyTransactionSignatures(tx, id).valid.every(Boolean)) {
        throw new WeftError(
          'BAD_INPUT',
          `block ${h}: transaction ${toHex(id)} carries a signature that does not verify`,
        );
      }
      bodies.push(body);
    }
    if (bodies.length === 0) continue;
    const provenHeight = block.scopeProvenHeight;
    if (provenHeight === undefined)
      throw new WeftError('BAD_INPUT', `block ${h} does not say which proven tip its scopes used`);
    const provenRoot = (await client.header(provenHeight))?.header.stateRoot;
    if (!provenRoot) throw new WeftError('BAD_HEIGHT', `the node has no header at ${provenHeight}`);
    // Every proven value a scope may read: the declared readable objects at the proven height.
    const witnesses: ObjectWitness[] = [];
    const seen = new Set<string>();
    for (const b of bodies) {
      for (const e of b.declaration.entries) {
        const k = hexKey(e.object);
        if (e.access === 'write' || seen.has(k)) continue;
        seen.add(k);
        const p = await client.proveObject(e.object, provenHeight);
        if (p.value !== null)
          witnesses.push({ object: e.object, state: decodeObjectState(p.value), proof: p.proof });
      }
    }
    const report = follower.applyBlock({
      height: h,
      provenHeight,
      provenRoot,
      declarations: bodies.map((b) => ({ id: b.id, declaration: b.declaration })),
      bodies,
      witnesses,
    });
    emit({
      height: h,
      executed: report.executed.length,
      gasExecuted: report.gasExecuted,
      scopeGasPaid: report.scopeGasPaid,
    });
  }
  return follower;
}

export async function followCommand(args: string[], out: Out): Promise<number> {
  const parsed = parseFollowArgs(args);
  if (parsed === 'help') {
    out.log(FOLLOW_USAGE);
    return 0;
  }
  if ('error' in parsed) {
    out.error(`weft follow: ${parsed.error}\n\n${FOLLOW_USAGE}`);
    return 2;
  }
  try {
    const follower = await followProgram(new WeftClient(parsed.api), parsed, (b) =>
      out.log(
        JSON.stringify({
          height: b.height.toString(),
          executed: b.executed,
          gasExecuted: b.gasExecuted.toString(),
          scopeGasPaid: b.scopeGasPaid.toString(),
        }),
      ),
    );
    const objects = [...follower.objects()].map(([k, st]) => ({
      object: `0x${k}`,
      seq: st.seq.toString(),
      value: st.value === null ? null : toHex(st.value),
    }));
    out.log(JSON.stringify({ objects }));
    return 0;
  } catch (e) {
    out.error(`weft follow: ${e instanceof WeftError ? `${e.code}: ${e.message}` : (e as Error).message}`);
    return 1;
  }
}
