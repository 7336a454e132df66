// The logics every Weft domain knows.
import { LogicRegistry } from './logic.js';
import { tokenLogic } from './token.js';
import { trivialLogic } from './trivial.js';

/** A new registry holding the built-in logics (`token`, `trivial`); register your own on it. */
export function builtinRegistry(): LogicRegistry {
  return new LogicRegistry([tokenLogic, trivialLogic]);
}
