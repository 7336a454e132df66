// Full-mode verification of scoped blocks across domains (docs/sync.md, "Scoped blocks"): a root
// update carries the declared objects' values with proofs against the previous root and the
// proven tip the block's scopes used; a full-mode receiver re-executes the scoped transactions on
// the object DAG it keeps of the sender and checks the block's writes. Every forged or missing
// piece is refused with its own code and leaves the view as it was.
import { describe, expect, it } from 'vitest';
import { WeftError } from '../src/crypto/index.js';
import type { Domain, SignedHeader } from '../src/domain/index.js';
import { InProcessBus } from '../src/net/index.js';
import { SyncRouter } from '../src/node/index.js';
import {
  counterId,
  decodeObjectState,
  encodeObjectState,
  examplePrograms,
  objectKey,
} from '../src/scope/index.js';
import {
  acceptRootUpdate,
  decodeRootUpdate,
  encodeRootUpdate,
  type RemoteView,
  ROOT_UPDATE_FORMAT_SCOPED,
  ScopeHistory,
  trustRemote,
} from '../src/sync/index.js';
import { makeDomain } from './helpers/domain.js';
import { programs, scopedDomain, scopedUpdate, sealScoped } from './helpers/scoped.js';
import { forge, snapshot } from './helpers/sync.js';

function viewOf(domain: Domain): RemoteView {
  return trustRemote(domain.header(0n)! as SignedHeader, domain.keySet, { mode: 'full' });
}

