// The deterministic simulator (`weft sim`, docs/simulation.md): N domains with their sync routers
// and transfer drivers, random clients, a simulated disk per node and a simulated transport, all
// on one simulated clock and one seeded PRNG. Every step is awaited in a fixed order, so a run is
// a pure function of its options; invariants are checked after every step, and the trace (one line
// per event) is hashed so that two runs of one seed can be compared byte for byte.
import {
  equalBytes,
  fromHex,
  hexKey,
  type KeyPair,
  keyPairFromSeed,
  sha256,
  toHex,
  utf8,
  verifySignature,
  WeftError,
} from '../crypto/index.js';
import {
  type Domain,
  type DomainLimits,
  headerHash,
  type KeySet,
  makeKeySet,
  type SignedHeader,
  signHeader,
  txRoot,
} from '../domain/index.js';
import { type Prng, seededPrng } from '../net/prng.js';
import { type Peer, SyncRouter } from '../node/index.js';
import {
  commitment,
  createToken,
  decodeValue,
  nkCommitment,
  nullifier,
  type Random,
  type ResourceParts,
} from '../resource/index.js';
import { Smt, type Write } from '../smt/index.js';
import {
  type Exclusion,
  encodeRootUpdate,
  exclusionsOf,
  type RootUpdate,
  recordedHeaders,
  rootUpdateFromBlock,
} from '../sync/index.js';
import {
  type Transfer,
  type TransferDomain,
  TransferDriver,
  type TransferPlan,
  withRefundWitness,
  withSourceProof,
} from '../transfer/index.js';
import {
  commitmentKey,
  decodeHeight,
  encodeHeight,
  encodeRefusal,
  mintTx,
  nullifierKey,
  refusalKey,
  signTransaction,
  type Transaction,
  txId,
} from '../tx/index.js';
import { type CrashMode, openSimDomain, SimDisk } from './disk.js';
import { type NetFaults, NO_NET_FAULTS, SimNetwork } from './network.js';

/** Fault categories a profile switches on. */
export const FAULT_KINDS = ['net', 'partition', 'crash', 'skew', 'byzantine'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Named profiles (`--faults`); a `+`-joined list of fault kinds works too. */
export const FAULT_PROFILES: Record<string, readonly FaultKind[]> = {
  none: [],
  net: ['net', 'partition'],
  crash: ['crash'],
  skew: ['skew'],
  byzantine: ['byzantine'],
  all: FAULT_KINDS,
};

export const SIM_DOMAINS_DEFAULT = 3;
export const SIM_DOMAINS_MAX = 8;
export const SIM_STEPS_DEFAULT = 200;
export const SIM_STEPS_MAX = 100_000;
/** Simulated start of every run (ms since the epoch). */
export const SIM_EPOCH_MS = 1_700_000_000_000n;
/** Each step advances the simulated clock by a whole number of ms in this range. */
const STEP_MS_MIN = 100;
const STEP_MS_MAX = 500;
/** A node seals once transactions wait this long (simulated ms)... */
const SEAL_EVERY_MS = 300n;
/** ...and at least this often without them (its clock, deadlines, remote headers move on). */
const HEARTBEAT_MS = 2_000n;
/** Every router re-announces its latest block this often (repairs what the network lost). */
const ANNOUNCE_EVERY_MS = 1_000n;
/** Default claim deadline a driver gives (simulated ms after its clock). */
const DEADLINE_AFTER_MS = 12_000n;
/** How long a transfer may stay `requested`. */
const TRANSFER_TTL_MS = 8_000n;
/** Clock skew between domains, at most this far either way (ms). */
const SKEW_MS_MAX = 3_000;
/**
 * The liveness bound: once faults heal (network whole, nodes up), every transfer must end within
 * this much simulated time.
 */
export const SETTLE_BOUND_MS = 60_000n;
/** Small windows, so that pruning, anchors falling out of windows and gaps happen in short runs. */
const LIMITS: DomainLimits = { anchorWindow: 16, remoteRootsMax: 32, mempoolTtlBlocks: 16 };

export type SimOptions = {
  seed: string | number;
  domains?: number;
  steps?: number;
  /** a profile name or a `+`-joined list of fault kinds */
  faults?: string;
  /** most fault events injected (a shrinking bound); absent: no bound */
  maxFaults?: number;
  /** keep the trace lines in the result */
  keepTrace?: boolean;
};

export type SimFailure = { step: number; atMs: string; invariant: string; message: string };

export type SimResult = {
  seed: string;
  domains: number;
  steps: number;
  faults: string;
  traceHash: string;
  failures: SimFailure[];
  stats: SimStats;
  trace?: string[];
};

export type SimStats = {
  stepsRun: number;
  simulatedMs: string;
  blocks: number;
  transfers: { started: number; confirmed: number; refunded: number; failed: number; expired: number };
  clientOps: Record<string, number>;
  faultsInjected: Record<string, number>;
  invariantChecks: number;
  messages: SimNetwork['counters'];
};

/** Parses a profile name or a `+`-joined list of kinds; throws BAD_INPUT naming what is wrong. */
export function parseFaults(spec: string): FaultKind[] {
  const named = FAULT_PROFILES[spec];
  if (named) return [...named];
  const kinds = spec.split('+');
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k))
      throw new WeftError(
        'BAD_INPUT',
        `unknown fault profile or kind '${k}': use ${Object.keys(FAULT_PROFILES).join(', ')} or kinds ${FAULT_KINDS.join('+')}`,
      );
  }
  return FAULT_KINDS.filter((k) => kinds.includes(k));
}

/** The canonical name of a set of kinds (a profile name when one matches). */
export function faultsName(kinds: readonly FaultKind[]): string {
  for (const [name, ks] of Object.entries(FAULT_PROFILES)) {
    if (ks.length === kinds.length && ks.every((k) => kinds.includes(k))) return name;
  }
  return kinds.join('+');
}

type Node = {
  i: number;
  name: string;
  id: Uint8Array;
  honest: boolean;
  signers: KeyPair[];
  /** a key of the key set the node does not sign with (what a byzantine domain may have stolen) */
  spare: KeyPair;
  keySet: KeySet;
  skew: bigint;
  disk: SimDisk;
  genesis: SignedHeader | null;
  domain: Domain | null;
  router: SyncRouter | null;
  driver: TransferDriver | null;
  downUntil: number | null;
  lastSealMs: bigint;
  lastAnnounceMs: bigint;
  /** transactions this incarnation acknowledged as pending (they must survive a crash) */
  acked: Set<string>;
  scanned: number;
};

type Coin = {
  parts: ResourceParts & { nk: Uint8Array };
  owner: KeyPair;
  home: number;
  cm: Uint8Array;
  state: 'unconfirmed' | 'live' | 'spent';
  /** the proof taken when the coin was seen committed (a later anchor that may go stale) */
  proof?: { anchor: Uint8Array; height: bigint; proof: ReturnType<Domain['proveCommitment']>['proof'] };
};

type TransferInfo = { id: string; from: number; to: number; plan: TransferPlan; movedNf: Uint8Array };

/**
 * A transfer to the byzantine domain (outside the liveness bound: a domain that forks may never
 * let it end). It either withholds the claim (the source refunds after the deadline, then the
 * byzantine domain claims anyway) or takes it (then records a refusal of it anyway).
 */
type ByzTransfer = TransferInfo & { withhold: boolean; phase: string; attacked: boolean };

