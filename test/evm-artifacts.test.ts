// The committed artifacts (src/evm/artifacts.ts) are exactly what solc 0.8.37 makes of
// contracts/*.sol with the build's settings: recompiling gives the same bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('contract artifacts', () => {
  it('recompiling contracts/*.sol gives the committed src/evm/artifacts.ts', async () => {
    const script = pathToFileURL(join(root, 'scripts', 'build-contracts.mjs')).href;
    const { buildArtifacts, ARTIFACTS_FILE } = (await import(script)) as {
      buildArtifacts(): Promise<string>;
      ARTIFACTS_FILE: string;
    };
    const rebuilt = await buildArtifacts();
    expect(rebuilt).toBe(readFileSync(ARTIFACTS_FILE, 'utf8'));
    for (const name of ['weftLightClient', 'weftVault', 'weftTestToken']) {
      expect(rebuilt).toContain(`export const ${name}Abi = [`);
      expect(rebuilt).toMatch(new RegExp(`export const ${name}Bytecode = '0x[0-9a-f]+' as const;`));
    }
  }, 120_000);
});
