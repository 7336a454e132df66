// weft/resource: resources (commitment, nullifier, kind), values with a home domain, resource
// logics and their registry, the built-in `token` and `trivial` logics, and JSON forms.

export { builtinRegistry } from './builtins.js';
export type { CreateResourceParameters, Random, RehomeOptions, ResourceParts } from './create.js';
export { createResource, defaultRandom, deriveNullifierKey, rehome } from './create.js';
export type { JsonValue, PublicKeyJson, ResourceJson, ResourceValueJson } from './json.js';
export {
  expectArray,
  expectBool,
  expectDigest,
  expectHex,
  expectObject,
  expectString,
  expectUintString,
  jsonError,
  parseJsonText,
  parsePublicKeyJson,
  parseResourceJson,
  parseValueJson,
  publicKeyToJson,
  RESOURCE_JSON_CHARS_MAX,
  resourceToJson,
  valueToJson,
} from './json.js';
export type {
  ActionView,
  DefineLogicParameters,
  LogicInput,
  LogicLookup,
  LogicRole,
  LogicVerdict,
  ResourceLogic,
  ResourceView,
  TransactionView,
} from './logic.js';
export {
  ACCEPT,
  accept,
  defineLogic,
  LOGIC_NAME_BYTES_MAX,
  LOGIC_REASON_CHARS_MAX,
  LogicRegistry,
  logicRef,
  REGISTRY_LOGICS_MAX,
  reject,
} from './logic.js';
export type { Resource } from './resource.js';
export {
  assertResource,
  COMMITMENT_PREIMAGE_BYTES,
  commitment,
  DIGEST_BYTES,
  decodeResource,
  encodeResource,
  kind,
  NK_BYTES,
  nkCommitment,
  nullifier,
  psi,
  QUANTITY_MAX,
  RESOURCE_BYTES,
  rcm,
  readResource,
  writeResource,
} from './resource.js';
export type { CreateTokenParameters, TokenLabel } from './token.js';
export {
  createToken,
  decodeTokenData,
  decodeTokenLabel,
  isOwnedBy,
  TOKEN_LABEL_FORMAT,
  TOKEN_SYMBOL_CHARS_MAX,
  tokenData,
  tokenLabel,
  tokenLogic,
} from './token.js';
export { trivialLogic } from './trivial.js';
export type { ResourceValue } from './value.js';
export {
  DOMAIN_ID_BYTES,
  DOMAIN_NAME_BYTES_MAX,
  decodeValue,
  domainId,
  encodeValue,
  LABEL_BYTES_MAX,
  labelRef,
  VALUE_BYTES_MAX,
  VALUE_DATA_BYTES_MAX,
  VALUE_DEADLINE_BYTES,
  VALUE_FORMAT,
  VALUE_FORMAT_DEADLINE,
  valueRef,
} from './value.js';
