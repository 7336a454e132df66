// The built-in `trivial` logic: accepts everything. For ephemeral helper resources whose only
// job is to balance a transaction; never give a real asset this logic.
import { accept, defineLogic, type ResourceLogic } from './logic.js';

export const trivialLogic: ResourceLogic = defineLogic({
  name: 'trivial',
  version: 1,
  check: () => accept(),
});
