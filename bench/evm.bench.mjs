// `npm run bench -- evm`: gas of Weft's contracts on a local chain (ganache, started here), from
// transaction receipts, each printed next to its target with its calldata bytes: one membership
// proof at 1,000,000 keys (execution gas: the transaction's gas less the 21,000 base and the
// calldata), submitHeader with 2-of-3 signatures and a vault claim (whole transactions).
// Flags: --quick (a 100,000-key tree).
import { encodeFunctionData } from 'viem';
import { keyPairFromSeed, sha256, toHex, utf8 } from '../dist/crypto/index.js';
import { headerHash, makeKeySet, signHeader } from '../dist/domain/index.js';
import {
  connectEvm,
  DEV_CHAIN_KEYS,
  deployLightClient,
  deployTestToken,
  deployVault,
  encodeProofForEvm,
  headerForEvm,
  registerDomain,
  sendContract,
  startDevChain,
  vaultClaimArgs,
  vaultTreeKeys,
  weftLightClientAbi,
  weftTestTokenAbi,
  weftVaultAbi,
} from '../dist/evm/index.js';
import { createToken, domainId, nkCommitment, rehome } from '../dist/resource/index.js';
import { Smt } from '../dist/smt/index.js';
import { commitmentKey, encodeHeight } from '../dist/tx/index.js';
import { fmt, table, writeResults } from './lib.mjs';

const TARGET_MEMBERSHIP_EXEC_GAS = 15_000;
const TARGET_SUBMIT_HEADER_GAS = 80_000;
const TARGET_CLAIM_GAS = 150_000;
const TX_BASE_GAS = 21_000;
const INSERT_BATCH = 250_000;
const PROOF_SAMPLES = 32;
const CLAIM_SAMPLES = 8;

/** Intrinsic calldata gas (EIP-2028): 4 per zero byte, 16 per other byte. */
function calldataGas(data) {
  let gas = 0;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === '00' ? 4 : 16;
  return gas;
}
const bytesOf = (data) => (data.length - 2) / 2;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs) => Math.max(...xs);

/** Sends `data` to `to` as a transaction (views too) and returns its gas and calldata. */
async function measure(evm, to, data) {
  const hash = await evm.wallet.sendTransaction({ to, data, gas: 5_000_000n });
  const receipt = await evm.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error('a measured transaction reverted');
  const gas = Number(receipt.gasUsed);
  return { gas, exec: gas - TX_BASE_GAS - calldataGas(data), bytes: bytesOf(data) };
}

function entry(i) {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, i);
  const key = new Uint8Array(33);
  key[0] = 0x01;
  key.set(sha256(value), 1);
  return { key, value };
}

async function bigTree(n, extra = []) {
  const smt = Smt.inMemory();
  for (let from = 0; from < n; from += INSERT_BATCH) {
    const writes = [];
    for (let i = from; i < Math.min(n, from + INSERT_BATCH); i++) writes.push(entry(i));
    if (from === 0) writes.push(...extra);
    await smt.apply(writes);
  }
  return smt;
}

function genesisOf(domain, stateRoot) {
  return {
    domain,
    height: 0n,
    prevHash: new Uint8Array(32),
    stateRoot,
    txRoot: new Uint8Array(32),
    timestamp: 1n,
  };
}

const oneKeySet = () => makeKeySet(1, [keyPairFromSeed('secp256k1', sha256(utf8('bench-one'))).publicKey]);

/** verifyProof (the verifier, root given) and verifyMembership (plus the root-window lookup). */
async function membership(evm, lightClient, smt, domain, n) {
  const samples = [];
  for (let s = 0; s < PROOF_SAMPLES; s++) {
    const { key, value } = entry((s * 1_000_003 + 7) % n);
    const proof = encodeProofForEvm(await smt.prove(key));
    const bare = await measure(
      evm,
      lightClient,
      encodeFunctionData({
        abi: weftLightClientAbi,
        functionName: 'verifyProof',
        args: [toHex(smt.root()), toHex(key), toHex(value), true, toHex(proof)],
      }),
    );
    const full = await measure(
      evm,
      lightClient,
      encodeFunctionData({
        abi: weftLightClientAbi,
        functionName: 'verifyMembership',
        args: [toHex(domain), 0n, toHex(key), toHex(value), toHex(proof)],
      }),
    );
    samples.push({ depth: (await smt.prove(key)).depth, bare, full });
  }
  return samples;
}

