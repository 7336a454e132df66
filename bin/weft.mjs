#!/usr/bin/env node
// The `weft` command line; the implementation lives in dist/cli once built.
import('../dist/cli/main.js')
  .then((m) => m.main(process.argv.slice(2)))
  .then((code) => process.exit(code ?? 0))
  .catch((err) => {
    if (err?.code === 'ERR_MODULE_NOT_FOUND') {
      console.error('weft: not built yet — run `npm run build` first');
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  });
