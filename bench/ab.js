#!/usr/bin/env node
/**
 * A/B of two naftiko-run builds (or configurations) on the bench capability: both servers run at once
 * against one upstream, and autocannon drives them in alternation (A B | B A | …) with a fixed number of
 * requests per run, so drift on a shared machine falls on both. Reports median req/s and server CPU per
 * request (user + system from /proc, every thread) of each side, and B over A.
 *
 *   node bench/ab.js --a-cli /path/to/old/dist/cli.js [--b-cli dist/cli.js] [--path /pass/small]
 *                    [--a-args="--log-level warn"] [--b-args="--log-level info"] [--b-node-args=--max-semi-space-size=4] [--floor]
 *                    [--rounds 8] [--requests 20000] [--connections 32]
 *
 * `--floor` adds the hand-written floor proxy as a third side. Nothing is written; the table goes to stdout.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import autocannon from 'autocannon';
import { BENCH_DIR, CLI, HOST, cpuMs, fmt, freePort, median, startNode, stopAll, waitForPorts } from './lib.js';

const { values: opt } = parseArgs({
  args: process.argv.slice(2),
  options: {
    'a-cli': { type: 'string' },
    'b-cli': { type: 'string' },
    'a-args': { type: 'string' },
    'b-args': { type: 'string' },
    'a-node-args': { type: 'string' },
    'b-node-args': { type: 'string' },
    path: { type: 'string' },
    floor: { type: 'boolean' },
    rounds: { type: 'string' },
    requests: { type: 'string' },
    connections: { type: 'string' },
  },
});
const urlPath = opt.path ?? '/pass/small';
const rounds = Number(opt.rounds ?? 8);
const requests = Number(opt.requests ?? 20_000);
const connections = Number(opt.connections ?? 32);
const words = (s) => (s ? s.split(/\s+/).filter(Boolean) : []);

const upPort = await freePort();
const upstream = startNode(path.join(BENCH_DIR, 'upstream.js'), [String(upPort)], { name: 'upstream' });
const capability = path.join(BENCH_DIR, 'bench-capability.yaml');
const sides = [];
async function naftiko(name, cli, extra, execArgv) {
  const rest = await freePort();
  const mcp = await freePort();
  const proc = startNode(path.resolve(cli), [capability, '--base-uri', `upstream=http://${HOST}:${upPort}`, '--port', `bench-rest=${rest}`, '--port', `bench-mcp=${mcp}`, '--log-level', 'warn', ...extra], { name, execArgv });
  sides.push({ name, proc, port: rest, ports: [rest, mcp] });
}
await naftiko('A', opt['a-cli'] ?? CLI, words(opt['a-args']), words(opt['a-node-args']));
await naftiko('B', opt['b-cli'] ?? CLI, words(opt['b-args']), words(opt['b-node-args']));
if (opt.floor) {
  const port = await freePort();
  const proc = startNode(path.join(BENCH_DIR, 'floor-proxy.js'), [String(port), `http://${HOST}:${upPort}`], { name: 'floor' });
  sides.push({ name: 'floor', proc, port, ports: [port] });
}
await waitForPorts([upPort], { child: upstream });
for (const s of sides) await waitForPorts(s.ports, { child: s.proc, timeoutMs: 30_000 });

const load = (port, amount) => new Promise((resolve, reject) =>
  autocannon({ url: `http://${HOST}:${port}${urlPath}`, connections, pipelining: 1, amount }, (e, r) => (e ? reject(e) : resolve(r))));

async function run(side, amount) {
  const cpu0 = cpuMs(side.proc.pid);
  const t0 = performance.now();
  const r = await load(side.port, amount);
  const seconds = (performance.now() - t0) / 1000;
  const ok = r['2xx'];
  if (r.non2xx || r.errors) throw new Error(`${side.name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { rps: ok / seconds, cpuUs: ((cpuMs(side.proc.pid) - cpu0) * 1000) / ok };
}

try {
  for (const s of sides) await run(s, Math.max(2000, requests / 4)); // warm-up
  const results = new Map(sides.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) results.get(s.name).push(await run(s, requests));
    process.stderr.write(`round ${round + 1}/${rounds}\n`);
  }
  const summary = sides.map((s) => {
    const rs = results.get(s.name);
    return { name: s.name, rps: median(rs.map((r) => r.rps)), cpu: median(rs.map((r) => r.cpuUs)), cpus: rs.map((r) => Math.round(r.cpuUs)) };
  });
  const [a] = summary;
  console.log(`path ${urlPath}, ${rounds} rounds × ${requests} requests, ${connections} connections`);
  for (const s of summary) {
    console.log(`${s.name.padEnd(6)} ${fmt.int(s.rps).padStart(7)} req/s (${fmt.x(s.rps / a.rps)} of A)  CPU/req ${fmt.us(s.cpu).padStart(7)} (${fmt.x(s.cpu / a.cpu)} of A)  rounds: ${s.cpus.join(' ')}`);
  }
} finally {
  await stopAll();
}
