// weft/scope: objects owned by programs, declared read/write sets with gas commitments, the
// object DAG with scopes and the off-DAG marking, execution (in order, in parallel waves, or as a
// follower of one program), and provers that advance a domain's proven tip. docs/scopes.md,
// docs/provers.md.

export type { Attestation, ProverEvidence, SignedAttestation } from './attestation.js';
export {
  ATTESTATION_BYTES,
  ATTESTATION_FORMAT,
  attestationHash,
  decodeProverEvidence,
  decodeSignedAttestation,
  encodeAttestation,
  encodeProverEvidence,
  encodeSignedAttestation,
  evidenceProver,
  proverEvidenceHash,
  readSignedAttestation,
  SIGNED_ATTESTATION_BYTES_MAX,
  signAttestation,
  verifyAttestation,
  verifyProverEvidence,
} from './attestation.js';
export type { PreFailure, ResolvedEntry, ScopeWalk, TxMeta } from './dag.js';
export { DAG_SNAPSHOT_FORMAT, DAG_SNAPSHOT_ITEMS_MAX, ObjectDag } from './dag.js';
export type { Access, Declaration, DeclEntry, SeqIndex } from './declaration.js';
export {
  checkDeclaration,
  DECLARATION_FORMAT,
  declare,
  indexHolds,
  isRead,
  isWrite,
  readDeclaration,
  writeDeclaration,
} from './declaration.js';
export type { Gas } from './examples.js';
export {
  COUNTER_ROUNDS_MAX,
  counterId,
  counterProgram,
  counterTx,
  examplePrograms,
  nonceProgram,
  oracleFeedId,
  oracleProgram,
  oracleUpdateTx,
  pairPoolId,
  pairProgram,
  pairSwapTx,
} from './examples.js';
export type {
  BlockResult,
  ExecuteBlockInput,
  FailureCode,
  ObjectRead,
  ObjectTable,
  TxJob,
  TxObject,
  TxOutcome,
  TxResult,
} from './execute.js';
export {
  commitOutcome,
  executeBlock,
  executeScopedBlock,
  jobFor,
  objectsToRead,
  offDagResult,
  runTx,
  treeWrites,
  verticesFor,
} from './execute.js';
export type { ExecutedBlock } from './executor.js';
export { ScopeExecutor } from './executor.js';
export type { FollowerBlock, FollowerBlockReport, ObjectWitness, ScopeFollowerOptions } from './follower.js';
export { ScopeFollower } from './follower.js';
export { GAS, GasMeter, hashGas, OutOfGasSignal, sumGas } from './gas.js';
export {
  ATTESTATION_WINDOW_HEIGHTS,
  BLOCK_SCOPED_TXS_MAX,
  CALL_INPUT_BYTES_MAX,
  CALLS_MAX,
  DECL_OBJECTS_MAX,
  OBJECT_VALUE_BYTES_MAX,
  PROVERS_MAX,
  SCOPE_SIGNERS_MAX,
  SCOPE_TXS_MAX,
  U64_MAX,
} from './limits.js';
export type { ObjectState, StateVertex } from './object.js';
export {
  assertObjectState,
  decodeObjectState,
  encodeObjectState,
  encodeVertex,
  NULL_VALUE_HASH,
  OBJECT_ID_BYTES,
  OBJECT_KEY_PREFIX,
  OBJECT_STATE_FORMAT,
  objectId,
  objectKey,
  valueHash,
  vertexOf,
  verticesDigest,
} from './object.js';
export type { WaveRunner } from './parallel.js';
export { conflictWaves, executeBlockParallel, inlineRunner } from './parallel.js';
export type {
  DefineProgramParameters,
  Program,
  ProgramContext,
  ProgramLookup,
  ProgramVerdict,
} from './program.js';
export { defineProgram, ProgramRegistry } from './program.js';
export type { AttestationOutcome, ProvenTipOptions, ProverSet } from './provenTip.js';
export { ProvenTip } from './provenTip.js';
export type { Prover, ProvingJob, Reexecute } from './prover.js';
export { ReexecutionProver } from './prover.js';
export type { AcceptedRoot, RemoteAttestationOutcome } from './remoteProven.js';
export {
  REMOTE_PROVEN_DOMAINS_MAX,
  REMOTE_PROVEN_FORMAT,
  REMOTE_PROVEN_SNAPSHOT_BYTES_MAX,
  RemoteProvenTips,
} from './remoteProven.js';
export type { Call, ScopeBody, ScopeTx } from './tx.js';
export {
  checkCalls,
  decodeScopeBody,
  encodeScopeBody,
  readScopeBody,
  scopeBodyId,
  scopeTx,
  scopeTxOf,
  withScope,
  writeScopeBody,
} from './tx.js';
export type { WorkerWaveRunnerOptions } from './workerPool.js';
export { WAVE_PARALLEL_JOBS_MIN, WAVE_WORKERS_MAX, WorkerWaveRunner } from './workerPool.js';
