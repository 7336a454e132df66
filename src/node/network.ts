// Domains wired together over a Transport: each sealed block goes out as a root update; each
// receiver verifies it against its own view of the sender (weft/sync) before its domain accepts
// the header; gaps are filled by asking the sender for the headers in between; and a periodic
// re-announcement repairs whatever the transport lost. Nothing a message says is believed
// without the sync layer's checks.
import { EventEmitter } from 'node:events';
import { Reader, toHex, WeftError, Writer } from '../crypto/index.js';
import type { Domain } from '../domain/index.js';
import type { Message, Transport } from '../net/index.js';
import {
  decodeRootUpdate,
  encodeRootUpdate,
  type RootUpdate,
  rootUpdateFromBlock,
  SyncState,
  type VerificationMode,
} from '../sync/index.js';

/** Most headers one header response carries; a longer gap takes several rounds. */
export const HEADER_CHAIN_MAX = 64;
/** How often every member re-announces its latest block by default. */
export const ANNOUNCE_EVERY_MS_DEFAULT = 250;

export type NetworkOptions = {
  /** each member's own connection (e.g. `(id) => bus.endpoint(id)`), so receivers know the sender */
  endpoint: (self: Uint8Array) => Transport;
  /** how receivers verify root updates (default `transition`) */
  mode?: VerificationMode;
  /** re-announcement period; 0 turns it off (tests drive `announceAll` themselves) */
  announceEveryMs?: number;
};

export type NetworkEvents = {
  /** `at` accepted `from`'s header at `height` */
  accepted: [{ at: Uint8Array; from: Uint8Array; height: bigint }];
  /** `at` refused an update from `from` with `code` (a lying or broken sender; duplicates are not reported) */
  refused: [{ at: Uint8Array; from: Uint8Array; code: string; message: string }];
};

type Member = { domain: Domain; sync: SyncState; net: Transport; queue: Promise<void>; detach: () => void };

const hex = (b: Uint8Array) => toHex(b).slice(2);
/** Refusals that only mean "already have it": not worth reporting. */
const QUIET = new Set(['REPLAYED_UPDATE', 'STALE_HEIGHT']);

export class LocalNetwork extends EventEmitter<NetworkEvents> {
  private readonly members = new Map<string, Member>();
  private readonly endpoint: (self: Uint8Array) => Transport;
  private readonly mode: VerificationMode;
  private timer: NodeJS.Timeout | null = null;
  private readonly stats = { sent: 0, received: 0, accepted: 0, refused: 0, gapRequests: 0 };

  constructor(opts: NetworkOptions) {
    super();
    this.endpoint = opts.endpoint;
    this.mode = opts.mode ?? 'transition';
    const every = opts.announceEveryMs ?? ANNOUNCE_EVERY_MS_DEFAULT;
    if (every > 0) {
      this.timer = setInterval(() => void this.announceAll(), every);
      this.timer.unref();
    }
  }

  /** Adds a domain: it and every member start following each other from their current headers. */
  join(domain: Domain): void {
    const key = hex(domain.id);
    if (this.members.has(key)) throw new WeftError('DUPLICATE_DOMAIN', `${domain.name} already joined`);
    const sync = new SyncState();
    const net = this.endpoint(domain.id);
    const member: Member = { domain, sync, net, queue: Promise.resolve(), detach: () => {} };
    for (const other of this.members.values()) {
      trustPeer(sync, domain, other.domain);
      trustPeer(other.sync, other.domain, domain);
    }
    const unsubscribe = net.subscribe(domain.id, (msg, from) => this.enqueue(member, msg, from));
    const onSealed = (o: { block: { header: { height: bigint } } }) =>
      void this.announce(member, o.block.header.height);
    domain.on('blockSealed', onSealed);
    member.detach = () => {
      unsubscribe();
      domain.off('blockSealed', onSealed);
    };
    this.members.set(key, member);
  }

  /** The sync state (remote views) of a member. */
  syncOf(domainId: Uint8Array): SyncState | undefined {
    return this.members.get(hex(domainId))?.sync;
  }

  counters(): Readonly<typeof this.stats> {
    return { ...this.stats };
  }

