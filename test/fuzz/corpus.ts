// Valid encodings for the fuzz targets to mutate, every one produced by the real encoders from a
// small live network (two domains, mints, a local transfer, cross-domain transfers with and
// without a deadline) and from a durable node's LMDB store (transcript entries, checkpoints).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planToJson } from '../../src/api/wire.js';
import { encodePublicKey, sha256, utf8, Writer } from '../../src/crypto/index.js';
import {
  type Domain,
  type DomainInput,
  encodeBlock,
  encodeHeader,
  encodeInput,
  encodeKeySet,
  encodeSignedHeader,
  encodeState,
  encodeStatus,
  type Header,
  type SignedHeader,
  signHeader,
  type TxStatus,
} from '../../src/domain/index.js';
import { encodeMessage, MESSAGE_KINDS } from '../../src/net/index.js';
import { encodeClaims } from '../../src/node/claims.js';
import {
  commitment,
  decodeValue,
  encodeResource,
  publicKeyToJson,
  resourceToJson,
  valueToJson,
} from '../../src/resource/index.js';
import {
  counterId,
  counterProgram,
  counterTx,
  encodeObjectState,
  encodeProverEvidence,
  encodeScopeBody,
  encodeSignedAttestation,
  ObjectDag,
  oracleFeedId,
  oracleUpdateTx,
  pairPoolId,
  pairSwapTx,
  signAttestation,
  writeDeclaration,
} from '../../src/scope/index.js';
import { encodeMultiProof, encodeProof, encodeTransition, Smt } from '../../src/smt/index.js';
import { decodeCheckpoint, openDomainNode } from '../../src/store/index.js';
import {
  encodeEquivocationEvidence,
  encodeGlobalInclusionProof,
  encodeHeaderRequest,
  encodeRootUpdate,
  encodeSyncConfirmation,
  GlobalRoot,
  makeEquivocationEvidence,
  rootUpdateFromBlock,
} from '../../src/sync/index.js';
import { encodeTransferRecord, MemoryTransferStore, planTransfer } from '../../src/transfer/index.js';
import { decodeTransaction, encodeTransaction, transactionToJson } from '../../src/tx/index.js';
import { alice, bob, carol, key, makeDomain, Wallet } from '../helpers/domain.js';
import { testNet } from '../helpers/network.js';

/** Scoped bodies, declarations, object states, attestations, evidence and a DAG snapshot. */
function scopeRecords(c: Corpus): void {
  const g = { localGas: 20_000n, scopeGas: 1_000_000n };
  const oracle = key('ed25519', 'fuzz-oracle');
  const txs = [
    counterTx(counterId('f'), 1n, g, { rounds: 2, nonce: 1 }),
    oracleUpdateTx(oracle.publicKey, 'F/USD', 7n, g, { index: { kind: 'atLeast', seq: 0n } }),
    pairSwapTx(pairPoolId('F/USD'), oracleFeedId(oracle.publicKey, utf8('F/USD')), 5n, g, {
      kind: 'exact',
      seq: 1n,
    }),
  ];
  const dag = new ObjectDag();
  for (const [i, tx] of txs.entries()) {
    push(c, 'scope.body', encodeScopeBody({ declaration: tx.declaration, calls: tx.calls }));
    const w = new Writer();
    writeDeclaration(w, tx.declaration);
    push(c, 'scope.declaration', w.finish());
    dag.append(tx.id, tx.declaration, BigInt(i + 1));
  }
  push(c, 'scope.dagSnapshot', dag.snapshot(), new ObjectDag().snapshot());
  push(
    c,
    'scope.objectState',
    encodeObjectState({ program: counterProgram.ref, seq: 3n, value: utf8('v') }),
    encodeObjectState({ program: counterProgram.ref, seq: 1n, value: null }),
  );
  const domain = sha256(utf8('fuzz-alpha'));
  const first = signAttestation(oracle, { domain, height: 2n, stateRoot: sha256(utf8('r1')) });
  const second = signAttestation(oracle, { domain, height: 2n, stateRoot: sha256(utf8('r2')) });
  const secp = signAttestation(key('secp256k1', 'fuzz-prover'), {
    domain,
    height: 1n,
    stateRoot: sha256(utf8('r')),
  });
  push(c, 'scope.signedAttestation', encodeSignedAttestation(first), encodeSignedAttestation(secp));
  push(
    c,
    'scope.proverEvidence',
    encodeProverEvidence({ kind: 'conflict', first, second }),
    encodeProverEvidence({ kind: 'reexecution', attestation: secp, recomputedRoot: sha256(utf8('x')) }),
  );
}