async function headers(evm, lightClient, count) {
  const pairs = [0, 1, 2].map((i) => keyPairFromSeed('secp256k1', sha256(utf8(`bench-signer-${i}`))));
  const ks = makeKeySet(
    2,
    pairs.map((p) => p.publicKey),
  );
  const ordered = ks.keys.map((k) => pairs.find((p) => Buffer.compare(p.publicKey.bytes, k.bytes) === 0));
  let prev = {
    ...genesisOf(sha256(utf8('bench-headers')), sha256(utf8('root-0'))),
    timestamp: 1_700_000_000_000n,
  };
  await registerDomain(evm, lightClient, prev, ks);
  const nextHeader = () => {
    const h = {
      ...prev,
      height: prev.height + 1n,
      prevHash: headerHash(prev),
      stateRoot: sha256(utf8(`root-${prev.height + 1n}`)),
      timestamp: prev.timestamp + 2_000n,
    };
    prev = h;
    return headerForEvm({ header: h, signatures: signHeader(h, ks, ordered.slice(0, 2)) });
  };
  const single = [];
  for (let i = 1; i <= count; i++) {
    const { header, signatures } = nextHeader();
    const data = encodeFunctionData({
      abi: weftLightClientAbi,
      functionName: 'submitHeader',
      args: [header, signatures],
    });
    single.push({ height: i, ...(await measure(evm, lightClient, data)) });
  }
  const batches = [];
  for (const size of [8, 32]) {
    const args = Array.from({ length: size }, nextHeader);
    const data = encodeFunctionData({
      abi: weftLightClientAbi,
      functionName: 'submitHeaders',
      args: [args.map((a) => a.header), args.map((a) => a.signatures)],
    });
    const m = await measure(evm, lightClient, data);
    batches.push({
      size,
      gas: m.gas,
      perHeader: Math.round(m.gas / size),
      bytesPerHeader: Math.round(m.bytes / size),
    });
  }
  return { single, batches };
}

/** Claims of resources a 1,000,000-key domain moved to the vault, each to a fresh owner. */
async function claims(evm, lightClient, n) {
  const token = await deployTestToken(evm);
  const vaultId = domainId('bench-vault');
  const issuer = keyPairFromSeed('secp256k1', sha256(utf8('bench-issuer')));
  const label = { issuer: issuer.publicKey, symbol: 'WEFT' };
  const vault = await deployVault(evm, { lightClient, token, domainId: vaultId, label });
  await sendContract(evm, {
    address: token,
    abi: weftTestTokenAbi,
    functionName: 'mint',
    args: [vault, 1_000_000n],
  });
  const source = sha256(utf8('bench-claim-source'));
  const moves = [];
  for (let i = 0; i < CLAIM_SAMPLES; i++) {
    const owner = keyPairFromSeed('secp256k1', sha256(utf8(`bench-owner-${i}`)));
    const nk = sha256(utf8(`bench-nk-${i}`));
    const original = createToken({
      label,
      owner: owner.publicKey,
      quantity: 10n,
      home: source,
      nkCommitment: nkCommitment(nk),
    });
    const moved = rehome(original, vaultId);
    moves.push({ moved, nk, key: commitmentKey(vaultTreeKeys(moved, nk).cm) });
  }
  const smt = await bigTree(
    n,
    moves.map((m) => ({ key: m.key, value: encodeHeight(0n) })),
  );
  await registerDomain(evm, lightClient, genesisOf(source, smt.root()), oneKeySet());
  const samples = [];
  for (const m of moves) {
    const args = vaultClaimArgs({
      source,
      height: 0n,
      createdHeight: 0n,
      moved: m.moved,
      nk: m.nk,
      proof: await smt.prove(m.key),
    });
    const data = encodeFunctionData({ abi: weftVaultAbi, functionName: 'claim', args });
    samples.push(await measure(evm, vault, data));
  }
  return samples;
}

const verdict = (gas, target) => (gas <= target ? 'met' : 'MISSED');

