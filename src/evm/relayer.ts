// The relayer: follows Weft domains (through anything that serves their signed headers, such as
// a node's HTTP API client) and keeps WeftLightClient up to date — registers domains it does not
// know, submits new headers in order (batched: one transaction per EVM_HEADER_BATCH_MAX), and
// turns a node header that contradicts the chain's into misbehaviour evidence.
import type { Address, Hex } from 'viem';
import { decodeFunctionData, parseAbiItem } from 'viem';
import { concatBytes, equalBytes, fromHex, hexKey, toHex, WeftError } from '../crypto/index.js';
import {
  decodeHeader,
  decodeKeySet,
  decodeSignedHeader,
  headerHash,
  type KeySet,
  keySetsEqual,
  type SignedHeader,
  verifyHeaderSignatures,
} from '../domain/index.js';
import type { Proof } from '../smt/index.js';
import { weftLightClientAbi } from './artifacts.js';
import type { EvmConnection } from './chain.js';
import {
  EVM_HEADER_BATCH_MAX,
  registerDomain,
  signerAddresses,
  submitHeaders,
  submitMisbehaviour,
  updateKeySet,
} from './lightClient.js';

/**
 * Where the relayer reads a domain's signed headers and, for key-set changes, the proof of its
 * key-set record `0x05 || "keyset"` at a height (a node's API client has both methods). Without
 * `proveKeySet` the relayer cannot follow a key-set change: the first header the new set signs
 * reverts (`ThresholdNotMet`) and the domain is reported skipped.
 */
export interface HeaderSource {
  header(at: bigint | 'latest'): Promise<SignedHeader | undefined>;
  proveKeySet?(at: bigint): Promise<{ value: Uint8Array | null; proof: Proof }>;
}

/** A domain to follow: its id, genesis key set and signed genesis header, and its headers' source. */
export type RelayedDomain = {
  name: string;
  id: Uint8Array;
  keySet: KeySet;
  genesis: SignedHeader;
  source: HeaderSource;
};

/** Most headers one pass reads from one domain (a long gap takes several passes). */
export const RELAY_HEADERS_PER_PASS_MAX = 4 * EVM_HEADER_BATCH_MAX;
const TIP_ATTEMPTS = 3;
const TIP_RETRY_MS = 100;
/** How often `run` looks for new headers when not told otherwise. */
export const RELAY_INTERVAL_MS_DEFAULT = 2_000;

export type RelayPass = {
  registered: string[];
  /** headers submitted per domain name */
  submitted: Record<string, number>;
  /** domains whose misbehaviour evidence was submitted (now frozen) */
  frozen: string[];
  /** domains whose key-set change was proven to the light client (`updateKeySet`), once per change */
  keySets: string[];
  /** domains skipped, with why (frozen, unreachable, a header that does not verify) */
  skipped: Record<string, string>;
  /** whether every domain is caught up with the tip its node served during the pass */
  caughtUp: boolean;
  /** whether some domain had more new headers than one pass submits */
  more: boolean;
};

const hex = (b: Uint8Array): Hex => toHex(b) as Hex;
const headerAcceptedEvent = parseAbiItem(
  'event HeaderAccepted(bytes32 indexed domainId, uint64 indexed height, bytes32 stateRoot)',
);
const domainRegisteredEvent = parseAbiItem(
  'event DomainRegistered(bytes32 indexed domainId, uint64 indexed height, bytes32 stateRoot)',
);

/**
 * Keeps a WeftLightClient in step with Weft domains.
 *
 * @example
 * const relayer = new EvmRelayer(evm, lightClient, domains);
 * await relayer.run({ once: true });
 */
export class EvmRelayer {
  constructor(
    private readonly evm: EvmConnection,
    private readonly lightClient: Address,
    private readonly domains: RelayedDomain[],
  ) {}

  /** The key set the light client holds for each domain (hex id), as last learned. */
  private readonly sets = new Map<string, KeySet>();