/** Accepts heights `from..to` in full mode, through the canonical bytes. */
function follow(
  view: RemoteView,
  domain: Domain,
  scopes: ScopeHistory,
  from = 1n,
  to = domain.committedHeight,
) {
  let v = view;
  for (let h = from; h <= to; h++) {
    const u = decodeRootUpdate(encodeRootUpdate(scopedUpdate(domain, h)));
    v = acceptRootUpdate(v, u, 'full', { scopes }).view;
  }
  return v;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof WeftError) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('full-mode verification of scoped blocks', () => {
  it('re-executes every scoped block of a domain whose proven tip lags, to the same writes', async () => {
    // Proven after blocks 4 (up to 2) and 8 (up to 8): the window holds up to six blocks of updates.
    const { domain, outcomes } = await scopedDomain(
      'scoped-sync',
      10,
      new Map([
        [4, 2n],
        [8, 8n],
      ]),
    );
    // The window mattered: some swaps were off the DAG, some ran.
    expect(outcomes).toContain('offDag');
    expect(outcomes).toContain('failed');
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(20);
    const update = scopedUpdate(domain, 5n);
    expect(update.scopeWitness?.provenHeight).toBe(2n);
    expect(encodeRootUpdate(update)[0]).toBe(ROOT_UPDATE_FORMAT_SCOPED);
    expect(decodeRootUpdate(encodeRootUpdate(update))).toEqual(update);
    const scopes = new ScopeHistory(programs);
    const view = follow(viewOf(domain), domain, scopes);
    expect(view.head.header.height).toBe(10n);
    expect(view.head.header.stateRoot).toEqual(domain.header(10n)!.header.stateRoot);
  });

  it('refuses a scoped block without a witness, or with an object missing (SCOPE_WITNESS_MISSING)', async () => {
    const { domain } = await scopedDomain('scoped-missing', 2);
    const scopes = new ScopeHistory(programs);
    const view = follow(viewOf(domain), domain, scopes, 1n, 1n);
    const before = snapshot(view);
    const u = scopedUpdate(domain, 2n);
    const { scopeWitness, ...bare } = u;
    expect(codeOf(() => acceptRootUpdate(view, bare, 'full', { scopes }))).toBe('SCOPE_WITNESS_MISSING');
    const dropped = { ...u, scopeWitness: { ...scopeWitness!, objects: scopeWitness!.objects.slice(1) } };
    expect(codeOf(() => acceptRootUpdate(view, dropped, 'full', { scopes }))).toBe('SCOPE_WITNESS_MISSING');
    // Without programs the receiver cannot execute them at all.
    expect(codeOf(() => acceptRootUpdate(view, u, 'full'))).toBe('FULL_VALIDATION_FAILED');
    expect(view).toEqual(before);
    // The honest update is still accepted afterwards: nothing was kept from the refused ones.
    expect(acceptRootUpdate(view, u, 'full', { scopes }).view.head.header.height).toBe(2n);
  });

  it('refuses a wrong object value or a forged proof (BAD_PROOF)', async () => {
    const { domain } = await scopedDomain('scoped-forged', 2);
    const scopes = new ScopeHistory(programs);
    const view = follow(viewOf(domain), domain, scopes, 1n, 1n);
    const u = scopedUpdate(domain, 2n);
    const objects = u.scopeWitness!.objects;
    const i = objects.findIndex((o) => o.value !== null);
    const state = decodeObjectState(objects[i]!.value!);
    const wrongValue = encodeObjectState({ ...state, value: new Uint8Array(8).fill(9) });
    const lie = (patch: Partial<(typeof objects)[number]>) => ({
      ...u,
      scopeWitness: {
        ...u.scopeWitness!,
        objects: objects.map((o, j) => (j === i ? { ...o, ...patch } : o)),
      },
    });
    expect(codeOf(() => acceptRootUpdate(view, lie({ value: wrongValue }), 'full', { scopes }))).toBe(
      'BAD_PROOF',
    );
    expect(codeOf(() => acceptRootUpdate(view, lie({ value: null }), 'full', { scopes }))).toBe('BAD_PROOF');
    const proof = objects[i]!.proof;
    const forged = structuredClone(proof);
    const siblings = (forged as { siblings?: Uint8Array[] }).siblings;
    if (siblings && siblings.length > 0) siblings[0] = new Uint8Array(32).fill(7);
    else (forged as { leaf?: unknown }).leaf = undefined;
    expect(codeOf(() => acceptRootUpdate(view, lie({ proof: forged }), 'full', { scopes }))).toBe(
      'BAD_PROOF',
    );
    expect(acceptRootUpdate(view, u, 'full', { scopes }).view.head.header.height).toBe(2n);
  });

  it('refuses a signed block whose object writes differ from re-execution', async () => {
    const name = 'scoped-liar';
    const { domain } = await scopedDomain(name, 2);
    const scopes = new ScopeHistory(programs);
    const view = follow(viewOf(domain), domain, scopes, 1n, 1n);
    const honest = scopedUpdate(domain, 2n);
    const block = domain.block(2n)!;
    // The operator signs block 2 again with a counter worth far more than its transactions imply.
    const writes = block.writes.map((w) => {
      if (w.key[0] !== 0x04 || w.value === null) return w;
      const s = decodeObjectState(w.value);
      if (!Buffer.from(w.key.subarray(1)).equals(Buffer.from(counterId('c2')))) return w;
      return { key: w.key, value: encodeObjectState({ ...s, value: new Uint8Array(8).fill(0xff) }) };
    });
    expect(writes).not.toEqual(block.writes);
    const lying = await forge(domain, 1n, { writes, txs: block.txs, timestampMs: block.header.timestamp });
    lying.scopeWitness = honest.scopeWitness!;
    expect(codeOf(() => acceptRootUpdate(view, lying, 'full', { scopes }))).toBe('FULL_VALIDATION_FAILED');
    // An object write no scoped transaction implies, in a block without any.
    const extra = await forge(domain, 1n, {
      writes: [
        {
          key: objectKey(counterId('ghost')),
          value: encodeObjectState({ program: examplePrograms[0]!.ref, seq: 1n, value: null }),
        },
      ],
    });
    expect(() => acceptRootUpdate(view, extra, 'full', { scopes })).toThrow(
      /none of its transactions implies/,
    );
    expect(acceptRootUpdate(view, honest, 'full', { scopes }).view.head.header.height).toBe(2n);
  });

  it('refuses blocks whose scopes reach history a late verifier never saw, until the proven tip passes it', async () => {
    // Nothing proven until after block 6, then everything.
    const { domain } = await scopedDomain('scoped-late', 8, new Map([[6, 6n]]));
    // A verifier following from block 1 re-executes everything.
    follow(viewOf(domain), domain, new ScopeHistory(programs));
    // One that starts at block 4 (it trusted header 3): blocks 4..6 use proven tip 0.
    const late = trustRemote(domain.header(3n)!, domain.keySet, { mode: 'full' });
    const scopes = new ScopeHistory(programs);
    expect(codeOf(() => acceptRootUpdate(late, scopedUpdate(domain, 4n), 'full', { scopes }))).toBe(
      'SCOPE_HISTORY_UNKNOWN',
    );
    // Accepted in a weaker mode meanwhile, then back to full once block 7's scopes start at 6.
    let v = late;
    for (const h of [4n, 5n, 6n]) v = acceptRootUpdate(v, scopedUpdate(domain, h), 'transition').view;
    expect(scopedUpdate(domain, 7n).scopeWitness?.provenHeight).toBe(6n);
    v = acceptRootUpdate(v, scopedUpdate(domain, 7n), 'full', { scopes }).view;
    v = acceptRootUpdate(v, scopedUpdate(domain, 8n), 'full', { scopes }).view;
    expect(v.head.header.height).toBe(8n);
  });

  it('refuses a proven tip that goes back or reaches the block itself', async () => {
    const { domain } = await scopedDomain('scoped-tip', 4, new Map([[2, 2n]]));
    const scopes = new ScopeHistory(programs);
    const view = follow(viewOf(domain), domain, scopes, 1n, 3n);
    const u = scopedUpdate(domain, 4n);
    expect(u.scopeWitness!.provenHeight).toBe(2n);
    const at = (p: bigint) => ({ ...u, scopeWitness: { ...u.scopeWitness!, provenHeight: p } });
    expect(codeOf(() => acceptRootUpdate(view, at(4n), 'full', { scopes }))).toBe('FULL_VALIDATION_FAILED');
    expect(codeOf(() => acceptRootUpdate(view, at(1n), 'full', { scopes }))).toBe('FULL_VALIDATION_FAILED');
    expect(acceptRootUpdate(view, u, 'full', { scopes }).view.head.header.height).toBe(4n);
  });

  it('lets a plain domain follow a domain with programs in full mode over the transport', async () => {
    const { domain: sender } = await scopedDomain('scoped-net', 0);
    const receiver = await makeDomain('plain-net');
    const bus = new InProcessBus();
    const refused: string[] = [];
    const accepted: bigint[] = [];
    const router = new SyncRouter({
      endpoint: (id) => bus.endpoint(id),
      mode: 'full',
      announceEveryMs: 0,
      programs,
    });
    router.on('refused', (r) => refused.push(r.code));
    router.on('accepted', (a) => {
      if (Buffer.from(a.at).equals(Buffer.from(receiver.id))) accepted.push(a.height);
    });
    await router.join(sender);
    await router.join(receiver);
    for (const [b, p] of [
      [1, undefined],
      [2, 1n],
      [3, undefined],
    ] as const) {
      await sealScoped(sender, b, p);
      await bus.idle();
    }
    await router.announceAll();
    await bus.idle();
    // The receiver asked for the gap and re-executed blocks 1..3 (their scopes included).
    expect(refused).toEqual([]);
    expect(accepted).toEqual([1n, 2n, 3n]);
    expect(receiver.remoteView(sender.id)!.head.header.height).toBe(3n);
    // A router without programs refuses them: it cannot re-execute.
    const bus2 = new InProcessBus();
    const other = await makeDomain('plain-net-2');
    const strict = new SyncRouter({ endpoint: (id) => bus2.endpoint(id), mode: 'full', announceEveryMs: 0 });
    const codes: string[] = [];
    strict.on('refused', (r) => codes.push(r.code));
    await strict.join(other);
    await strict.join(sender);
    await sealScoped(sender, 4);
    await strict.announceAll();
    await bus2.idle();
    expect(codes).toContain('FULL_VALIDATION_FAILED');
    expect(other.remoteView(sender.id)!.head.header.height).toBe(3n);
    router.close();
    strict.close();
  });
});
