/**
 * The folder of naftiko-run's own package.json. Found by walking up from this module, so it holds for
 * the compiled modules (dist/…), the single-file CLI bundle (dist/cli.js) and the sources (tests).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'naftiko-run') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('naftiko-run: cannot find its own package.json');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();

export const packagePath = (...parts: string[]): string => path.join(PACKAGE_ROOT, ...parts);
