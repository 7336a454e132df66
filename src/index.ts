// weft: the whole public surface; each layer is also its own subpath (weft/crypto, weft/smt, ...).
export * from './crypto/index.js';
export * from './smt/index.js';
