/**
 * Times `loadCapability` (read + YAML parse + schema check + semantic checks + model) in this fresh
 * process, and the module import before it. Prints one JSON line.
 * Usage: node bench/load-capability.js FILE
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { ROOT } from './lib.js';

const file = process.argv[2];
const t0 = performance.now();
const { loadCapability } = await import(pathToFileURL(path.join(ROOT, 'dist', 'spec', 'load.js')).href);
const t1 = performance.now();
const { model, warnings } = loadCapability(file, { env: {} });
const t2 = performance.now();
const ops = model.exposes.reduce((n, a) => n + (a.operations?.length ?? 0) + (a.tools?.length ?? 0), 0);
const consumed = model.consumes.reduce((n, a) => n + a.operations.size, 0);
process.stdout.write(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1, exposed: ops, consumed, warnings: warnings.length }) + '\n');
