// Token workloads shared by the benchmarks: deterministic keys and randomness, minting through a
// domain, and signed one-in/one-out transfers anchored on the domain's current root.
import { createHash } from 'node:crypto';
import { keyPairFromSeed } from '../dist/crypto/index.js';
import { commitment, createToken, nkCommitment } from '../dist/resource/index.js';
import { decodeHeight, mintTx as mintTxOf, signTransaction } from '../dist/tx/index.js';

export const BLOCK_TXS = 1000;

export function seeded(seed) {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

export const key = (type, name) =>
  keyPairFromSeed(type, createHash('sha256').update(`bench/${name}`).digest());

export function coinFactory(domain, random, issuer) {
  const make = (owner, quantity, isEphemeral = false) => {
    const nk = random(32);
    const parts = createToken({
      label: { issuer: issuer.publicKey, symbol: 'USD' },
      owner,
      quantity,
      home: domain.id,
      nkCommitment: nkCommitment(nk),
      isEphemeral,
      random,
    });
    return { ...parts, nk };
  };
  make.home = domain.id;
  make.random = random;
  return make;
}

export const created = (c) => ({ resource: c.resource, value: c.value, label: c.label });

/** A signed mint (weft/tx `mintTx`) of a token for `owner`, with a nonce source tied to `coin`'s domain. */
export function mintTx(coin, issuer, owner, quantity) {
  const m = mintTxOf({
    issuer,
    symbol: 'USD',
    owner: owner.publicKey,
    quantity,
    home: coin.home,
    random: coin.random,
  });
  return { tx: m.tx, coin: m.coin, owner };
}

/** Mints `count` coins spread over `owners`, sealing every BLOCK_TXS; returns them. */
export async function fund(domain, coin, issuer, owners, count) {
  const coins = [];
  for (let start = 0; start < count; start += BLOCK_TXS) {
    const txs = [];
    for (let i = start; i < Math.min(count, start + BLOCK_TXS); i++) {
      const m = mintTx(coin, issuer, owners[i % owners.length], 100n);
      coins.push({ coin: m.coin, owner: m.owner });
      txs.push(m.tx);
    }
    const r = await domain.submitMany(txs);
    const refused = r.filter((x) => x.status.status !== 'pending');
    if (refused.length > 0) throw new Error(`funding refused: ${refused[0].status.code}`);
    await domain.sealBlock();
  }
  return coins;
}

/** One-in/one-out transfers of every funded coin to the next owner, proven against the current root. */
export function transfers(domain, coin, funded, owners) {
  return funded.map(({ coin: c, owner }, i) => {
    const p = domain.proveCommitment(commitment(c.resource));
    const height = decodeHeight(p.value);
    const consumed = {
      resource: c.resource,
      value: c.value,
      label: c.label,
      nk: c.nk,
      commitmentProof: { anchor: p.root, height, proof: p.proof },
    };
    const out = coin(owners[(i + 1) % owners.length].publicKey, c.resource.quantity);
    return signTransaction(
      {
        actions: [{ consumed: [consumed], created: [created(out)] }],
        appData: new Uint8Array(),
        signatures: [],
      },
      [owner],
    );
  });
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
