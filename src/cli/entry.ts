#!/usr/bin/env node
/**
 * The `naftiko-run` executable. It turns on Node's on-disk compile cache (Node ≥ 22.1; it covers the
 * CommonJS files required from node_modules), then runs the CLI bundle, dist/cli-bundle.cjs, through
 * naftiko-run's own V8 code cache (src/cli/code-cache.ts; Node 20 has no compile cache). Without the
 * bundle (tsc's output run directly) it imports the modules instead.
 */
import module from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './code-cache.js';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const bundle = fileURLToPath(new URL('./cli-bundle.cjs', import.meta.url));
if (existsSync(bundle)) loadBundle(bundle).runAsProcess();
else {
  const modules = './main.js'; // a variable: the build must not bundle the modules into this file
  ((await import(modules)) as typeof import('./main.js')).runAsProcess();
}
