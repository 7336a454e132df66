// weft: every layer as a namespace (`import { smt, domain } from 'weft'`); each layer is also
// its own subpath (`weft/smt`, `weft/domain`, ...), the usual way to import it. The error
// family is exported flat, since every layer throws it.

export type { ErrorCodeInfo, WeftErrorCode } from './crypto/index.js';
export * as crypto from './crypto/index.js';
export { ERROR_CODES, WeftError } from './crypto/index.js';
export * as domain from './domain/index.js';
export * as net from './net/index.js';
export * as node from './node/index.js';
export * as resource from './resource/index.js';
export * as scope from './scope/index.js';
export * as smt from './smt/index.js';
export * as store from './store/index.js';
export * as sync from './sync/index.js';
export * as transfer from './transfer/index.js';
export * as tx from './tx/index.js';
