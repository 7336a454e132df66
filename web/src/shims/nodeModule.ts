// Browser stand-in for node:module: there is no native module to require, so src/crypto/batch.ts
// falls back to its plain SHA-256 hasher.
export function createRequire(_url: string): (id: string) => never {
  return (id) => {
    throw new Error(`cannot load ${id} in a browser`);
  };
}