/** A block the byzantine domain signed, on the head a target holds of it. */
type Forged = { update: RootUpdate; tree: Smt; height: bigint };

/** A run of the simulator. */
export async function runSim(opts: SimOptions): Promise<SimResult> {
  const sim = new Simulation(opts);
  return sim.run();
}

class Simulation {
  private readonly seed: string;
  private readonly rng: Prng;
  private readonly kinds: FaultKind[];
  private readonly n: number;
  private readonly steps: number;
  private readonly maxFaults: number;
  private nowMs = SIM_EPOCH_MS;
  private step = 0;
  private readonly trace: string[] = [];
  private readonly failures: SimFailure[] = [];
  private readonly failed = new Set<string>();
  private readonly nodes: Node[] = [];
  private readonly net: SimNetwork;
  private readonly coins: Coin[] = [];
  private readonly transfers = new Map<string, TransferInfo>();
  private readonly terminal = new Map<string, Transfer['phase']>();
  private readonly owners: KeyPair[];
  private readonly issuer: KeyPair;
  private readonly random: Random;
  private faultsUsed = 0;
  private readonly faultCounts: Record<string, number> = {};
  private readonly ops: Record<string, number> = {};
  private invariantChecks = 0;
  private blocks = 0;
  private partitionUntil = -1;
  private healed = false;
  // Independent ledger of honest domains, from their disks: live resources and spent nullifiers.
  private readonly live = new Map<string, { q: bigint; kind: string }>();
  private readonly issued = new Map<string, bigint>();
  private readonly spent: Set<string>[] = [];
  private readonly verifiedHeaders = new Set<string>();
  /** Headers the byzantine domain signed over bodies that break a rule (hex hash -> what it did). */
  private readonly forged = new Map<string, string>();
  private readonly byzTransfers = new Map<string, ByzTransfer>();
  /** What the byzantine domain's accomplices try once its forged blocks were delivered. */
  private followUps: (() => Promise<void>)[] = [];

  constructor(private readonly opts: SimOptions) {
    this.seed = String(opts.seed);
    this.rng = seededPrng(`weft.sim/${this.seed}`);
    this.kinds = parseFaults(opts.faults ?? 'all');
    this.n = opts.domains ?? SIM_DOMAINS_DEFAULT;
    this.steps = opts.steps ?? SIM_STEPS_DEFAULT;
    this.maxFaults = opts.maxFaults ?? Number.POSITIVE_INFINITY;
    if (!Number.isInteger(this.n) || this.n < 2 || this.n > SIM_DOMAINS_MAX)
      throw new WeftError('BAD_INPUT', `--domains must be an integer 2..${SIM_DOMAINS_MAX}`);
    if (this.has('byzantine') && this.n < 3)
      throw new WeftError('BAD_INPUT', 'byzantine faults need at least 3 domains (two honest ones)');
    if (!Number.isInteger(this.steps) || this.steps < 1 || this.steps > SIM_STEPS_MAX)
      throw new WeftError('BAD_INPUT', `--steps must be an integer 1..${SIM_STEPS_MAX}`);
    let counter = 0;
    this.random = (n) => {
      const out = new Uint8Array(n);
      for (let off = 0; off < n; off += 32) {
        const block = sha256(utf8(`weft.sim.random/${this.seed}/${counter++}`));
        out.set(block.subarray(0, Math.min(32, n - off)), off);
      }
      return out;
    };
    const key = (type: 'ed25519' | 'secp256k1', name: string) =>
      keyPairFromSeed(type, sha256(utf8(`weft.sim.key/${this.seed}/${name}`)));
    this.issuer = key('ed25519', 'issuer');
    this.owners = [0, 1, 2, 3].map((i) => key('ed25519', `owner${i}`));
    this.net = new SimNetwork(
      this.rng,
      () => this.nowMs,
      (l) => this.log(l),
      (id) => this.nameOf(id),
    );
    for (let i = 0; i < this.n; i++) {
      const name = `d${i}`;
      const keys = [0, 1, 2].map((k) => key('secp256k1', `${name}/k${k}`));
      this.nodes.push({
        i,
        name,
        id: sha256(utf8(name)),
        honest: !(this.has('byzantine') && i === this.n - 1),
        signers: keys.slice(0, 2),
        spare: keys[2]!,
        keySet: makeKeySet(
          2,
          keys.map((k) => k.publicKey),
        ),
        skew: 0n,
        disk: new SimDisk(),
        genesis: null,
        domain: null,
        router: null,
        driver: null,
        downUntil: null,
        lastSealMs: SIM_EPOCH_MS,
        lastAnnounceMs: SIM_EPOCH_MS,
        acked: new Set(),
        scanned: -1,
      });
      this.spent.push(new Set());
    }
  }

  private has(k: FaultKind): boolean {
    return this.kinds.includes(k);
  }

  private nameOf(id: Uint8Array): string {
    return this.nodes.find((n) => equalBytes(n.id, id))?.name ?? toHex(id).slice(0, 8);
  }

  private log(line: string): void {
    this.trace.push(`${this.step} ${this.nowMs - SIM_EPOCH_MS} ${line}`);
  }

  private fail(invariant: string, message: string): void {
    const key = `${invariant}:${message}`;
    if (this.failed.has(key)) return;
    this.failed.add(key);
    this.failures.push({ step: this.step, atMs: String(this.nowMs - SIM_EPOCH_MS), invariant, message });
    this.log(`FAIL ${invariant} ${message}`);
  }

  private count(map: Record<string, number>, k: string): void {
    map[k] = (map[k] ?? 0) + 1;
  }

  /** Whether one more fault event may be injected (the shrinking bound), counting it if so. */
  private injectFault(kind: string): boolean {
    if (this.healed || this.faultsUsed >= this.maxFaults) return false;
    this.faultsUsed++;
    this.count(this.faultCounts, kind);
    return true;
  }

  private clockOf(node: Node): () => bigint {
    return () => this.nowMs + node.skew;
  }

  async run(): Promise<SimResult> {
    if (this.has('skew')) {
      for (const node of this.nodes) node.skew = BigInt(this.rng.int(-SKEW_MS_MAX, SKEW_MS_MAX));
    }
    if (this.has('net')) {
      const f: NetFaults = { drop: 0.08, duplicate: 0.08, minDelayMs: 5, maxDelayMs: 900 };
      this.net.faults = f;
    }
    for (const node of this.nodes) {
      const { domain } = await openSimDomain(node.disk, this.openOptions(node));
      node.genesis = domain.header(0n)!;
      node.domain = domain;
    }
    for (const node of this.nodes) await this.attach(node);
    this.log(
      `start seed=${this.seed} domains=${this.n} steps=${this.steps} faults=${faultsName(this.kinds)}`,
    );
    for (this.step = 0; this.step < this.steps; this.step++) await this.tick(true);
    // Faults heal: the network is whole, every node is up; transfers must end within the bound.
    this.healed = true;
    this.net.faults = NO_NET_FAULTS;
    this.net.healAll();
    for (const node of this.nodes) if (node.downUntil !== null) await this.restart(node);
    for (const node of this.nodes) node.disk.crashNext = null;
    this.log('healed');
    const healedAt = this.nowMs;
    while (this.nowMs - healedAt < SETTLE_BOUND_MS && !this.settled()) {
      await this.tick(false);
      this.step++;
    }
    this.finalChecks();
    const lines = this.trace.join('\n');
    const stats: SimStats = {
      stepsRun: this.step,
      simulatedMs: String(this.nowMs - SIM_EPOCH_MS),
      blocks: this.blocks,
      transfers: {
        started: this.transfers.size,
        confirmed: [...this.terminal.values()].filter((p) => p === 'confirmed').length,
        refunded: [...this.terminal.values()].filter((p) => p === 'refunded').length,
        failed: [...this.terminal.values()].filter((p) => p === 'failed').length,
        expired: [...this.terminal.values()].filter((p) => p === 'expired').length,
      },
      clientOps: sortKeys(this.ops),
      faultsInjected: sortKeys(this.faultCounts),
      invariantChecks: this.invariantChecks,
      messages: { ...this.net.counters },
    };
    return {
      seed: this.seed,
      domains: this.n,
      steps: this.steps,
      faults: faultsName(this.kinds),
      traceHash: toHex(sha256(utf8(lines))),
      failures: this.failures,
      stats,
      ...(this.opts.keepTrace ? { trace: [...this.trace] } : {}),
    };
  }

