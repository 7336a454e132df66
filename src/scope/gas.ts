// The gas schedule and meter: a deterministic price for everything a transaction makes a node do,
// charged against the transaction's localGas. Amounts are bigint, so sums never wrap.
import { WeftError } from '../crypto/index.js';
import { U64_MAX } from './limits.js';

/**
 * The schedule (gas units). Prices are relative, fixed by the format: changing one changes which
 * transactions are funded, so it is part of consensus like an encoding.
 */
export const GAS = Object.freeze({
  /** every on-DAG transaction: decoding, the DAG bookkeeping, the status */
  txBase: 1_000n,
  /** the meta-instruction, per declared read: one tree lookup */
  objectRead: 200n,
  /** per byte of a value fetched by the meta-instruction */
  objectReadPerByte: 1n,
  /** per object write a program performs */
  objectWrite: 500n,
  /** per byte of a written value */
  objectWritePerByte: 3n,
  /** per program call */
  call: 100n,
  /** per byte of a call's input */
  callPerByte: 1n,
  /** per hash a program asks for */
  hash: 60n,
  /** per byte hashed */
  hashPerByte: 1n,
  /** per signature check a program asks for */
  signatureCheck: 3_000n,
  /** per Merkle proof a program verifies */
  proofVerify: 500n,
  /** per sibling in that proof */
  proofVerifyPerStep: 70n,
  /** per logic step a program reports through `ctx.step` */
  logicStep: 1n,
});

/** The gas of hashing `bytes` bytes once. */
export function hashGas(bytes: number): bigint {
  return GAS.hash + GAS.hashPerByte * BigInt(bytes);
}

/** Thrown inside a program when its meter runs dry; also remembered, so catching it changes nothing. */
export class OutOfGasSignal extends Error {
  override readonly name = 'OutOfGasSignal';
}

/**
 * Counts gas against a limit. Once exhausted it stays exhausted: a program that catches the signal
 * and carries on still fails, and is charged its whole limit.
 */
export class GasMeter {
  private usedGas = 0n;
  private dry = false;

  constructor(readonly limit: bigint) {
    if (typeof limit !== 'bigint' || limit < 0n || limit > U64_MAX) {
      throw new WeftError('GAS_OUT_OF_RANGE', `a gas limit must be a u64 bigint, got ${String(limit)}`);
    }
  }

  /** Charges `amount` (a non-negative bigint of any size); throws OutOfGasSignal past the limit. */
  charge(amount: bigint): void {
    if (this.dry) throw new OutOfGasSignal('out of gas');
    if (typeof amount !== 'bigint' || amount < 0n)
      throw new WeftError('BAD_INPUT', 'gas amounts are non-negative bigints');
    const next = this.usedGas + amount;
    if (next > this.limit) {
      this.usedGas = this.limit;
      this.dry = true;
      throw new OutOfGasSignal('out of gas');
    }
    this.usedGas = next;
  }

  get used(): bigint {
    return this.usedGas;
  }

  get exhausted(): boolean {
    return this.dry;
  }
}

/** Sum of u64 gas amounts, exact (bigint): a scope of many large localGas values never wraps. */
export function sumGas(amounts: Iterable<bigint>): bigint {
  let total = 0n;
  for (const a of amounts) total += a;
  return total;
}
