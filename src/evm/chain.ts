// A connection to an EVM chain over JSON-RPC: viem's public and wallet clients for one account.
import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { WeftError } from '../crypto/index.js';

/** How long a JSON-RPC request may take before it is abandoned. */
export const EVM_RPC_TIMEOUT_MS = 30_000;

export type EvmConnection = {
  rpcUrl: string;
  chain: Chain;
  account: Account;
  public: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, Account>;
};

/** Checks a 32-byte private key given as hex (with or without 0x); throws BAD_INPUT otherwise. */
export function parsePrivateKey(hex: string): Hex {
  const body = typeof hex === 'string' ? hex.replace(/^0x/, '') : '';
  if (!/^[0-9a-fA-F]{64}$/.test(body)) {
    throw new WeftError('BAD_INPUT', 'an EVM private key is 32 bytes of hex (64 digits, optional 0x)');
  }
  return `0x${body.toLowerCase()}`;
}

/**
 * Connects to the chain at `rpcUrl` as the account of `privateKey`, asking the node for its
 * chain id.
 *
 * @example
 * const evm = await connectEvm('http://127.0.0.1:8545', '0x4f3e...');
 * await evm.public.getBlockNumber();
 */
export async function connectEvm(rpcUrl: string, privateKey: string): Promise<EvmConnection> {
  // Retries cover a kept-alive socket the node closed while idle; every call sent is idempotent
  // (reads, and signed transactions that land once by hash).
  const transport = http(rpcUrl, { timeout: EVM_RPC_TIMEOUT_MS, retryCount: 3 });
  const probe = createPublicClient({ transport });
  let id: number;
  try {
    id = await probe.getChainId();
  } catch (e) {
    throw new WeftError('UNAVAILABLE', `no EVM JSON-RPC node answers at ${rpcUrl}: ${(e as Error).message}`);
  }
  const chain = defineChain({
    id,
    name: `evm-${id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const account = privateKeyToAccount(parsePrivateKey(privateKey));
  return {
    rpcUrl,
    chain,
    account,
    public: createPublicClient({ chain, transport }),
    wallet: createWalletClient({ chain, transport, account }),
  };
}