  private openOptions(node: Node) {
    return {
      name: node.name,
      signers: node.signers,
      keySet: node.keySet,
      limits: LIMITS,
      genesisTimestamp: SIM_EPOCH_MS,
      clock: this.clockOf(node),
    };
  }

  /** The node's router and driver around its (new) domain. */
  private async attach(node: Node): Promise<void> {
    const domain = node.domain!;
    const clock = this.clockOf(node);
    const router = new SyncRouter({
      endpoint: (id) => this.net.endpoint(id),
      mode: 'full',
      announceEveryMs: 0,
      clock,
    });
    router.on('accepted', (e) => this.log(`accept ${node.name} <- ${this.nameOf(e.from)}@${e.height}`));
    router.on('refused', (e) =>
      this.log(`refuse ${node.name} <- ${this.nameOf(e.from)} ${e.code} ${e.message.slice(0, 200)}`),
    );
    router.on('equivocation', (e) =>
      this.log(`equivocation ${node.name} freezes ${this.nameOf(e.evidence.domainId)}`),
    );
    node.router = router;
    await router.join(domain);
    for (const other of this.nodes) {
      if (other === node) continue;
      const peer: Peer = { id: other.id, name: other.name, keySet: other.keySet, genesis: other.genesis! };
      await router.addPeer(peer);
    }
    const driver = new TransferDriver(
      node.disk.transfers,
      clock,
      TRANSFER_TTL_MS,
      null,
      router.viewExpiry(),
      { deadlineAfterMs: DEADLINE_AFTER_MS },
    );
    driver.on('error', () => this.count(this.ops, 'driverReadErrors'));
    driver.on('phase', (t) => this.onPhase(t));
    driver.addDomain(domain);
    for (const other of this.nodes) if (other !== node) driver.addDomain(this.proxy(other));
    node.driver = driver;
    node.acked = new Set();
  }

  /** Another node's domain as a driver reaches it (its API): refused while that node is down. */
  private proxy(node: Node): TransferDomain {
    const live = (): Domain => {
      if (!node.domain) throw new WeftError('DOMAIN_FAILED', `${node.name} is down`);
      return node.domain;
    };
    return {
      id: node.id,
      get committedHeight() {
        return node.domain?.committedHeight ?? 0n;
      },
      submit: async (tx) => {
        // The byzantine domain withholds the claims of the transfers it means to claim after a refund.
        if (!node.honest && this.withheld(tx))
          throw new WeftError('DOMAIN_FAILED', `${node.name} withholds the claim`);
        return live().submit(tx);
      },
      status: (id) => live().status(id),
      proveCommitment: (cm, h) => live().proveCommitment(cm, h),
      proveNullifier: (nf, h) => live().proveNullifier(nf, h),
      proveRefusal: (nf, h) => live().proveRefusal(nf, h),
      acceptsAnchor: (root) => live().acceptsAnchor(root),
      remoteHeader: (id) => live().remoteHeader(id),
    };
  }

  private withheld(tx: Transaction): boolean {
    const c = tx.actions[0]?.consumed[0];
    if (!c) return false;
    const nf = hexKey(nullifier(c.resource, c.nk));
    for (const t of this.byzTransfers.values()) if (t.withhold && hexKey(t.movedNf) === nf) return true;
    return false;
  }

  private onPhase(t: Transfer): void {
    this.log(`transfer ${t.id.slice(0, 12)} ${t.phase}`);
    const byz = this.byzTransfers.get(t.id);
    if (byz) byz.phase = t.phase;
    if (t.phase !== 'confirmed' && t.phase !== 'refunded' && t.phase !== 'failed' && t.phase !== 'expired')
      return;
    const before = this.terminal.get(t.id);
    if (before !== undefined && before !== t.phase) {
      this.fail('transfer-once', `transfer ${t.id.slice(0, 16)} ended ${before}, then ${t.phase}`);
    }
    if (before === undefined) this.terminal.set(t.id, t.phase);
  }

  /** One step: faults, clients, deliveries, seals, announcements, drivers, invariants. */
  private async tick(chaos: boolean): Promise<void> {
    this.nowMs += BigInt(this.rng.int(STEP_MS_MIN, STEP_MS_MAX));
    if (chaos) await this.faults();
    else if (this.has('byzantine')) await this.byzantine();
    await this.clients();
    await this.net.deliverDue();
    for (const node of this.nodes) await this.maybeSeal(node);
    for (const node of this.nodes) {
      if (!node.router || this.nowMs - node.lastAnnounceMs < ANNOUNCE_EVERY_MS) continue;
      node.lastAnnounceMs = this.nowMs;
      await node.router.announceAll();
    }
    for (const node of this.nodes) {
      if (!node.driver) continue;
      await node.driver.tick();
      await node.driver.idle();
    }
    for (const node of this.nodes) await this.noticeCrash(node);
    this.checkInvariants();
  }

  private async maybeSeal(node: Node): Promise<void> {
    const d = node.domain;
    if (!d) return;
    const since = this.nowMs - node.lastSealMs;
    if (!((d.mempoolSize > 0 && since >= SEAL_EVERY_MS) || since >= HEARTBEAT_MS)) return;
    node.lastSealMs = this.nowMs;
    try {
      const signed = await d.sealBlock();
      this.blocks++;
      this.log(`seal ${node.name}@${signed.header.height} ${toHex(signed.header.stateRoot).slice(0, 16)}`);
    } catch (e) {
      this.log(`seal ${node.name} failed ${codeOf(e)}`);
    }
    await this.noticeCrash(node);
  }

  /** A node whose domain stopped (a simulated write failure) is down until restarted. */
  private async noticeCrash(node: Node): Promise<void> {
    const d = node.domain;
    if (!d || d.failure === undefined) return;
    const f = d.failure;
    if (f instanceof WeftError && f.code === 'STORE_FAILED') {
      this.crash(node, 'write');
      return;
    }
    this.fail('no-stop', `${node.name} stopped: ${(f as Error).message}`);
    this.crash(node, 'stopped');
  }

  private crash(node: Node, how: string): void {
    node.router?.close();
    node.router = null;
    node.driver = null;
    node.domain = null;
    node.downUntil = this.step + this.rng.int(1, 8);
    this.log(`crash ${node.name} (${how})`);
  }

