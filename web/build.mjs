// Bundles the dashboard (web/src) into dist/web with rolldown: one script, one stylesheet, one page,
// no CDN. The project's proof verifier (src/smt) is bundled as is; its two Node-only imports are
// swapped for browser shims (SHA-256 from @noble/hashes, no native hasher).
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, '..', 'dist', 'web');

/** Node built-ins the bundled verifier imports, and what stands in for them in a browser. */
const SHIMS = {
  'node:crypto': join(here, 'src', 'shims', 'nodeCrypto.ts'),
  'node:module': join(here, 'src', 'shims', 'nodeModule.ts'),
};

export async function buildDashboard({ minify = true } = {}) {
  mkdirSync(out, { recursive: true });
  await build({
    input: join(here, 'src', 'main.ts'),
    platform: 'browser',
    resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
    // The native batch hasher is never tried in a browser (src/crypto/batch.ts reads this first).
    transform: { define: { 'process.env.WEFT_HASHER': '"node"' } },
    plugins: [
      {
        name: 'weft-browser-shims',
        resolveId(source) {
          return SHIMS[source] ?? null;
        },
      },
    ],
    output: { file: join(out, 'app.js'), format: 'esm', minify, sourcemap: true },
    logLevel: 'warn',
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(here, f), join(out, f));
  return { dir: out, bytes: statSync(join(out, 'app.js')).size };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildDashboard({ minify: !process.argv.includes('--dev') });
  console.error(`dashboard: ${r.dir} (app.js ${r.bytes} bytes)`);
}