/** Valid encodings by target name. */
export type Corpus = Record<string, Uint8Array[]>;

/** A store record as the fuzz target frames it: u64 seq || the stored value (see targets.ts). */
function framedEntry(seq: bigint, value: Uint8Array): Uint8Array {
  return new Writer(8 + value.length).u64(seq).fixed(value, value.length).finish();
}

function push(c: Corpus, name: string, ...items: Uint8Array[]): void {
  const list = c[name] ?? [];
  // plain copies: LMDB hands out Buffers, which compare and slice differently
  for (const b of items) if (!list.some((x) => Buffer.compare(x, b) === 0)) list.push(new Uint8Array(b));
  c[name] = list;
}

function blocksOf(c: Corpus, d: Domain): void {
  for (let h = 0n; h <= d.committedHeight; h++) {
    const block = d.block(h);
    const signed = d.header(h);
    if (!block || !signed) continue;
    push(c, 'domain.block', encodeBlock(block));
    push(c, 'domain.header', encodeHeader(signed.header));
    push(c, 'domain.signedHeader', encodeSignedHeader(signed));
    push(c, 'smt.transition', encodeTransition(block.transition));
    for (const tx of block.txs) push(c, 'tx.transaction', encodeTransaction(tx));
    for (const withTxs of [false, true]) {
      push(c, 'sync.rootUpdate', encodeRootUpdate(rootUpdateFromBlock(block, signed, { withTxs })));
    }
    if (h > 0n) {
      // Format 3: a scope witness (an absent object, proven at the previous height).
      const object = new Uint8Array(32).fill(Number(h));
      const p = d.proveObject(object, h - 1n);
      const scopeWitness = { provenHeight: h - 1n, objects: [{ object, value: p.value, proof: p.proof }] };
      push(
        c,
        'sync.rootUpdate',
        encodeRootUpdate(rootUpdateFromBlock(block, signed, { withTxs: true, scopeWitness })),
      );
      // Exclusion proofs, with and without refused claims before them (an empty list then).
      const exclusions = [{ key: new Uint8Array(33).fill(6), proof: p.proof }];
      const excluded = rootUpdateFromBlock(block, signed, { withTxs: true, exclusions });
      push(c, 'sync.rootUpdate', encodeRootUpdate(excluded));
      if (block.txs.length > 0)
        push(c, 'sync.rootUpdate', encodeRootUpdate({ ...excluded, refused: [block.txs[0]!] }));
    }
  }
}

/** Every input kind a transcript holds, built by hand where the live run did not log one. */
function inputs(d: Domain, other: Domain, signed: SignedHeader): DomainInput[] {
  const header = other.header()!.header;
  return [
    { type: 'acceptRemoteHeader', header },
    { type: 'markProven', height: 1n },
    { type: 'freezeRemote', domainId: other.id, fromHeight: 1n },
    {
      type: 'reinitRemote',
      domainId: other.id,
      header,
      by: 'operator \u00e9',
      evidence: sha256(utf8('evidence')),
    },
    { type: 'changeKeySet', keySet: d.keySet, approvals: signed.signatures },
  ];
}

function statuses(): TxStatus[] {
  return [
    { status: 'pending', sinceHeight: 3n },
    { status: 'included', height: 4n, batch: 1, index: 2 },
    { status: 'rejected', code: 'NULLIFIER_SPENT', reason: 'spent at height 2' },
    { status: 'evicted', code: 'EXPIRED', reason: 'waited too long' },
  ];
}