  private async restart(node: Node): Promise<void> {
    node.downUntil = null;
    const before = node.disk.height;
    for (const p of node.disk.replayProblems()) this.fail('transcript-replay', `${node.name}: ${p}`);
    let opened: Awaited<ReturnType<typeof openSimDomain>>;
    try {
      opened = await openSimDomain(node.disk, this.openOptions(node));
    } catch (e) {
      this.fail('restart', `${node.name} does not recover: ${(e as Error).message}`);
      return;
    }
    node.domain = opened.domain;
    if (opened.domain.committedHeight < before)
      this.fail('durability', `${node.name} recovered at ${opened.domain.committedHeight}, below ${before}`);
    const acked = node.acked;
    await this.attach(node);
    for (const id of acked) {
      if (opened.domain.status(fromHex(id)) === undefined)
        this.fail('durability', `${node.name} lost acknowledged transaction ${id.slice(0, 16)}`);
    }
    this.log(
      `restart ${node.name}@${opened.domain.committedHeight} replayed=${opened.replayed} torn=${opened.tornTail}`,
    );
  }

  // ---- faults ----

  private async faults(): Promise<void> {
    for (const node of this.nodes) {
      if (node.downUntil !== null && this.step >= node.downUntil) await this.restart(node);
    }
    if (this.has('partition')) {
      if (this.partitionUntil >= 0 && this.step >= this.partitionUntil) {
        this.net.healAll();
        this.partitionUntil = -1;
        this.log('partition healed');
      } else if (this.partitionUntil < 0 && this.rng.chance(0.05) && this.injectFault('partition')) {
        const a = this.rng.int(0, this.n - 1);
        const b = (a + this.rng.int(1, this.n - 1)) % this.n;
        this.net.partition(this.nodes[a]!.id, this.nodes[b]!.id);
        this.partitionUntil = this.step + this.rng.int(3, 60);
        this.log(`partition ${this.nodes[a]!.name}|${this.nodes[b]!.name}`);
      }
    }
    if (this.has('crash') && this.rng.chance(0.03)) {
      const node = this.nodes[this.rng.int(0, this.n - 1)]!;
      if (node.domain) {
        const how = (['clean', 'lost', 'torn'] as const)[this.rng.int(0, 2)]!;
        if (this.injectFault(`crash-${how}`)) {
          if (how === 'clean') this.crash(node, 'clean');
          else node.disk.crashNext = how as CrashMode;
        }
      }
    }
    if (this.has('byzantine')) await this.byzantine();
  }

  /**
   * What a byzantine domain does: equivocate, forge headers of others, corrupt proofs, and sign
   * blocks whose bodies break the rules (`forgeBody`).
   */
  private async byzantine(): Promise<void> {
    for (const f of this.followUps.splice(0)) await f();
    const z = this.nodes.find((n) => !n.honest);
    if (!z?.domain || !this.rng.chance(0.15)) return;
    const honest = this.nodes.filter((n) => n.honest && n.domain);
    if (honest.length === 0) return;
    const target = honest[this.rng.int(0, honest.length - 1)]!;
    const send = async (id: string, update: RootUpdate) =>
      this.net.endpoint(z.id).send(target.id, { kind: 'rootUpdate', id, body: encodeRootUpdate(update) });
    const what = this.rng.int(0, 5);
    if (what >= 3) {
      await this.forgeBody(z, target, what, send);
      return;
    }
    if (what === 0) {
      // Equivocation: a second header at its latest height (another timestamp), fully signed.
      const h = z.domain.committedHeight;
      if (h === 0n || !this.injectFault('equivocation')) return;
      const real = updateOf(z.domain, h);
      const header = { ...real.signed.header, timestamp: real.signed.header.timestamp + 1n };
      const signed = { header, signatures: signHeader(header, z.keySet, z.signers) };
      await send(`eq/${z.name}/${h}/${this.step}`, { ...real, signed });
      this.log(`byzantine equivocates ${z.name}@${h} to ${target.name}`);
      return;
    }
    // A header of an honest domain the target has not seen yet.
    const victims = honest.filter((n) => n !== target);
    if (victims.length === 0) return;
    const x = victims[this.rng.int(0, victims.length - 1)]!;
    const seen = target.domain!.remoteView(x.id)?.head.header.height ?? 0n;
    const h = seen + 1n;
    if (!x.domain || x.domain.committedHeight < h) return;
    const real = updateOf(x.domain, h);
    if (what === 1) {
      // Forged: signed with one stolen key, below the key set's threshold.
      if (!this.injectFault('forged-header')) return;
      const header = { ...real.signed.header, timestamp: real.signed.header.timestamp + 1n };
      const signed = { header, signatures: signHeader(header, x.keySet, [x.spare]) };
      await send(`forge/${x.name}/${h}/${this.step}`, { ...real, signed });
      this.log(`byzantine forges ${x.name}@${h} (one signature) to ${target.name}`);
      return;
    }
    // A real header relayed with a corrupted write: the proof no longer holds.
    if (real.writes.length === 0 || !this.injectFault('forged-proof')) return;
    const w = real.writes[0]!;
    const value = w.value ? w.value.slice() : new Uint8Array(8);
    value[0] = (value[0] ?? 0) ^ 1;
    const writes = [{ key: w.key, value }, ...real.writes.slice(1)];
    await send(`proof/${x.name}/${h}/${this.step}`, { ...real, writes });
    this.log(`byzantine corrupts the proof of ${x.name}@${h} to ${target.name}`);
  }

