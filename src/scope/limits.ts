// Every bound the scope layer puts on its inputs, named with its unit (docs/scopes.md, "Limits").

/** Largest u64: gas commitments, sequence numbers and heights are u64. */
export const U64_MAX = (1n << 64n) - 1n;
/** Most objects one declaration names (read, write-only and read-write entries together). */
export const DECL_OBJECTS_MAX = 64;
/** Most program calls one scoped transaction makes. */
export const CALLS_MAX = 16;
/** Largest input of one program call, in bytes. */
export const CALL_INPUT_BYTES_MAX = 16 * 1024;
/** Largest value an object holds, in bytes. */
export const OBJECT_VALUE_BYTES_MAX = 4096;
/** Most signer keys a scoped transaction hands its programs. */
export const SCOPE_SIGNERS_MAX = 32;
/** Most transactions one block hands the scope executor. */
export const BLOCK_SCOPED_TXS_MAX = 100_000;
/** Most transactions one scope may hold before the walk stops and the transaction is unfunded. */
export const SCOPE_TXS_MAX = 1_000_000;
/** Most provers one domain's prover set holds. */
export const PROVERS_MAX = 64;
/** Most heights above the proven tip a tracker keeps attestations for. */
export const ATTESTATION_WINDOW_HEIGHTS = 1024;
