#!/usr/bin/env node
/**
 * The `naftiko-run` executable. It turns on Node's on-disk compile cache (Node ≥ 22.1) before anything
 * else is loaded, so a restart reuses the compiled bundle instead of parsing it again, then runs the CLI.
 */
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runAsProcess } = await import('./main.js');
runAsProcess();
