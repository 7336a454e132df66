// Invariants in the code: the transition's postconditions fire on a result that breaks them
// (one case per postcondition), `invariant` throws INVARIANT, and a running node that meets a
// broken invariant stops — the domain refuses everything, the node closes and says why. The node
// case injects the fault with a transition stub that breaks a postcondition on one seal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { invariant, WeftError } from '../src/crypto/index.js';
import {
  apply,
  assertPostconditions,
  type DomainInput,
  type DomainState,
  factsBefore,
  genesis,
  genesisWrites,
  planBlock,
  type TransitionResult,
} from '../src/domain/index.js';
import * as transition from '../src/domain/transition.js';
import { InProcessBus } from '../src/net/index.js';
import { NodeHost } from '../src/node/index.js';
import { builtinRegistry } from '../src/resource/index.js';
import { Smt } from '../src/smt/index.js';
import { alice, key, makeDomain, Wallet } from './helpers/domain.js';
import { expectCode } from './support.js';

// The fault: while `fault.armed`, a seal's result claims a committed tip two blocks up. The real
// postcondition check then runs on that result, exactly as `apply` runs it on its own.
const fault = vi.hoisted(() => ({ armed: false }));
vi.mock('../src/domain/transition.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/domain/transition.js')>();
  return {
    ...real,
    apply: (state: DomainState, input: DomainInput, env: Parameters<typeof real.apply>[2]) => {
      if (!fault.armed || input.type !== 'seal') return real.apply(state, input, env);
      const before = real.factsBefore(state, input);
      const result = real.apply(state, input, env);
      result.state.height += 1n;
      real.assertPostconditions(before, input, result);
      return result;
    },
  };
});

const env = { logics: builtinRegistry() };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function config(name: string, domainId: Uint8Array) {
  return {
    name,
    domainId,
    batchTxsMax: 10,
    blockBatchesMax: 2,
    mempoolTxsMax: 100,
    anchorWindow: 8,
    mempoolTtlBlocks: 8,
    remoteRootsMax: 8,
  };
}

/** A genesis state and a valid seal input for its first block (root and proof from a real tree). */
async function sealable(name: string) {
  const d = await makeDomain(name);
  const state = genesis(config(name, d.id), d.keySet, 100n);
  const smt = Smt.inMemory();
  await smt.apply(genesisWrites(d.keySet));
  const plan = planBlock(state, 200n);
  const { root, transition: proof } = await smt.apply(plan.writes, { proveTransition: true });
  const seal: DomainInput = { type: 'seal', timestamp: 200n, stateRoot: root, transition: proof! };
  return { d, state, seal };
}

/** Runs the real transition on `state`, then lets `breakIt` corrupt the result before the check. */
function broken(state: DomainState, input: DomainInput, breakIt: (r: TransitionResult) => void): () => void {
  const before = factsBefore(state, input);
  const result = transition.apply(state, input, env);
  breakIt(result);
  return () => assertPostconditions(before, input, result);
}

describe('invariant()', () => {
  it('throws WeftError INVARIANT, a bug in Weft, and passes a condition that holds', () => {
    expectCode(() => invariant(false, 'two plus two'), 'INVARIANT');
    expect(() => invariant(false, 'x')).toThrowError(WeftError);
    expect(() => invariant(true, 'fine')).not.toThrow();
  });
});