/** Reads every record a durable node wrote: transcript entries, checkpoints, statuses, blocks. */
async function storeRecords(c: Corpus): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-fuzz-'));
  try {
    const operator = key('secp256k1', 'fuzz-store/operator');
    const durable = await openDomainNode(dir, {
      signers: [operator],
      // one transaction per block, so a checkpoint holds a mempool and its pending statuses
      create: {
        name: 'fuzz-store',
        genesisTimestamp: 1_700_000_000_000n,
        limits: { batchTxsMax: 1, blockBatchesMax: 1 },
      },
      clock: (() => {
        let t = 1_700_000_000_000n;
        return () => (t += 1000n);
      })(),
    });
    const d = durable.domain;
    // remote views, one of them frozen, so the state carries views with roots and headers
    for (const name of ['fuzz-store-peer-1', 'fuzz-store-peer-2']) {
      const peer = await makeDomain(name);
      await peer.sealBlock();
      await d.acceptRemoteHeader(peer.header(1n)!.header);
    }
    await d.freezeRemote(sha256(utf8('fuzz-store-peer-2')), 1n);
    const wallet = new Wallet(d, 'fuzz-store');
    const coin = await wallet.mint(alice.publicKey, 50n);
    const other = await wallet.mint(bob.publicKey, 5n);
    const spend = wallet.transferTx(coin, alice, bob.publicKey, 20n);
    await d.submit(spend.tx);
    await d.submit(spend.tx);
    await d.submit(wallet.transferTx(other, bob, alice.publicKey, 5n).tx);
    await d.submit(wallet.mintTx(carol.publicKey, 1n).tx);
    await d.sealBlock();
    const env = durable.node;
    for (const { key: k, value } of env.transcript.getRange({})) {
      const seq = new DataView((k as Uint8Array).buffer, (k as Uint8Array).byteOffset, 8).getBigUint64(0);
      const v = value as Uint8Array;
      push(c, 'store.transcriptEntry', framedEntry(seq, v));
      const n = new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
      push(c, 'domain.input', v.slice(4, 4 + n));
    }
    for (const { value } of env.checkpoints.getRange({})) {
      const v = value as Uint8Array;
      push(c, 'store.checkpoint', v.slice());
      push(c, 'domain.state', encodeState(decodeCheckpoint(v).state));
    }
    for (const { value } of env.statuses.getRange({}))
      push(c, 'domain.status', (value as Uint8Array).slice());
    for (const { value } of env.blocks.getRange({})) push(c, 'domain.block', (value as Uint8Array).slice());
    for (const { value } of env.headers.getRange({}))
      push(c, 'domain.signedHeader', (value as Uint8Array).slice());
    await durable.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the corpus; takes a few seconds (a live network, a transfer run to its end, an LMDB node). */
export async function buildCorpus(): Promise<Corpus> {
  const c: Corpus = {};
  const store = new MemoryTransferStore();
  const t = await testNet(['fuzz-alpha', 'fuzz-beta'], { store });
  const [a, b] = t.domains as [Domain, Domain];
  const wallet = new Wallet(a, 'fuzz');
  const coin = await wallet.mint(alice.publicKey, 100n);
  const moving = await wallet.mint(alice.publicKey, 30n);
  const refundable = await wallet.mint(bob.publicKey, 9n);
  const spend = wallet.transferTx(coin, alice, bob.publicKey, 40n);
  await a.submit(spend.tx);
  await t.round();
  const plan = await planTransfer({ from: a, to: b, resource: moving, owner: alice });
  await t.driver.adopt(plan, a.id, b.id);
  const deadlinePlan = await planTransfer({
    from: a,
    to: b,
    resource: refundable,
    owner: bob,
    deadline: 1_800_000_000_000n,
  });
  await t.driver.adopt(deadlinePlan, a.id, b.id);
  await t.settle(20);
  for (const d of t.domains) blocksOf(c, d);
  for (const rec of store.list()) push(c, 'transfer.record', encodeTransferRecord(rec));

  // proofs: membership, absence and a leaf in the way, as a domain serves them
  for (const cm of [commitment(coin.resource), commitment(spend.out.resource), sha256(utf8('absent'))]) {
    push(c, 'smt.proof', encodeProof(a.proveCommitment(cm).proof));
  }
  push(c, 'smt.proof', encodeProof(a.proveNullifier(sha256(utf8('nf'))).proof));
  const smt = Smt.inMemory();
  const keys = Array.from({ length: 12 }, (_, i) => sha256(utf8(`key/${i}`)));
  await smt.apply(keys.slice(0, 8).map((k, i) => ({ key: k, value: utf8(`value ${i}`) })));
  push(c, 'smt.multiProof', encodeMultiProof(smt.proveManySync(keys.slice(0, 3))));
  push(c, 'smt.multiProof', encodeMultiProof(smt.proveManySync(keys.slice(6))));
  push(c, 'smt.transition', encodeTransition(smt.proveTransitionSync(keys.slice(4, 10))));

  // sync messages
  const signed = a.header()!;
  const operator = key('secp256k1', 'fuzz-alpha/operator');
  const forgedHeader: Header = { ...signed.header, stateRoot: sha256(utf8('another root')) };
  const forged: SignedHeader = {
    header: forgedHeader,
    signatures: signHeader(forgedHeader, a.keySet, [operator]),
  };
  const evidence = encodeEquivocationEvidence(makeEquivocationEvidence(signed, forged));
  push(c, 'sync.equivocationEvidence', evidence);
  push(c, 'domain.keySet', encodeKeySet(a.keySet), encodeKeySet(b.keySet));
  const request = encodeHeaderRequest({ domainId: a.id, fromHeight: 1n, toHeight: 3n, withTxs: true });
  push(c, 'sync.headerRequest', request);
  const confirmation = encodeSyncConfirmation({
    observer: b.id,
    domainId: a.id,
    height: a.committedHeight,
    headerHash: sha256(utf8('header')),
  });
  push(c, 'sync.syncConfirmation', confirmation);
  const global = new GlobalRoot();
  await global.update([
    { domainId: a.id, root: a.stateRoot },
    { domainId: b.id, root: b.stateRoot },
  ]);
  for (const cm of [commitment(spend.out.resource), sha256(utf8('absent'))]) {
    const p = a.proveCommitment(cm);
    push(
      c,
      'sync.globalInclusionProof',
      encodeGlobalInclusionProof(
        global.proveInclusion(a.id, { root: p.root, key: p.key, value: p.value, proof: p.proof }),
      ),
    );
  }

  // the domain's own records
  for (const s of statuses()) push(c, 'domain.status', encodeStatus(s));
  for (const input of inputs(a, b, signed)) push(c, 'domain.input', encodeInput(input));

  // network messages carrying each kind of body
  const bodies = [c['sync.rootUpdate']![0]!, request, c['sync.rootUpdate']![1]!, confirmation];
  for (const [i, kind] of MESSAGE_KINDS.entries()) {
    const body = bodies[i] ?? c['transfer.record']![0]!;
    push(c, 'net.message', encodeMessage({ kind, id: `fuzz/${kind}/${i}`, body }));
  }

  // claims sent together (a `transfers` message body), and none
  push(c, 'node.claims', encodeClaims(c['tx.transaction']!.slice(0, 3)));
  push(c, 'node.claims', encodeClaims([]));

  // resources and values
  for (const coinParts of [coin, moving, spend.out]) {
    push(c, 'resource.resource', encodeResource(coinParts.resource));
    push(c, 'resource.value', coinParts.value);
    push(c, 'resource.tokenLabel', coinParts.label);
  }
  push(c, 'resource.value', plan.moved.value, deadlinePlan.moved.value);

  // JSON forms, as the API and CLI read them
  const text = (v: unknown) => utf8(JSON.stringify(v));
  for (const b of c['tx.transaction']!) push(c, 'tx.json', text(transactionToJson(decodeTransaction(b))));
  for (const p of [coin, moving, spend.out]) push(c, 'resource.json', text(resourceToJson(p.resource)));
  push(c, 'api.planJson', text(planToJson(plan)), text(planToJson(deadlinePlan)));
  for (const v of c['resource.value']!) push(c, 'resource.valueJson', text(valueToJson(decodeValue(v))));
  for (const pk of [alice.publicKey, key('secp256k1', 'fuzz-alpha/operator').publicKey])
    push(c, 'resource.publicKeyJson', text(publicKeyToJson(pk)));
  push(c, 'crypto.publicKey', encodePublicKey(alice.publicKey), encodePublicKey(operator.publicKey));
  push(c, 'resource.tokenData', encodePublicKey(alice.publicKey), encodePublicKey(operator.publicKey));
  t.net.close();

  scopeRecords(c);
  await storeRecords(c);
  return c;
}
