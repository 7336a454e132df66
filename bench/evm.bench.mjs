// `npm run bench -- evm`: gas of Weft's contracts on a local chain (ganache, started here), from
// receipts and eth_estimateGas, each printed next to its target with its calldata bytes:
// one membership proof at 1,000,000 keys (execution gas), submitHeader with 2-of-3 signatures
// (the whole transaction), and a vault claim (the whole transaction).
// Flags: --quick (a 100,000-key tree).
import { encodeFunctionData } from 'viem';
import { keyPairFromSeed, sha256, toHex, utf8 } from '../dist/crypto/index.js';
import { encodeKeySet, headerHash, KEYSET_TREE_KEY, makeKeySet, signHeader } from '../dist/domain/index.js';
import {
  connectEvm,
  DEV_CHAIN_KEYS,
  deployLightClient,
  encodeProofForEvm,
  headerForEvm,
  registerDomain,
  sendContract,
  startDevChain,
  weftLightClientAbi,
} from '../dist/evm/index.js';
import { Smt } from '../dist/smt/index.js';
import { fmt, table, writeResults } from './lib.mjs';

const TARGET_MEMBERSHIP_EXEC_GAS = 15_000;
const TARGET_SUBMIT_HEADER_GAS = 80_000;
const TARGET_CLAIM_GAS = 150_000;
const TX_BASE_GAS = 21_000;
const INSERT_BATCH = 250_000;

/** Intrinsic calldata gas (EIP-2028): 4 per zero byte, 16 per other byte. */
export function calldataGas(data) {
  let gas = 0;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === '00' ? 4 : 16;
  return gas;
}
const bytesOf = (data) => (data.length - 2) / 2;

