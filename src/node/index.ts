// weft/node: running domains — wired together over a transport with sync verification.
export type { NetworkEvents, NetworkOptions } from './network.js';
export { ANNOUNCE_EVERY_MS_DEFAULT, HEADER_CHAIN_MAX, LocalNetwork } from './network.js';
