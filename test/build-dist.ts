/**
 * CLI tests run the built CLI (dist/cli.js, the bundle `npm run build` makes; `npm test` builds first).
 * When a test file runs on its own after a source change, this rebuilds — with the real build, never
 * tsc alone, which would leave an unbundled dist/cli.js behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_PATH = path.join(REPO_ROOT, 'dist', 'cli.js');

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = statSync(full);
    t = Math.max(t, st.isDirectory() ? newest(full) : st.mtimeMs);
  }
  return t;
}

export function ensureBuilt(): void {
  const stale = !existsSync(CLI_PATH) || statSync(CLI_PATH).mtimeMs < Math.max(newest(path.join(REPO_ROOT, 'src')), newest(path.join(REPO_ROOT, 'schema')));
  if (stale) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'pipe', timeout: 170_000 });
}
