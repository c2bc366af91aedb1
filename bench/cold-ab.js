#!/usr/bin/env node
/**
 * Cold start of two builds, alternated: spawn `node CLI capabilities/bulksync.yaml --port …` → both
 * ports accept TCP (polled every 2 ms), as bench/run.js measures it, plus the bare node:http baseline.
 * Each round starts A, B and the baseline once, in an order that rotates; medians are printed.
 *
 *   node bench/cold-ab.js [--a-cli /old/dist/cli.js] [--b-cli dist/cli.js] [--runs 9] [--node PATH]
 *                         [--b-env K=V,…] [--warm 1]
 *
 * --warm N: N unmeasured starts of each side first (a code cache written by the first start is then
 * what the measured starts use, as on a machine that has started the build before).
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BENCH_DIR, CLI, ROOT, cpuMs, freePort, median, stop, waitForPorts } from './lib.js';

const { values: opt } = parseArgs({
  options: {
    'a-cli': { type: 'string' },
    'b-cli': { type: 'string' },
    'a-env': { type: 'string' },
    'b-env': { type: 'string' },
    runs: { type: 'string' },
    node: { type: 'string' },
    warm: { type: 'string' },
  },
});
const runs = Number(opt.runs ?? 9);
const warm = Number(opt.warm ?? 1);
const nodeBin = opt.node ?? process.execPath;
const envOf = (s) => Object.fromEntries((s ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const sides = [
  { name: 'A', cli: path.resolve(opt['a-cli'] ?? CLI), env: envOf(opt['a-env']), ms: [], cpu: [] },
  { name: 'B', cli: path.resolve(opt['b-cli'] ?? CLI), env: envOf(opt['b-env']), ms: [], cpu: [] },
  { name: 'node:http', cli: path.join(BENCH_DIR, 'listen-baseline.js'), env: {}, ms: [], cpu: [], baseline: true },
];

function start(side, ports) {
  const args = side.baseline
    ? [side.cli, ...ports.map(String)]
    : [side.cli, path.join(ROOT, 'capabilities', 'bulksync.yaml'), '--port', `polytomic-subpackage-bulksync-rest=${ports[0]}`, '--port', `polytomic-subpackage-bulksync-mcp=${ports[1]}`, '--log-level', 'warn'];
  const child = spawn(nodeBin, args, { cwd: ROOT, env: { ...process.env, ...side.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.benchName = side.name;
  child.stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (child.stderrTail = (child.stderrTail + d).slice(-4096)));
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

async function once(side, { linger = 0 } = {}) {
  const ports = [await freePort(), await freePort()];
  const t0 = performance.now();
  const child = start(side, ports);
  try {
    await waitForPorts(ports, { child, intervalMs: 2, timeoutMs: 20_000 });
    const ms = performance.now() - t0;
    side.cpu.push(cpuMs(child.pid));
    // a warm-up start lives on a moment: what a start writes once it serves (the code cache) gets written
    if (linger) await new Promise((r) => setTimeout(r, linger));
    return ms;
  } finally {
    await stop(child);
  }
}

for (let i = 0; i < warm; i++) for (const s of sides) await once(s, { linger: 1000 });
for (const s of sides) s.cpu.length = 0;
for (let r = 0; r < runs; r++) {
  const order = sides.map((_, i) => sides[(i + r) % sides.length]);
  for (const s of order) s.ms.push(await once(s));
  process.stderr.write(`round ${r + 1}: ${sides.map((s) => `${s.name} ${s.ms.at(-1).toFixed(0)}`).join(', ')} ms\n`);
}
console.log(`node ${nodeBin === process.execPath ? process.version : nodeBin}`);
for (const s of sides) console.log(`${s.name.padEnd(10)} median ${median(s.ms).toFixed(0).padStart(4)} ms, CPU ${median(s.cpu).toFixed(0).padStart(4)} ms  (${s.ms.map((x) => x.toFixed(0)).join(', ')})  ${s.baseline ? '' : s.cli}`);