describe('transition postconditions', () => {
  it('hold for every honest input (seal, markProven, acceptRemoteHeader)', async () => {
    const { state, seal, d } = await sealable('inv-honest');
    let s = apply(state, seal, env).state;
    s = apply(s, { type: 'markProven', height: 1n }, env).state;
    const other = await makeDomain('inv-honest-peer');
    await new Wallet(other).mint(alice.publicKey, 1n);
    s = apply(s, { type: 'acceptRemoteHeader', header: other.header(1n)!.header }, env).state;
    expect([s.height, s.provenHeight, s.remotes.size]).toEqual([1n, 1n, 1]);
    expect(d.committedHeight).toBe(0n);
  });

  it("fires when a seal's header root is not the staged root the seal carried", async () => {
    const { state, seal } = await sealable('inv-root');
    const check = broken(state, seal, (r) => {
      const sealed = r.outputs.find((o) => o.type === 'blockSealed')!;
      sealed.block.header = { ...sealed.block.header, stateRoot: new Uint8Array(32).fill(9) };
    });
    expectCode(check, 'INVARIANT');
  });

  it('fires when a seal moves the committed tip by anything but one', async () => {
    const { state, seal } = await sealable('inv-height');
    expectCode(
      broken(state, seal, (r) => {
        r.state.height += 1n;
      }),
      'INVARIANT',
    );
  });

  it('fires when an input other than a seal moves the committed tip', async () => {
    const { state } = await sealable('inv-still');
    const other = await makeDomain('inv-still-peer');
    await new Wallet(other).mint(alice.publicKey, 1n);
    const input: DomainInput = { type: 'acceptRemoteHeader', header: other.header(1n)!.header };
    expectCode(
      broken(state, input, (r) => {
        r.state.height += 1n;
      }),
      'INVARIANT',
    );
  });

  it('fires when the proven tip passes the committed one', async () => {
    const { state, seal } = await sealable('inv-proven');
    const s = apply(state, seal, env).state;
    const check = broken(s, { type: 'markProven', height: 1n }, (r) => {
      r.state.provenHeight = 2n;
    });
    expectCode(check, 'INVARIANT');
  });

  it("fires when a recorded remote header's height does not grow", async () => {
    const { state } = await sealable('inv-remote');
    const other = await makeDomain('inv-remote-peer');
    const w = new Wallet(other);
    await w.mint(alice.publicKey, 1n);
    await w.mint(alice.publicKey, 1n);
    const s = apply(state, { type: 'acceptRemoteHeader', header: other.header(2n)!.header }, env).state;
    // The precondition refuses the older header; a transition that took it anyway is caught.
    const input: DomainInput = { type: 'acceptRemoteHeader', header: other.header(1n)!.header };
    expectCode(() => apply(structuredClone(s), input, env), 'STALE_HEADER');
    const before = factsBefore(s, input);
    const result: TransitionResult = { state: s, outputs: [] };
    const key = [...s.remotes.keys()][0]!;
    s.remotes.set(key, { ...s.remotes.get(key)!, head: other.header(1n)! });
    expectCode(() => assertPostconditions(before, input, result), 'INVARIANT');
  });
});

describe('a node meeting a broken invariant', () => {
  it('stops: the domain refuses everything, the node closes and surfaces the INVARIANT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-invariant-'));
    dirs.push(dir);
    const bus = new InProcessBus({});
    const errors: Error[] = [];
    const host = await NodeHost.open({
      dir: join(dir, 'n'),
      signers: [key('secp256k1', 'inv-node')],
      create: { name: 'inv-node' },
      endpoint: (id) => bus.endpoint(id),
      blockIntervalMs: 10,
      heartbeatMs: 20,
      onError: (e) => errors.push(e),
    });
    await new Wallet(host.domain, 'inv-node').mint(alice.publicKey, 1n);
    fault.armed = true;
    try {
      const e = await Promise.race([
        host.stopped(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the node did not stop')), 10_000),
        ),
      ]);
      expect(e.code).toBe('INVARIANT');
      expect(host.failure).toBe(e);
      expect(errors.some((x) => x instanceof WeftError && x.code === 'INVARIANT')).toBe(true);
      // The domain never continues past it: every later input is refused.
      await expect(host.domain.sealBlock()).rejects.toMatchObject({ code: 'DOMAIN_FAILED' });
      expect((host.domain.failure as WeftError).code).toBe('INVARIANT');
    } finally {
      fault.armed = false;
      await host.close();
      await bus.close();
    }
  });
});
