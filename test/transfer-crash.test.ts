import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'weft-xfer-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child; kills it when `killWhen` matches a line, else waits for it to finish. */
function run(killWhen: ((line: string) => boolean) | null): Promise<{ lines: string[]; killed: boolean }> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'fixtures/transfer-crash-child.mjs'), dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (killWhen?.(line) && !child.killed) child.kill('SIGKILL');
        nl = buf.indexOf('\n');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ lines, killed: true });
      else if (code === 0) resolve({ lines, killed: false });
      else reject(new Error(`child failed (${code}): ${err}`));
    });
  });
}

describe('a node killed in the middle of transfers', () => {
  it('resumes after a restart, observes before it acts, and finishes every transfer exactly once', async () => {
    // Kill once a transfer has committed on its source but before it is claimed...
    const first = await run((l) => / sourceCommitted$| rootSynced$/.test(l));
    expect(first.killed).toBe(true);
    expect(first.lines).toContain('started');
    // ...and once more while claims are landing.
    const second = await run((l) => / claimed$/.test(l));
    const last = second.killed ? await run(null) : second;
    const done = last.lines.find((l) => l.startsWith('done '));
    expect(done).toBeDefined();
    const checks = JSON.parse(done!.slice(5)) as { phase: string; claimed: boolean; landed: boolean }[];
    expect(checks).toHaveLength(6);
    for (const c of checks) expect(c).toEqual({ phase: 'confirmed', claimed: true, landed: true });
  }, 120_000);
});