  /**
   * A block the byzantine domain signs whose body breaks a rule: a mint out of nothing (a bare
   * commitment write, or a mint its issuer did not sign), a claim after the source refunded it,
   * or a refusal of a claim it already took. Honest verifiers must refuse each (invariant
   * byzantine-refused); a few steps later an accomplice tries to profit (a claim of the minted
   * coin, a refund by the refusal), which must be refused too.
   */
  private async forgeBody(
    z: Node,
    target: Node,
    what: number,
    send: (id: string, update: RootUpdate) => Promise<void>,
  ): Promise<void> {
    if (this.healed || this.faultsUsed >= this.maxFaults) return; // no fault would be injected
    const zd = z.domain!;
    let forged: Forged | null = null;
    let label: string;
    let kind: string;
    let after: ((f: Forged) => Promise<void>) | undefined;
    if (what === 3) {
      const variant = this.rng.int(0, 2);
      const bare = variant === 0;
      const owner = this.owners[this.rng.int(0, this.owners.length - 1)]!;
      const quantity = BigInt(this.rng.int(1, 1000));
      // Bare: a coin homed on the target, so that a claim of it there would bring the value in.
      // Otherwise a mint of the issuer's kind for itself, validly signed but by the coin's owner,
      // or one that creates twice what it consumes.
      const minted = mintTx({
        issuer: this.issuer,
        symbol: 'USD',
        owner: owner.publicKey,
        quantity,
        home: bare ? target.id : z.id,
        random: this.random,
      });
      const coin = minted.coin;
      const cm = commitment(coin.resource);
      const more = this.newCoin(z.i, owner, 2n * quantity, 'USD').parts;
      const action = minted.tx.actions[0]!;
      const tx = signTransaction(
        {
          ...minted.tx,
          signatures: [],
          ...(variant === 2
            ? {
                actions: [
                  {
                    consumed: action.consumed,
                    created: [{ resource: more.resource, value: more.value, label: more.label }],
                  },
                ],
              }
            : {}),
        },
        [owner],
      );
      label = [
        'a commitment no transaction creates',
        'a mint its issuer did not sign',
        'a mint that creates more than it consumes',
      ][variant]!;
      kind = 'mint-from-nothing';
      forged = await this.forgeOn(z, target, (h) =>
        bare
          ? { writes: [{ key: commitmentKey(cm), value: encodeHeight(h) }], txs: [] }
          : { writes: impliedWrites([tx], h), txs: [tx] },
      );
      if (bare)
        after = async (f) => {
          const c: Coin = { parts: coin, owner, home: target.i, cm, state: 'live' };
          const proof = {
            anchor: f.update.signed.header.stateRoot,
            height: f.height,
            proof: f.tree.proveSync(commitmentKey(cm)),
          };
          const { tx: claim } = this.spendTx(c, owner, proof);
          const code = await this.submit(target, claim, 'byzantineClaimMinted');
          if (code === 'pending')
            this.fail(
              'byzantine-refused',
              `${target.name} admitted a claim of a coin ${z.name} minted out of nothing`,
            );
        };
    } else if (what === 4) {
      const t = this.pickByz((t) => t.withhold && t.phase === 'refunded');
      const src = t ? this.nodes[t.from]! : undefined;
      const hS = src ? zd.remoteView(src.id)?.head.header.height : undefined;
      if (!t || !src?.domain || hS === undefined) return;
      const held = src.domain.proveCommitment(commitment(t.plan.moved.resource), hS);
      if (held.value === null) return;
      const claim = withSourceProof(t.plan.claim, {
        height: decodeHeight(held.value),
        root: held.root,
        proof: held.proof,
      });
      const deadline = decodeDeadline(t.plan) ?? 0n;
      label = 'a claim after the source refunded it';
      kind = 'claim-after-refund';
      t.attacked = true;
      forged = await this.forgeOn(z, target, (h, ts) =>
        ts <= deadline
          ? null
          : {
              writes: impliedWrites([claim], h),
              txs: [claim],
              exclusions: [{ key: refusalKey(t.movedNf), proof: zd.proveRefusal(t.movedNf, h - 1n).proof }],
            },
      );
    } else {
      const t = this.pickByz((t) => !t.withhold && t.phase === 'confirmed');
      const at = t ? zd.status(txId(t.plan.claim)) : undefined;
      if (!t || at?.status !== 'included') return;
      const id = txId(t.plan.claim);
      const claim = zd.block(at.height)?.txs.find((x) => equalBytes(txId(x), id));
      const deadline = decodeDeadline(t.plan) ?? 0n;
      if (!claim) return;
      label = 'a refusal of a claim it took';
      kind = 'refusal-after-claim';
      t.attacked = true;
      forged = await this.forgeOn(z, target, (h, ts) =>
        h <= at.height || ts <= deadline
          ? null
          : {
              writes: [
                {
                  key: refusalKey(t.movedNf),
                  value: encodeRefusal({ reason: 'DEADLINE_PASSED', height: h }),
                },
              ],
              txs: [],
              refused: [claim],
              // The nullifier is present: its proof passed off as one of absence.
              exclusions: [
                { key: nullifierKey(t.movedNf), proof: zd.proveNullifier(t.movedNf, h - 1n).proof },
              ],
            },
      );
      const src = this.nodes[t.from]!;
      after = async (f) => {
        if (!src.domain || !t.plan.refund) return;
        const refund = withRefundWitness(t.plan.refund, {
          refund: {
            height: f.height,
            proof: f.tree.proveSync(refusalKey(t.movedNf)),
            refusal: { reason: 'DEADLINE_PASSED', height: f.height },
          },
        });
        const code = await this.submit(src, refund, 'byzantineRefusalRefund');
        if (code === 'pending')
          this.fail(
            'transfer-once',
            `${src.name} admitted a refund of ${t.id.slice(0, 12)} by a refusal ${z.name} recorded after taking its claim`,
          );
      };
    }
    // Counted (and bounded, when shrinking) only once a block is signed.
    if (forged === null || !this.injectFault(kind)) return;
    this.forged.set(hexKey(headerHash(forged.update.signed.header)), label);
    await send(`body/${z.name}/${forged.height}/${this.step}`, forged.update);
    this.log(`byzantine signs ${z.name}@${forged.height} with ${label} to ${target.name}`);
    if (after) {
      const f = forged;
      const run = after;
      // A few steps later, once delivered (or lost): the accomplice's try.
      const due = this.step + 3;
      const wait = async (): Promise<void> => {
        if (this.step < due) this.followUps.push(wait);
        else await run(f);
      };
      this.followUps.push(wait);
    }
  }

  private pickByz(pred: (t: ByzTransfer) => boolean): ByzTransfer | undefined {
    const list = [...this.byzTransfers.values()].filter((t) => !t.attacked && pred(t));
    return list.length === 0 ? undefined : list[this.rng.int(0, list.length - 1)];
  }

  /**
   * A block `z` signs on the head `target` holds of it (a head of z's own chain, in a view not
   * frozen), with the body `make` gives for its height and timestamp; null when there is none.
   */
  private async forgeOn(
    z: Node,
    target: Node,
    make: (
      height: bigint,
      timestamp: bigint,
    ) => { writes: Write[]; txs: Transaction[]; refused?: Transaction[]; exclusions?: Exclusion[] } | null,
  ): Promise<Forged | null> {
    const zd = z.domain!;
    const view = target.domain?.remoteView(z.id);
    if (!view || view.frozen !== null) return null;
    const parent = view.head.header;
    const real = zd.header(parent.height);
    if (!real || !equalBytes(headerHash(real.header), view.headHash)) return null;
    const height = parent.height + 1n;
    const now = this.nowMs + z.skew;
    const timestamp = now > parent.timestamp ? now : parent.timestamp;
    const body = make(height, timestamp);
    if (body === null) return null;
    const tree = Smt.inMemory();
    for (let h = 0n; h <= parent.height; h++) {
      const writes = zd.block(h)?.writes ?? [];
      if (writes.length > 0) await tree.apply(writes);
    }
    if (!equalBytes(tree.root(), parent.stateRoot)) return null;
    const { root, transition } =
      body.writes.length > 0
        ? await tree.apply(body.writes, { proveTransition: true })
        : { root: tree.root(), transition: { steps: [] } };
    const header = {
      domain: z.id,
      height,
      prevHash: view.headHash,
      stateRoot: root,
      txRoot: txRoot(body.txs.map((t) => txId(t))),
      timestamp,
    };
    const update: RootUpdate = {
      signed: { header, signatures: signHeader(header, z.keySet, z.signers) },
      writes: body.writes,
      transition: transition!,
      txs: body.txs,
      ...(body.refused ? { refused: body.refused } : {}),
      ...(body.exclusions ? { exclusions: body.exclusions } : {}),
    };
    return { update, tree, height };
  }

  // ---- clients ----

  private honestUp(): Node[] {
    return this.nodes.filter((n) => n.honest && n.domain);
  }

  private refreshCoins(): void {
    for (const c of this.coins) {
      if (c.state !== 'unconfirmed') continue;
      const d = this.nodes[c.home]!.domain;
      if (!d) continue;
      const p = d.proveCommitment(c.cm);
      if (p.value !== null) {
        c.state = 'live';
        c.proof = { anchor: p.root, height: decodeHeight(p.value), proof: p.proof };
      }
    }
  }

