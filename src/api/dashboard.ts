// The dashboard's files (built by `npm run build` into dist/web from web/), as every node serves
// them: the page at `/`, its script and stylesheet under `/ui/`. Read once, on first request.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files of the built dashboard a node serves under /ui/ (the page itself is at /). */
export const DASHBOARD_ASSETS = ['app.js', 'app.js.map', 'style.css'] as const;
export type DashboardAsset = (typeof DASHBOARD_ASSETS)[number];

const CONTENT_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * Where the built dashboard is: dist/web beside dist/api when running the build, and the same
 * dist/web when running from src/ (tests); null when it was not built.
 */
export function dashboardDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'app.js'))) return dir;
  }
  return null;
}

export type DashboardFile = { contentType: string; body: Buffer };

const cache = new Map<string, DashboardFile>();

/** One file of the dashboard (`index.html` or an asset), or null when the dashboard was not built. */
export function dashboardFile(name: 'index.html' | DashboardAsset): DashboardFile | null {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = dashboardDir();
  if (!dir) return null;
  const file = { contentType: CONTENT_TYPES[name]!, body: readFileSync(join(dir, name)) };
  cache.set(name, file);
  return file;
}
