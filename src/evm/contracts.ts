// Deploying Weft's contracts and sending their transactions: each call is simulated first, so
// a revert surfaces as a WeftError naming the contract's custom error, and is sent only if it
// would succeed.
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getAddress,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { WeftError } from '../crypto/index.js';
import { weftLightClientAbi, weftLightClientBytecode } from './artifacts.js';
import type { EvmConnection } from './chain.js';

/** A reverted or refused EVM call, with the contract's error name when it gave one. */
export class EvmRevertError extends WeftError {
  readonly errorName: string | undefined;
  readonly errorArgs: readonly unknown[] | undefined;
  constructor(
    what: string,
    errorName: string | undefined,
    errorArgs: readonly unknown[] | undefined,
    cause: unknown,
  ) {
    const args = errorArgs?.map((a) => String(a)).join(', ') ?? '';
    super('EVM_REVERTED', `${what} reverted${errorName ? `: ${errorName}(${args})` : ''}`, { cause });
    this.errorName = errorName;
    this.errorArgs = errorArgs;
  }
}

/**
 * The custom error a viem call failed with, when the contract named one. Nodes differ in where
 * they put revert data (ganache answers -32000 with the data beside the message, which viem
 * does not decode), so the cause chain is searched for it and decoded with `abi`.
 */
export function revertReason(e: unknown, abi?: Abi): { name: string; args: readonly unknown[] } | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
    return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
  }
  if (!abi) return undefined;
  for (let x: unknown = e; x instanceof Error; x = x.cause) {
    const data = (x as { data?: unknown }).data;
    if (typeof data === 'string' && /^0x[0-9a-fA-F]{8}/.test(data)) {
      try {
        const decoded = decodeErrorResult({ abi, data: data as Hex });
        return { name: decoded.errorName, args: decoded.args ?? [] };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function wrap(what: string, e: unknown, abi?: Abi): never {
  if (e instanceof WeftError) throw e;
  const reason = revertReason(e, abi);
  if (reason || (e instanceof BaseError && /revert/i.test(e.message))) {
    throw new EvmRevertError(what, reason?.name, reason?.args, e);
  }
  // viem's full message repeats the request body (kilobytes of bytecode): keep its short form.
  const message = e instanceof BaseError ? e.shortMessage : (e as Error).message;
  throw new WeftError('UNAVAILABLE', `${what} failed: ${message}`, { cause: e });
}

/** Deploys a contract and returns its address once the deployment is mined. */
export async function deployContract(
  evm: EvmConnection,
  abi: Abi,
  bytecode: Hex,
  args: readonly unknown[] = [],
): Promise<{ address: Address; receipt: TransactionReceipt }> {
  try {
    const hash = await evm.wallet.deployContract({ abi, bytecode, args } as never);
    const receipt = await evm.public.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success' || !receipt.contractAddress) {
      throw new EvmRevertError('deployment', undefined, undefined, undefined);
    }
    return { address: getAddress(receipt.contractAddress), receipt };
  } catch (e) {
    return wrap('deployment', e, abi);
  }
}

/**
 * Simulates a contract call, sends it and waits for its receipt. Throws EvmRevertError (code
 * EVM_REVERTED) with the contract's custom error when it would revert or did.
 */
export async function sendContract(
  evm: EvmConnection,
  call: { address: Address; abi: Abi; functionName: string; args: readonly unknown[]; gas?: bigint },
): Promise<TransactionReceipt> {
  const what = call.functionName;
  try {
    const { request } = await evm.public.simulateContract({ ...call, account: evm.account } as never);
    const hash = await evm.wallet.writeContract(request as never);
    const receipt = await evm.public.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new EvmRevertError(what, undefined, undefined, undefined);
    return receipt;
  } catch (e) {
    return wrap(what, e, call.abi);
  }
}

/**
 * Deploys WeftLightClient owned by the connection's account.
 *
 * @example
 * const lightClient = await deployLightClient(evm);
 */
export async function deployLightClient(evm: EvmConnection): Promise<Address> {
  return (await deployContract(evm, weftLightClientAbi, weftLightClientBytecode)).address;
}