  private pickCoin(pred: (c: Coin) => boolean): Coin | undefined {
    const list = this.coins.filter(pred);
    return list.length === 0 ? undefined : list[this.rng.int(0, list.length - 1)];
  }

  private newCoin(home: number, owner: KeyPair, quantity: bigint, kind: string): Coin {
    const nk = this.random(32);
    const parts = createToken({
      label: { issuer: this.issuer.publicKey, symbol: kind },
      owner: owner.publicKey,
      quantity,
      home: this.nodes[home]!.id,
      nkCommitment: nkCommitment(nk),
      isEphemeral: false,
      random: this.random,
    });
    return unconfirmed({ ...parts, nk }, owner, home);
  }

  private async submit(node: Node, tx: Transaction, what: string): Promise<string> {
    this.count(this.ops, what);
    if (!node.domain) return 'DOWN';
    try {
      const r = await node.domain.submit(tx);
      if (r.status.status === 'pending') node.acked.add(toHex(r.txId));
      const code = r.status.status === 'rejected' ? r.status.code : r.status.status;
      this.log(`client ${what} ${node.name} ${code}`);
      return code;
    } catch (e) {
      if (!(e instanceof WeftError)) this.fail('typed-errors', `submit threw ${(e as Error).message}`);
      this.log(`client ${what} ${node.name} threw ${codeOf(e)}`);
      await this.noticeCrash(node);
      return codeOf(e);
    }
  }

  private async clients(): Promise<void> {
    this.refreshCoins();
    const ops = this.healed ? 1 : this.rng.int(0, 2);
    for (let k = 0; k < ops; k++) {
      // An operation may crash a node (a write fails): who is up is read again each time.
      const up = this.honestUp();
      if (up.length === 0) return;
      const roll = this.rng.int(0, 99);
      if (this.healed && roll >= 20) return; // after healing: mints and local spends only, rarely
      if (roll < 12) await this.mint(up);
      else if (roll < 30) await this.localSpend();
      else if (roll < 60) await this.transfer();
      else if (roll < 70) await this.doubleSpend();
      else if (roll < 80) await this.malformed();
      else if (roll < 88) await this.staleAnchor();
      else if (roll < 96) await this.earlyRefund();
      else if (this.has('byzantine')) await this.byzantineTransfer();
    }
  }

  private async mint(up: Node[]): Promise<void> {
    const node = up[this.rng.int(0, up.length - 1)]!;
    const owner = this.owners[this.rng.int(0, this.owners.length - 1)]!;
    const kind = this.rng.chance(0.5) ? 'USD' : 'EUR';
    const quantity = BigInt(this.rng.int(1, 1000));
    const { tx, coin } = mintTx({
      issuer: this.issuer,
      symbol: kind,
      owner: owner.publicKey,
      quantity,
      home: node.id,
      random: this.random,
    });
    const code = await this.submit(node, tx, 'mint');
    if (code === 'pending') this.coins.push(unconfirmed(coin, owner, node.i));
  }

  /** A local spend: the coin to a new owner and the change back, in the network form. */
  private spendTx(c: Coin, to: KeyPair, withProof?: Coin['proof']): { tx: Transaction; outs: Coin[] } {
    const q = c.parts.resource.quantity;
    const amount = q <= 1n ? q : BigInt(this.rng.int(1, Number(q)));
    const kind = this.kindOf(c);
    const outs = [this.newCoin(c.home, to, amount, kind)];
    if (q - amount > 0n) outs.push(this.newCoin(c.home, c.owner, q - amount, kind));
    const tx = signTransaction(
      {
        actions: [
          {
            consumed: [
              {
                resource: c.parts.resource,
                value: c.parts.value,
                label: c.parts.label,
                nk: c.parts.nk,
                commitmentProof: withProof ?? null,
              },
            ],
            created: outs.map((o) => ({
              resource: o.parts.resource,
              value: o.parts.value,
              label: o.parts.label,
            })),
          },
        ],
        appData: new Uint8Array(),
        signatures: [],
        executor: this.nodes[c.home]!.id,
      },
      [c.owner],
    );
    return { tx, outs };
  }

  private kindOf(c: Coin): string {
    return new TextDecoder().decode(c.parts.label).includes('EUR') ? 'EUR' : 'USD';
  }

  private async localSpend(): Promise<void> {
    const c = this.pickCoin((c) => c.state === 'live' && this.nodes[c.home]!.domain !== null);
    if (!c) return;
    const to = this.owners[this.rng.int(0, this.owners.length - 1)]!;
    const { tx, outs } = this.spendTx(c, to);
    const code = await this.submit(this.nodes[c.home]!, tx, 'spend');
    if (code === 'pending') {
      c.state = 'spent';
      this.coins.push(...outs);
    }
  }

  private async transfer(): Promise<void> {
    const c = this.pickCoin((c) => c.state === 'live' && this.nodes[c.home]!.driver !== null);
    if (!c) return;
    const from = this.nodes[c.home]!;
    const dests = this.nodes.filter((n) => n.honest && n !== from);
    if (dests.length === 0) return;
    const to = dests[this.rng.int(0, dests.length - 1)]!;
    const withDeadline = this.rng.chance(0.5);
    const deadline = withDeadline ? this.nowMs + to.skew + BigInt(this.rng.int(1_000, 15_000)) : undefined;
    this.count(this.ops, withDeadline ? 'transferDeadline' : 'transfer');
    try {
      const h = await from.driver!.transfer({
        from: from.domain!,
        to: this.proxy(to),
        resource: c.parts,
        owner: c.owner,
        random: this.random,
        ...(deadline === undefined ? {} : { deadline }),
      });
      c.state = 'spent';
      const rec = from.disk.transfers.get(h.id)!;
      const plan = rec.plan;
      this.transfers.set(h.id, {
        id: h.id,
        from: from.i,
        to: to.i,
        plan,
        movedNf: nullifier(plan.moved.resource, plan.moved.nk),
      });
      // Where the value may end: the claim's output on the destination, or the refund's back home.
      this.expectCoin(plan.claim.actions[0]!.created[0]!, plan.moved.nk, c.owner, to.i);
      const back = plan.refund?.actions[0]?.created[0];
      if (back) this.expectCoin(back, plan.moved.nk, c.owner, from.i);
      this.log(`client transfer ${from.name}->${to.name} ${h.id.slice(0, 12)} deadline=${deadline ?? '-'}`);
    } catch (e) {
      if (!(e instanceof WeftError)) this.fail('typed-errors', `transfer threw ${(e as Error).message}`);
      this.log(`client transfer ${from.name}->${to.name} threw ${codeOf(e)}`);
      await this.noticeCrash(from);
    }
  }

  /** Tracks a coin a transfer may create (its claim's output, or its refund's), not yet confirmed. */
  private expectCoin(created: ResourceParts, nk: Uint8Array, owner: KeyPair, home: number): void {
    this.coins.push(unconfirmed({ ...created, nk }, owner, home));
  }

