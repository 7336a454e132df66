// What each verification mode trusts, in one sentence an operator can read in a log: the one
// place that says it (the demo, `weft node` and the docs repeat this text, never rephrase it).
import type { VerificationMode } from './view.js';

/** The mode every node and the demo use unless told otherwise: only it keeps a lying domain from minting on others. */
export const VERIFICATION_MODE_DEFAULT = 'full' satisfies VerificationMode;

/** One line saying what a mode weaker than `full` trusts; `null` for `full`. */
export function modeTrust(mode: VerificationMode): string | null {
  if (mode === 'full') return null;
  if (mode === 'evm')
    return "verification mode 'evm': trusting the JSON-RPC endpoint's block headers to be the canonical chain's (the vault's storage is proven against them with eth_getProof), and the chain not to reorganise deeper than the confirmations awaited";
  const what =
    mode === 'transition'
      ? "each domain's key set for what its transactions mean (writes are proven, not re-executed: a lying key set can mint out of nothing)"
      : "each domain's key set for its whole state (no proof is checked)";
  return `verification mode '${mode}': trusting ${what}`;
}
