// `npm run bench [-- SUITE...]`: runs the named benchmark suites (all when none is named).
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace('.bench.mjs', ''))
  .sort();

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench [-- SUITE...]\n\nsuites: ${available.join(', ')}`);
  process.exit(0);
}
const chosen = args.filter((a) => !a.startsWith('--'));
const unknown = chosen.filter((s) => !available.includes(s));
if (unknown.length > 0) {
  console.error(`unknown suite: ${unknown.join(', ')}\nsuites: ${available.join(', ')}`);
  process.exit(2);
}
for (const suite of chosen.length > 0 ? chosen : available) {
  console.log(`\n=== bench: ${suite} ===`);
  const mod = await import(`./${suite}.bench.mjs`);
  await mod.run(args.filter((a) => a.startsWith('--')));
}