export async function run(flags = []) {
  const quick = flags.includes('--quick');
  const n = quick ? 100_000 : 1_000_000;
  const chain = await startDevChain();
  try {
    const evm = await connectEvm(chain.rpcUrl, DEV_CHAIN_KEYS[0]);
    const lightClient = await deployLightClient(evm);

    console.log(`building a ${fmt(n)}-key tree; measuring ${PROOF_SAMPLES} membership proofs ...`);
    const smt = await bigTree(n);
    const domain = sha256(utf8('bench-proofs'));
    const registration = Number(
      (await registerDomain(evm, lightClient, genesisOf(domain, smt.root()), oneKeySet())).gasUsed,
    );
    const proofs = await membership(evm, lightClient, smt, domain, n);

    const count = 272;
    console.log(`submitting ${count} headers one by one (past the 256-height window) and two batches ...`);
    const { single, batches } = await headers(evm, lightClient, count);
    const firstRound = single.filter((s) => s.height <= 256);
    const wrapped = single.filter((s) => s.height > 256);

    console.log(`claiming ${CLAIM_SAMPLES} resources moved from a ${fmt(n)}-key domain to the vault ...`);
    const claimed = await claims(evm, lightClient, n);

    const bareExec = proofs.map((p) => p.bare.exec);
    const fullExec = proofs.map((p) => p.full.exec);
    const rows = [
      [
        'membership proof: verifier, execution (max)',
        fmt(max(bareExec)),
        `<= ${fmt(TARGET_MEMBERSHIP_EXEC_GAS)}`,
        verdict(max(bareExec), TARGET_MEMBERSHIP_EXEC_GAS),
        fmt(max(proofs.map((p) => p.bare.bytes))),
      ],
      [
        'membership proof: verifier, execution (median)',
        fmt(median(bareExec)),
        '',
        '',
        fmt(median(proofs.map((p) => p.bare.bytes))),
      ],
      [
        'verifyMembership incl. root window, execution (median)',
        fmt(median(fullExec)),
        `<= ${fmt(TARGET_MEMBERSHIP_EXEC_GAS)}`,
        verdict(median(fullExec), TARGET_MEMBERSHIP_EXEC_GAS),
        fmt(median(proofs.map((p) => p.full.bytes))),
      ],
      [
        'verifyMembership incl. root window, execution (max)',
        fmt(max(fullExec)),
        '',
        '',
        fmt(max(proofs.map((p) => p.full.bytes))),
      ],
      [
        'submitHeader 2-of-3, whole tx (max, first 256 heights)',
        fmt(max(firstRound.map((s) => s.gas))),
        `<= ${fmt(TARGET_SUBMIT_HEADER_GAS)}`,
        verdict(max(firstRound.map((s) => s.gas)), TARGET_SUBMIT_HEADER_GAS),
        fmt(single[0].bytes),
      ],
      [
        'submitHeader 2-of-3, whole tx (max, window wrapped)',
        fmt(max(wrapped.map((s) => s.gas))),
        `<= ${fmt(TARGET_SUBMIT_HEADER_GAS)}`,
        verdict(max(wrapped.map((s) => s.gas)), TARGET_SUBMIT_HEADER_GAS),
        fmt(wrapped[0].bytes),
      ],
      ...batches.map((b) => [
        `submitHeaders, batch of ${b.size}, per header`,
        fmt(b.perHeader),
        '',
        '',
        fmt(b.bytesPerHeader),
      ]),
      [
        'claim, whole tx (max; fresh owner, 1M-key source)',
        fmt(max(claimed.map((c) => c.gas))),
        `<= ${fmt(TARGET_CLAIM_GAS)}`,
        verdict(max(claimed.map((c) => c.gas)), TARGET_CLAIM_GAS),
        fmt(max(claimed.map((c) => c.bytes))),
      ],
      [
        'claim, whole tx (median)',
        fmt(median(claimed.map((c) => c.gas))),
        '',
        '',
        fmt(median(claimed.map((c) => c.bytes))),
      ],
      ['registerDomain, first time (window prepaid), whole tx', fmt(registration), '', '', ''],
    ];
    table(['measure', 'gas', 'target', '', 'calldata bytes'], rows);
    writeResults(quick ? 'evm-quick' : 'evm', {
      treeKeys: n,
      membership: {
        target: TARGET_MEMBERSHIP_EXEC_GAS,
        verifierExecMax: max(bareExec),
        verifierExecMedian: median(bareExec),
        verifyMembershipExecMedian: median(fullExec),
        verifyMembershipExecMax: max(fullExec),
        depthMedian: median(proofs.map((p) => p.depth)),
        depthMax: max(proofs.map((p) => p.depth)),
        calldataBytesMax: max(proofs.map((p) => p.full.bytes)),
        samples: proofs.map((p) => ({
          depth: p.depth,
          verifierExec: p.bare.exec,
          verifyMembershipExec: p.full.exec,
        })),
      },
      submitHeader: {
        target: TARGET_SUBMIT_HEADER_GAS,
        firstRoundMax: max(firstRound.map((s) => s.gas)),
        wrappedMax: max(wrapped.map((s) => s.gas)),
        median: median(single.map((s) => s.gas)),
        calldataBytes: single[0].bytes,
      },
      submitHeaders: batches,
      registerDomain: { firstTime: registration },
      claim: {
        target: TARGET_CLAIM_GAS,
        max: max(claimed.map((c) => c.gas)),
        median: median(claimed.map((c) => c.gas)),
        calldataBytesMax: max(claimed.map((c) => c.bytes)),
      },
    });
  } finally {
    await chain.stop();
  }
}