  private read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return this.evm.public.readContract({
      address: this.lightClient,
      abi: weftLightClientAbi,
      functionName: functionName as never,
      args: args as never,
    }) as Promise<T>;
  }

  /** One pass over every domain: register what is missing, submit what is new. */
  async pass(): Promise<RelayPass> {
    const out: RelayPass = {
      registered: [],
      submitted: {},
      frozen: [],
      keySets: [],
      skipped: {},
      caughtUp: true,
      more: false,
    };
    for (const d of this.domains) {
      try {
        await this.follow(d, out);
      } catch (e) {
        out.skipped[d.name] = e instanceof WeftError ? `${e.code}: ${e.message}` : (e as Error).message;
        out.caughtUp = false;
      }
    }
    return out;
  }

  private async follow(d: RelayedDomain, out: RelayPass): Promise<void> {
    if (!(await this.read<boolean>('registered', [hex(d.id)]))) {
      if (!verifyHeaderSignatures(d.genesis, d.keySet)) {
        throw new WeftError('BAD_SIGNATURES', `the genesis header of ${d.name} is not signed by its key set`);
      }
      await registerDomain(this.evm, this.lightClient, d.genesis.header, d.keySet);
      out.registered.push(d.name);
    }
    if (await this.read<boolean>('frozen', [hex(d.id)])) {
      out.skipped[d.name] = 'frozen';
      return;
    }
    const onChain = await this.read<bigint>('latestHeight', [hex(d.id)]);
    const tip = await latestOf(d.source);
    if (!tip) throw new WeftError('UNAVAILABLE', `${d.name} served no header`);
    if (await this.contradicts(d, onChain, out)) return;
    if (tip.header.height <= onChain) return;
    const last =
      tip.header.height < onChain + BigInt(RELAY_HEADERS_PER_PASS_MAX)
        ? tip.header.height
        : onChain + BigInt(RELAY_HEADERS_PER_PASS_MAX);
    const headers: SignedHeader[] = [];
    for (let h = onChain + 1n; h <= last; h++) {
      const sh = h === tip.header.height ? tip : await d.source.header(h);
      if (!sh || sh.header.height !== h || !equalBytes(sh.header.domain, d.id)) {
        throw new WeftError('BAD_RESPONSE', `${d.name} served no header at height ${h}`);
      }
      headers.push(sh);
    }
    // A header the set in force does not sign follows a key-set change: the block before it
    // recorded the new set (docs/domain.md). Submit up to that block, prove its record under
    // the block's root (`updateKeySet`), and go on under the new set.
    let set = await this.keySetOnChain(d, onChain, out);
    let batch: SignedHeader[] = [];
    let submitted = 0;
    for (const sh of headers) {
      if (set !== undefined && !verifyHeaderSignatures(sh, set) && d.source.proveKeySet) {
        const at = sh.header.height - 1n;
        const p = await d.source.proveKeySet(at);
        const next = p.value === null ? undefined : decodeKeySet(p.value);
        if (next !== undefined && !keySetsEqual(next, set) && verifyHeaderSignatures(sh, next)) {
          if (batch.length > 0) await submitHeaders(this.evm, this.lightClient, batch);
          submitted += batch.length;
          batch = [];
          await updateKeySet(this.evm, this.lightClient, d.id, next, p.proof);
          out.keySets.push(d.name);
          this.sets.set(hexKey(d.id), next);
          set = next;
        }
      }
      batch.push(sh);
    }
    if (batch.length > 0) await submitHeaders(this.evm, this.lightClient, batch);
    submitted += batch.length;
    out.submitted[d.name] = submitted;
    if (last < tip.header.height) {
      out.caughtUp = false;
      out.more = true;
    }
  }

  /**
   * The key set the light client checks `d`'s next header against: the one last learned, or the
   * genesis set, when their addresses are the chain's; otherwise the record at the chain's latest
   * height (a change recorded there that was not proven yet — a relayer stopped between the two
   * transactions — is proven now). Undefined when it cannot be known (no `proveKeySet`).
   */
  private async keySetOnChain(
    d: RelayedDomain,
    onChain: bigint,
    out: RelayPass,
  ): Promise<KeySet | undefined> {
    const [addresses] = await this.read<readonly [readonly Address[], number, bigint]>('keySet', [hex(d.id)]);
    const same = (ks: KeySet) => {
      const mine = signerAddresses(ks);
      return (
        mine.length === addresses.length &&
        mine.every((a, i) => a.toLowerCase() === addresses[i]!.toLowerCase())
      );
    };
    const known = this.sets.get(hexKey(d.id));
    if (known && same(known)) return known;
    if (same(d.keySet)) return d.keySet;
    if (!d.source.proveKeySet) return undefined;
    const p = await d.source.proveKeySet(onChain);
    if (p.value === null) return undefined;
    const ks = decodeKeySet(p.value);
    if (!same(ks)) {
      await updateKeySet(this.evm, this.lightClient, d.id, ks, p.proof);
      out.keySets.push(d.name);
    }
    this.sets.set(hexKey(d.id), ks);
    return ks;
  }

  /**
   * Whether the node's header at the chain's latest height differs from the one the chain
   * accepted: then both are validly signed for one height, and the evidence is submitted.
   */
  private async contradicts(d: RelayedDomain, onChain: bigint, out: RelayPass): Promise<boolean> {
    const ours = await d.source.header(onChain);
    if (!ours) return false;
    const accepted = fromHex(await this.read<Hex>('latestHeaderHash', [hex(d.id)]), 32);
    if (equalBytes(headerHash(ours.header), accepted)) return false;
    const theirs = await this.acceptedHeader(d.id, onChain);
    if (!theirs || !verifyHeaderSignatures(ours, this.sets.get(hexKey(d.id)) ?? d.keySet)) return false;
    await submitMisbehaviour(this.evm, this.lightClient, ours, theirs);
    out.frozen.push(d.name);
    return true;
  }

  /** The signed header the chain accepted at `height`, read back from the transaction that carried it. */
  private async acceptedHeader(id: Uint8Array, height: bigint): Promise<SignedHeader | undefined> {
    for (const event of [headerAcceptedEvent, domainRegisteredEvent]) {
      const logs = await this.evm.public.getLogs({
        address: this.lightClient,
        event,
        args: { domainId: hex(id), height },
        fromBlock: 0n,
      });
      const log = logs[logs.length - 1];
      if (!log?.transactionHash) continue;
      const tx = await this.evm.public.getTransaction({ hash: log.transactionHash });
      const call = decodeFunctionData({ abi: weftLightClientAbi, data: tx.input });
      const pairs: [Hex, Hex][] =
        call.functionName === 'submitHeader'
          ? [[call.args[0], call.args[1]]]
          : call.functionName === 'submitHeaders'
            ? call.args[0].map((h, i) => [h, call.args[1][i]!] as [Hex, Hex])
            : [];
      for (const [h, s] of pairs) {
        const header = decodeHeader(fromHex(h));
        if (header.height === height && equalBytes(header.domain, id)) {
          return decodeSignedHeader(concatBytes(fromHex(h), fromHex(s)));
        }
      }
    }
    return undefined;
  }

  /**
   * Passes until stopped (`signal`), or with `once` until a pass ends caught up with the tips it
   * read (or can do nothing more now: see `skipped`). Returns the last pass.
   */
  async run(
    opts: { once?: boolean; intervalMs?: number; signal?: AbortSignal; onPass?: (p: RelayPass) => void } = {},
  ): Promise<RelayPass> {
    const interval = opts.intervalMs ?? RELAY_INTERVAL_MS_DEFAULT;
    for (;;) {
      const p = await this.pass();
      opts.onPass?.(p);
      const progressed =
        p.registered.length > 0 ||
        Object.keys(p.submitted).length > 0 ||
        p.frozen.length > 0 ||
        p.keySets.length > 0;
      // Caught up with the tips this pass read: nodes keep sealing, so `once` stops here rather
      // than chase them.
      if (opts.once && (p.caughtUp || !progressed)) return p;
      if (opts.signal?.aborted) return p;
      if (opts.once) continue;
      await new Promise((r) => setTimeout(r, interval));
      if (opts.signal?.aborted) return p;
    }
  }
}

/** Tries for the tip a few times: a node may answer "none" for an instant while it seals. */
async function latestOf(source: HeaderSource): Promise<SignedHeader | undefined> {
  for (let attempt = 0; attempt < TIP_ATTEMPTS; attempt++) {
    const tip = await source.header('latest');
    if (tip) return tip;
    await new Promise((r) => setTimeout(r, TIP_RETRY_MS));
  }
  return undefined;
}