  /** A transfer with a deadline to the byzantine domain, which withholds its claim or takes it. */
  private async byzantineTransfer(): Promise<void> {
    const z = this.nodes.find((n) => !n.honest);
    const c = this.pickCoin((c) => c.state === 'live' && this.nodes[c.home]!.driver !== null);
    if (!z?.domain || !c) return;
    const from = this.nodes[c.home]!;
    const deadline = this.nowMs + z.skew + BigInt(this.rng.int(1_000, 6_000));
    const withhold = this.rng.chance(0.5);
    this.count(this.ops, withhold ? 'byzantineTransferWithheld' : 'byzantineTransferTaken');
    try {
      const h = await from.driver!.transfer({
        from: from.domain!,
        to: this.proxy(z),
        resource: c.parts,
        owner: c.owner,
        random: this.random,
        deadline,
      });
      c.state = 'spent';
      const plan = from.disk.transfers.get(h.id)!.plan;
      const movedNf = nullifier(plan.moved.resource, plan.moved.nk);
      this.byzTransfers.set(h.id, {
        id: h.id,
        from: from.i,
        to: z.i,
        plan,
        movedNf,
        withhold,
        phase: 'requested',
        attacked: false,
      });
      const back = plan.refund?.actions[0]?.created[0];
      if (back) this.expectCoin(back, plan.moved.nk, c.owner, from.i);
      this.log(`client transfer ${from.name}->${z.name} ${h.id.slice(0, 12)} withhold=${withhold}`);
    } catch (e) {
      if (!(e instanceof WeftError)) this.fail('typed-errors', `transfer threw ${(e as Error).message}`);
      this.log(`client transfer ${from.name}->${z.name} threw ${codeOf(e)}`);
      await this.noticeCrash(from);
    }
  }

  /** A coin already spent (or moved) spent again in a new transaction. */
  private async doubleSpend(): Promise<void> {
    const c = this.pickCoin((c) => c.state === 'spent' && this.nodes[c.home]!.domain !== null);
    if (!c) return;
    const { tx } = this.spendTx(c, this.owners[this.rng.int(0, this.owners.length - 1)]!);
    await this.submit(this.nodes[c.home]!, tx, 'doubleSpend');
  }

  /** A submission that must be refused: a broken signature, value out of nothing, a forged mint. */
  private async malformed(): Promise<void> {
    const c = this.pickCoin((c) => c.state === 'live' && this.nodes[c.home]!.domain !== null);
    if (!c) return;
    const node = this.nodes[c.home]!;
    const { tx } = this.spendTx(c, this.owners[0]!);
    const how = this.rng.int(0, 2);
    let bad: Transaction;
    if (how === 0) {
      const sig = tx.signatures[0]!;
      const bytes = sig.signature.bytes.slice();
      bytes[this.rng.int(0, bytes.length - 1)]! ^= 1 << this.rng.int(0, 7);
      bad = { ...tx, signatures: [{ ...sig, signature: { ...sig.signature, bytes } }] };
    } else if (how === 1) {
      // More out than in: the created coin is worth more than the consumed one (minting out of nothing).
      const extra = this.newCoin(c.home, c.owner, 1n + c.parts.resource.quantity, this.kindOf(c));
      const action = tx.actions[0]!;
      bad = signTransaction(
        {
          ...tx,
          signatures: [],
          actions: [
            {
              consumed: action.consumed,
              created: [
                { resource: extra.parts.resource, value: extra.parts.value, label: extra.parts.label },
              ],
            },
          ],
        },
        [c.owner],
      );
    } else {
      // A mint of the issuer's kind signed by someone else.
      const forger = { ...this.issuer, secretKey: this.owners[1]!.secretKey };
      bad = mintTx({
        issuer: forger,
        symbol: 'USD',
        owner: this.owners[1]!.publicKey,
        quantity: 5n,
        home: node.id,
        random: this.random,
      }).tx;
    }
    const code = await this.submit(node, bad, `malformed${how}`);
    if (code === 'pending')
      this.fail('admission', `malformed submission ${how} was admitted on ${node.name}`);
  }

  /** A spend anchored on a root the domain's anchor window no longer holds. */
  private async staleAnchor(): Promise<void> {
    const c = this.pickCoin(
      (c) =>
        c.state === 'live' &&
        c.proof !== undefined &&
        this.nodes[c.home]!.domain !== null &&
        this.nodes[c.home]!.domain!.committedHeight > c.proof.height + BigInt(LIMITS.anchorWindow! + 1),
    );
    if (!c) return;
    const node = this.nodes[c.home]!;
    // Stale only if no recent block has the same root (an idle domain keeps its root).
    if (node.domain!.acceptsAnchor(c.proof!.anchor)) return;
    const { tx } = this.spendTx(c, this.owners[2]!, c.proof);
    const code = await this.submit(node, tx, 'staleAnchor');
    if (code === 'pending')
      this.fail('admission', `a spend anchored outside the window was admitted on ${node.name}`);
    if (code === 'pending') c.state = 'spent';
  }

  /** A refund with a witness that shows the claim landed (the nullifier present): must be refused. */
  private async earlyRefund(): Promise<void> {
    const claimed = [...this.transfers.values()].filter((t) => {
      const src = this.nodes[t.from]!;
      const dst = this.nodes[t.to]!;
      return (
        t.plan.refund !== undefined &&
        src.domain !== null &&
        dst.domain !== null &&
        this.spent[t.to]!.has(hexKey(t.movedNf))
      );
    });
    if (claimed.length === 0) return;
    const t = claimed[this.rng.int(0, claimed.length - 1)]!;
    const src = this.nodes[t.from]!.domain!;
    const dst = this.nodes[t.to]!.domain!;
    const deadline = decodeDeadline(t.plan);
    const past = src.remoteHeaders(dst.id).find((h) => deadline !== undefined && h.timestamp > deadline);
    if (!past || past.height > dst.committedHeight) return;
    const present = dst.proveNullifier(t.movedNf, past.height);
    const held = src.proveCommitment(commitment(t.plan.moved.resource));
    if (held.value === null) return;
    const refund = withRefundWitness(t.plan.refund!, {
      commitmentProof: { anchor: held.root, height: decodeHeight(held.value), proof: held.proof },
      refund: { height: past.height, proof: present.proof },
    });
    const code = await this.submit(this.nodes[t.from]!, refund, 'earlyRefund');
    if (code === 'pending') this.log(`client earlyRefund admitted for ${t.id.slice(0, 12)}`);
  }

  // ---- invariants ----

  private settled(): boolean {
    for (const t of this.transfers.values()) if (!this.terminal.has(t.id)) return false;
    return true;
  }

  private checkInvariants(): void {
    this.invariantChecks++;
    this.scanLedger();
    this.checkViews();
    this.checkTransfers();
    for (const id of this.net.duplicatesProcessed.splice(0))
      this.fail('exactly-once-delivery', `message ${id} was processed twice by one receiver`);
  }

