/**
 * Times `loadCapability` of every tutorial capability (tutorial/step-*.yml, with the files they import)
 * one after the other in this fresh process: the total, each file's share, and the module import
 * before them (not counted). Prints one JSON line.
 * Usage: node bench/load-tutorials.js TUTORIAL_DIR
 */
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { ROOT } from './lib.js';

const dir = path.resolve(process.argv[2] ?? path.join(ROOT, '..', 'shared', 'naftiko', 'tutorial'));
const files = readdirSync(dir)
  .filter((f) => /^step-\d+-.*\.ya?ml$/.test(f))
  .sort((a, b) => Number(/\d+/.exec(a)[0]) - Number(/\d+/.exec(b)[0]));
const t0 = performance.now();
const { loadCapability } = await import(pathToFileURL(path.join(ROOT, 'dist', 'spec', 'load.js')).href);
const t1 = performance.now();
const perFile = {};
let warnings = 0;
let exposed = 0;
for (const f of files) {
  const a = performance.now();
  // env: {} — the binds come from the tutorial's secrets file only, as in test/tutorial
  const { model, warnings: w } = loadCapability(path.join(dir, f), { env: {} });
  perFile[f] = performance.now() - a;
  warnings += w.length;
  exposed += model.exposes.reduce((n, x) => n + (x.operations?.length ?? 0) + (x.tools?.length ?? 0), 0);
}
const t2 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1, files: files.length, perFile, exposed, warnings }) + '\n');