  /** Sends every member's latest block to every other member. */
  async announceAll(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => this.announce(m, m.domain.committedHeight)));
  }

  private update(domain: Domain, height: bigint): RootUpdate | null {
    const block = domain.block(height);
    const signed = domain.header(height);
    if (!block || !signed) return null;
    return rootUpdateFromBlock(block, signed, { withTxs: this.mode === 'full' });
  }

  private async announce(member: Member, height: bigint): Promise<void> {
    if (height === 0n) return;
    const update = this.update(member.domain, height);
    if (!update) return;
    const body = encodeRootUpdate(update);
    const id = `${hex(member.domain.id)}/${height}`;
    await Promise.all(
      [...this.members.values()]
        .filter((m) => m !== member)
        .map((m) => this.send(member, m.domain.id, { kind: 'rootUpdate', id, body })),
    );
  }

  private async send(member: Member, to: Uint8Array, msg: Message): Promise<void> {
    this.stats.sent++;
    try {
      await member.net.send(to, msg);
    } catch {
      // A closed or failing transport loses the message; re-announcement repairs it later.
    }
  }

  /** Messages to one member are handled one at a time, in arrival order. */
  private enqueue(member: Member, msg: Message, from: Uint8Array): Promise<void> {
    member.queue = member.queue.then(() => this.handle(member, msg, from)).catch(() => undefined);
    return member.queue;
  }

  private async handle(member: Member, msg: Message, from: Uint8Array): Promise<void> {
    this.stats.received++;
    switch (msg.kind) {
      case 'rootUpdate':
        return this.onUpdates(member, [decodeRootUpdate(msg.body)], from);
      case 'headerResponse': {
        const r = new Reader(msg.body);
        const chain = r.list(HEADER_CHAIN_MAX, (r) => decodeRootUpdate(r.bytes(64 * 1024 * 1024)));
        r.end();
        if (chain.length > 0) return this.onUpdates(member, chain, from);
        return;
      }
      case 'headerRequest': {
        const r = new Reader(msg.body);
        const fromHeight = r.u64();
        const toHeight = r.u64();
        r.end();
        return this.answerRequest(member, from, fromHeight, toHeight);
      }
      default:
        return;
    }
  }

  private async onUpdates(member: Member, updates: RootUpdate[], from: Uint8Array): Promise<void> {
    const sender = updates[0]!.signed.header.domain;
    try {
      const accepted =
        updates.length === 1
          ? member.sync.accept(updates[0]!, this.mode)
          : member.sync.acceptChain(updates, this.mode);
      for (const signed of accepted) {
        await member.domain.acceptRemoteHeader(signed.header);
        this.stats.accepted++;
        this.emit('accepted', { at: member.domain.id, from: sender, height: signed.header.height });
      }
    } catch (e) {
      const code = e instanceof WeftError ? e.code : 'ERROR';
      if (code === 'NOT_CONTINUOUS') {
        // A gap: ask the sender for the headers between what we hold and this one.
        const view = member.sync.view(sender);
        const have = view ? view.head.header.height : 0n;
        const want = updates[updates.length - 1]!.signed.header.height;
        this.stats.gapRequests++;
        const body = new Writer(16)
          .u64(have + 1n)
          .u64(want)
          .finish();
        await this.send(member, from, {
          kind: 'headerRequest',
          id: `req/${hex(member.domain.id)}/${have + 1n}-${want}`,
          body,
        });
        return;
      }
      if (QUIET.has(code)) return;
      this.stats.refused++;
      this.emit('refused', { at: member.domain.id, from: sender, code, message: (e as Error).message });
    }
  }

  private async answerRequest(
    member: Member,
    to: Uint8Array,
    fromHeight: bigint,
    toHeight: bigint,
  ): Promise<void> {
    const top = toHeight < member.domain.committedHeight ? toHeight : member.domain.committedHeight;
    const chain: Uint8Array[] = [];
    for (let h = fromHeight; h <= top && chain.length < HEADER_CHAIN_MAX; h++) {
      const u = this.update(member.domain, h);
      if (!u) break;
      chain.push(encodeRootUpdate(u));
    }
    const w = new Writer(1024);
    w.list(chain, HEADER_CHAIN_MAX, (w, b) => w.bytes(b, 64 * 1024 * 1024));
    await this.send(member, to, {
      kind: 'headerResponse',
      id: `res/${hex(member.domain.id)}/${fromHeight}-${top}`,
      body: w.finish(),
    });
  }

  /** Stops re-announcing and detaches every member (the transport is the caller's to close). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const m of this.members.values()) m.detach();
  }
}

/**
 * `self` follows `peer` from the last header of it that `self` accepted (after a restart), or
 * from the peer's latest header when it never accepted one (peers are introduced out of band).
 */
function trustPeer(sync: SyncState, self: Domain, peer: Domain): void {
  const known = self.remoteHeader(peer.id);
  const signed = peer.header(known ? known.height : peer.committedHeight);
  if (!signed) throw new WeftError('BAD_INPUT', `domain ${peer.name} has no header to trust`);
  sync.trust(signed, peer.keySet, { name: peer.name });
}