  /** Supply per kind and spent nullifiers, from every honest node's disk (crashed ones too). */
  private scanLedger(): void {
    const fresh: { node: Node; txs: Transaction[] }[] = [];
    for (const node of this.nodes) {
      if (!node.honest) continue;
      const top = Number(node.disk.height);
      for (let h = node.scanned + 1; h <= top; h++)
        fresh.push({ node, txs: node.disk.block(BigInt(h))!.txs });
      node.scanned = top;
    }
    if (fresh.length === 0) return;
    // Creations first: a block never consumes what a block of the same step creates elsewhere.
    for (const { txs } of fresh) {
      for (const tx of txs) {
        let net = new Map<string, bigint>();
        for (const a of tx.actions) {
          for (const c of a.created) {
            if (c.resource.isEphemeral) continue;
            const kind = toHex(c.resource.labelRef);
            this.live.set(hexKey(commitment(c.resource)), { q: c.resource.quantity, kind });
            net.set(kind, (net.get(kind) ?? 0n) + c.resource.quantity);
          }
          for (const c of a.consumed) {
            if (c.resource.isEphemeral) continue;
            const kind = toHex(c.resource.labelRef);
            net.set(kind, (net.get(kind) ?? 0n) - c.resource.quantity);
          }
        }
        for (const [kind, q] of net) this.issued.set(kind, (this.issued.get(kind) ?? 0n) + q);
        net = new Map();
      }
    }
    for (const { node, txs } of fresh) {
      for (const tx of txs) {
        for (const a of tx.actions) {
          for (const c of a.consumed) {
            const nf = hexKey(nullifier(c.resource, c.nk));
            if (this.spent[node.i]!.has(nf))
              this.fail('nullifier-once', `${node.name} spent nullifier ${nf.slice(0, 16)} twice`);
            this.spent[node.i]!.add(nf);
            if (c.resource.isEphemeral) continue;
            const cm = hexKey(commitment(c.resource));
            if (!this.live.delete(cm))
              this.fail(
                'supply',
                `${node.name} consumed resource ${cm.slice(0, 16)}, which no honest domain holds unspent`,
              );
          }
        }
      }
    }
    const supply = new Map<string, bigint>();
    for (const { q, kind } of this.live.values()) supply.set(kind, (supply.get(kind) ?? 0n) + q);
    for (const [kind, issued] of this.issued) {
      const have = supply.get(kind) ?? 0n;
      if (have !== issued)
        this.fail('supply', `kind ${kind.slice(0, 12)}: honest domains hold ${have}, ${issued} was issued`);
    }
  }

  /** Accepted remote roots are the real ones (honest) or threshold-signed (byzantine); freezes have evidence. */
  private checkViews(): void {
    for (const o of this.nodes) {
      if (!o.honest || !o.domain) continue;
      for (const v of o.domain.remoteViews()) {
        const x = this.nodes.find((n) => equalBytes(n.id, v.domainId));
        if (!x) {
          this.fail('views', `${o.name} follows an unknown domain`);
          continue;
        }
        if (v.mode !== 'full')
          this.fail('views', `${o.name}'s view of ${x.name} is in mode ${v.mode}, not full`);
        const limit = v.frozen?.fromHeight;
        for (const r of v.recent.values()) {
          const forged = x.honest ? undefined : this.forged.get(hexKey(r.headerHash));
          if (forged !== undefined)
            this.fail(
              'byzantine-refused',
              `${o.name} accepted ${x.name}@${r.height}, a block with ${forged}`,
            );
          if (limit !== undefined && r.height >= limit) continue;
          const key = `${o.i}/${hexKey(r.headerHash)}`;
          if (this.verifiedHeaders.has(key)) continue;
          if (x.honest) {
            const real = x.disk.header(r.height);
            if (!real || !equalBytes(headerHash(real.header), r.headerHash)) {
              this.fail(
                'accepted-roots',
                `${o.name} accepted a header of ${x.name} at ${r.height} that ${x.name} never sealed`,
              );
              continue;
            }
          } else if (r.height > 0n && !thresholdSigned(r.signed, r.signedBy ?? x.keySet)) {
            this.fail(
              'accepted-roots',
              `${o.name} accepted ${x.name}@${r.height} without a threshold of signatures`,
            );
            continue;
          }
          this.verifiedHeaders.add(key);
        }
        if (v.frozen) {
          if (x.honest) this.fail('frozen-views', `${o.name} froze its view of honest ${x.name}`);
          const ev = v.frozen.evidence;
          const ok =
            (ev !== null &&
              ev.a.header.height === ev.b.header.height &&
              !equalBytes(headerHash(ev.a.header), headerHash(ev.b.header)) &&
              thresholdSigned(ev.a, x.keySet) &&
              thresholdSigned(ev.b, x.keySet)) ||
            v.frozen.invalidBlock !== undefined;
          if (!ok) this.fail('frozen-views', `${o.name} froze ${x.name} without evidence that verifies`);
        }
      }
    }
  }

  private checkTransfers(): void {
    for (const [id, phase] of this.terminal) {
      const t = this.transfers.get(id);
      if (!t) continue;
      const nf = hexKey(t.movedNf);
      if (phase === 'confirmed' && !this.spent[t.to]!.has(nf))
        this.fail(
          'transfer-once',
          `transfer ${id.slice(0, 16)} confirmed without its claim on ${this.nodes[t.to]!.name}`,
        );
      if (phase === 'refunded' && !this.spent[t.from]!.has(nf))
        this.fail(
          'transfer-once',
          `transfer ${id.slice(0, 16)} refunded without its refund on ${this.nodes[t.from]!.name}`,
        );
    }
  }

  private finalChecks(): void {
    this.checkInvariants();
    for (const t of this.transfers.values()) {
      if (!this.terminal.has(t.id))
        this.fail(
          'transfer-liveness',
          `transfer ${t.id.slice(0, 16)} ${this.nodes[t.from]!.name}->${this.nodes[t.to]!.name} did not end within ${SETTLE_BOUND_MS} ms after faults healed`,
        );
    }
    for (const node of this.nodes) {
      for (const p of node.disk.replayProblems()) this.fail('transcript-replay', `${node.name}: ${p}`);
    }
  }
}

/** The root update of `domain`'s block at `height`, as a full-mode router sends it. */
function updateOf(domain: Domain, height: bigint): RootUpdate {
  const block = domain.block(height)!;
  const signed = domain.header(height)!;
  return rootUpdateFromBlock(block, signed, {
    withTxs: true,
    remoteHeaders: recordedHeaders(domain, block),
    exclusions: exclusionsOf(domain, block),
  });
}

/**
 * Signatures of a threshold of distinct keys of `ks` over the header's hash, counted here without
 * the production check (which a planted bug may weaken).
 */
function thresholdSigned(sh: SignedHeader, ks: KeySet): boolean {
  const digest = headerHash(sh.header);
  const signers = new Set<number>();
  for (const s of sh.signatures) {
    const key = ks.keys[s.signer];
    if (!key || signers.has(s.signer) || s.signature.length !== 65) continue;
    try {
      if (verifySignature(key, digest, { type: 'secp256k1', bytes: s.signature.subarray(0, 64) }))
        signers.add(s.signer);
    } catch {
      // not a signature
    }
  }
  return signers.size >= ks.threshold;
}

/** The tree writes a block holding `txs` would make at `height`: spent nullifiers, new commitments. */
function impliedWrites(txs: Transaction[], height: bigint): Write[] {
  const out: Write[] = [];
  for (const tx of txs) {
    for (const a of tx.actions) {
      for (const c of a.consumed)
        out.push({ key: nullifierKey(nullifier(c.resource, c.nk)), value: encodeHeight(height) });
      for (const c of a.created)
        out.push({ key: commitmentKey(commitment(c.resource)), value: encodeHeight(height) });
    }
  }
  return out;
}

function decodeDeadline(plan: TransferPlan): bigint | undefined {
  try {
    return decodeValue(plan.moved.value).deadline;
  } catch {
    return undefined;
  }
}

function codeOf(e: unknown): string {
  return e instanceof WeftError ? e.code : 'EXCEPTION';
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A coin the simulator expects to exist once its block is confirmed. */
function unconfirmed(parts: Coin['parts'], owner: KeyPair, home: number): Coin {
  return { parts, owner, home, cm: commitment(parts.resource), state: 'unconfirmed' };
}