function entry(i) {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, i);
  const key = new Uint8Array(33);
  key[0] = 0x01;
  key.set(sha256(value), 1);
  return { key, value };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function membership(evm, lightClient, n) {
  const smt = Smt.inMemory();
  for (let from = 0; from < n; from += INSERT_BATCH) {
    const writes = [];
    for (let i = from; i < Math.min(n, from + INSERT_BATCH); i++) writes.push(entry(i));
    await smt.apply(writes);
  }
  const ks = makeKeySet(1, [keyPairFromSeed('secp256k1', sha256(utf8('bench-proof'))).publicKey]);
  const domain = sha256(utf8(`bench-proofs-${n}`));
  await registerDomain(
    evm,
    lightClient,
    {
      domain,
      height: 0n,
      prevHash: new Uint8Array(32),
      stateRoot: smt.root(),
      txRoot: new Uint8Array(32),
      timestamp: 1n,
    },
    ks,
  );
  const samples = [];
  for (let s = 0; s < 32; s++) {
    const { key, value } = entry(Math.floor((s * n) / 32) + 7);
    const proof = await smt.prove(key);
    const data = encodeFunctionData({
      abi: weftLightClientAbi,
      functionName: 'verifyMembership',
      args: [toHex(domain), 0n, toHex(key), toHex(value), toHex(encodeProofForEvm(proof))],
    });
    // The verifier alone, root given: what the proof itself costs.
    const bare = encodeFunctionData({
      abi: weftLightClientAbi,
      functionName: 'verifyProof',
      args: [toHex(smt.root()), toHex(key), toHex(value), true, toHex(encodeProofForEvm(proof))],
    });
    const bareHash = await evm.wallet.sendTransaction({ to: lightClient, data: bare, gas: 1_000_000n });
    const bareTotal = Number((await evm.public.waitForTransactionReceipt({ hash: bareHash })).gasUsed);
    const bareExec = bareTotal - TX_BASE_GAS - calldataGas(bare);
    // A transaction calling the view function: its receipt gives the gas exactly (ganache's
    // eth_estimateGas pads calls that forward gas to precompiles, so it over-reports them).
    const hash = await evm.wallet.sendTransaction({ to: lightClient, data, gas: 1_000_000n });
    const total = Number((await evm.public.waitForTransactionReceipt({ hash })).gasUsed);
    const estimate = Number(await evm.public.estimateGas({ account: evm.account, to: lightClient, data }));
    samples.push({
      total,
      exec: total - TX_BASE_GAS - calldataGas(data),
      bytes: bytesOf(data),
      depth: proof.depth,
    });
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
  const domain = sha256(utf8('bench-headers'));
  let prev = {
    domain,
    height: 0n,
    prevHash: new Uint8Array(32),
    stateRoot: sha256(utf8('root-0')),
    txRoot: new Uint8Array(32),
    timestamp: 1_700_000_000_000n,
  };
  await registerDomain(evm, lightClient, prev, ks);
  const single = [];
  for (let i = 1; i <= count; i++) {
    const h = {
      ...prev,
      height: prev.height + 1n,
      prevHash: headerHash(prev),
      stateRoot: sha256(utf8(`root-${i}`)),
      timestamp: prev.timestamp + 2_000n,
    };
    const { header, signatures } = headerForEvm({
      header: h,
      signatures: signHeader(h, ks, ordered.slice(0, 2)),
    });
    const receipt = await sendContract(evm, {
      address: lightClient,
      abi: weftLightClientAbi,
      functionName: 'submitHeader',
      args: [header, signatures],
    });
    const data = encodeFunctionData({
      abi: weftLightClientAbi,
      functionName: 'submitHeader',
      args: [header, signatures],
    });
    single.push({ height: i, gas: Number(receipt.gasUsed), bytes: bytesOf(data) });
    prev = h;
  }
  const batches = [];
  for (const size of [8, 32]) {
    const hs = [];
    const sigs = [];
    for (let i = 0; i < size; i++) {
      const h = {
        ...prev,
        height: prev.height + 1n,
        prevHash: headerHash(prev),
        stateRoot: sha256(utf8(`b-${prev.height}`)),
        timestamp: prev.timestamp + 2_000n,
      };
      const args = headerForEvm({ header: h, signatures: signHeader(h, ks, ordered.slice(0, 2)) });
      hs.push(args.header);
      sigs.push(args.signatures);
      prev = h;
    }
    const receipt = await sendContract(evm, {
      address: lightClient,
      abi: weftLightClientAbi,
      functionName: 'submitHeaders',
      args: [hs, sigs],
    });
    const data = encodeFunctionData({
      abi: weftLightClientAbi,
      functionName: 'submitHeaders',
      args: [hs, sigs],
    });
    batches.push({
      size,
      gas: Number(receipt.gasUsed),
      perHeader: Math.round(Number(receipt.gasUsed) / size),
      bytes: bytesOf(data),
    });
  }
  return { single, batches };
}

export async function run(flags = []) {
  const quick = flags.includes('--quick');
  const n = quick ? 100_000 : 1_000_000;
  const chain = await startDevChain();
  try {
    const evm = await connectEvm(chain.rpcUrl, DEV_CHAIN_KEYS[0]);
    const lightClient = await deployLightClient(evm);

    console.log(`building a ${fmt(n)}-key tree and proving 32 members on-chain ...`);
    const proofs = await membership(evm, lightClient, n);
    const proofExecMax = Math.max(...proofs.map((p) => p.exec));
    for (const p of proofs) console.log('depth', p.depth, 'verifier', p.bareExec, 'verifyMembership', p.exec);

    const windowPlus = 272;
    console.log(
      `submitting ${windowPlus} headers one by one (past the 256-height window) and two batches ...`,
    );
    const { single, batches } = await headers(evm, lightClient, windowPlus);
    const firstRound = single.filter((s) => s.height <= 256);
    const wrapped = single.filter((s) => s.height > 256);
    const headerMax = Math.max(...single.map((s) => s.gas));

    const rows = [
      [
        'membership proof, execution (max of 32)',
        fmt(proofExecMax),
        `<= ${fmt(TARGET_MEMBERSHIP_EXEC_GAS)}`,
        proofExecMax <= TARGET_MEMBERSHIP_EXEC_GAS ? 'met' : 'MISSED',
        fmt(Math.max(...proofs.map((p) => p.bytes))),
      ],
      [
        'membership proof, execution (median)',
        fmt(median(proofs.map((p) => p.exec))),
        '',
        '',
        fmt(median(proofs.map((p) => p.bytes))),
      ],
      ['membership proof, whole call (median)', fmt(median(proofs.map((p) => p.total))), '', '', ''],
      [
        'submitHeader 2-of-3, tx (max, first 256 heights)',
        fmt(Math.max(...firstRound.map((s) => s.gas))),
        `<= ${fmt(TARGET_SUBMIT_HEADER_GAS)}`,
        Math.max(...firstRound.map((s) => s.gas)) <= TARGET_SUBMIT_HEADER_GAS ? 'met' : 'MISSED',
        fmt(single[0].bytes),
      ],
      [
        'submitHeader 2-of-3, tx (max, window wrapped)',
        fmt(Math.max(...wrapped.map((s) => s.gas))),
        `<= ${fmt(TARGET_SUBMIT_HEADER_GAS)}`,
        Math.max(...wrapped.map((s) => s.gas)) <= TARGET_SUBMIT_HEADER_GAS ? 'met' : 'MISSED',
        fmt(wrapped[0].bytes),
      ],
      ...batches.map((b) => [
        `submitHeaders, batch of ${b.size}, per header`,
        fmt(b.perHeader),
        '',
        '',
        fmt(Math.round(b.bytes / b.size)),
      ]),
    ];
    table(['measure', 'gas', 'target', '', 'calldata bytes'], rows);
    writeResults('evm', {
      treeKeys: n,
      membership: {
        execMax: proofExecMax,
        execMedian: median(proofs.map((p) => p.exec)),
        totalMedian: median(proofs.map((p) => p.total)),
        calldataBytesMax: Math.max(...proofs.map((p) => p.bytes)),
        depthMax: Math.max(...proofs.map((p) => p.depth)),
        target: TARGET_MEMBERSHIP_EXEC_GAS,
      },
      submitHeader: {
        max: headerMax,
        firstRoundMax: Math.max(...firstRound.map((s) => s.gas)),
        wrappedMax: Math.max(...wrapped.map((s) => s.gas)),
        median: median(single.map((s) => s.gas)),
        calldataBytes: single[0].bytes,
        target: TARGET_SUBMIT_HEADER_GAS,
      },
      submitHeaders: batches,
    });
  } finally {
    await chain.stop();
  }
}
