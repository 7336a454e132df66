// The one use of Buffer the bundled code makes (src/crypto/bytes.ts `fromHex`): hex to bytes.
// Installed on globalThis before anything else runs, and only when the page has no Buffer.
type HexBuffer = { from(text: string, encoding: 'hex'): Uint8Array };

export const hexBuffer: HexBuffer = {
  from(text, encoding) {
    if (encoding !== 'hex') throw new Error(`only hex decoding is shimmed, not ${encoding}`);
    const out = new Uint8Array(text.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
    return out;
  },
};

const g = globalThis as unknown as { Buffer?: HexBuffer };
if (g.Buffer === undefined) g.Buffer = hexBuffer;
