// weft/sim: the deterministic whole-network simulator (docs/simulation.md).
export { type CrashMode, openSimDomain, SimDisk } from './disk.js';
export { type NetFaults, SimNetwork } from './network.js';
export {
  FAULT_KINDS,
  FAULT_PROFILES,
  type FaultKind,
  faultsName,
  parseFaults,
  runSim,
  SETTLE_BOUND_MS,
  SIM_DOMAINS_DEFAULT,
  SIM_DOMAINS_MAX,
  SIM_STEPS_DEFAULT,
  SIM_STEPS_MAX,
  type SimFailure,
  type SimOptions,
  type SimResult,
  type SimStats,
} from './sim.js';
