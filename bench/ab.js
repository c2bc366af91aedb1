#!/usr/bin/env node
/**
 * A/B of two naftiko-run builds (or configurations) on the bench capability: both servers run at once
 * against one upstream, and autocannon drives them in alternation (A B | B A | …) for a fixed time per
 * run, so drift on a shared machine falls on both. (A fixed request count would end each run on
 * autocannon's one-second tick, which makes req/s meaningless.) Reports median req/s and server CPU per
 * request (user + system from /proc, every thread) of each side, and B over A.
 *
 *   node bench/ab.js --a-cli /path/to/old/dist/cli.js [--b-cli dist/cli.js] [--path /pass/small]
 *                    [--a-args="--log-level warn"] [--b-args="--log-level info"] [--b-node-args=--max-semi-space-size=4]
 *                    [--b-env="NAME=value …"] [--floor] [--floor-path /pass/small]
 *                    [--rounds 8] [--seconds 3] [--connections 32] [--rate N] [--pin]
 *
 * `--rate N` holds every side at N requests/s (autocannon's overallRate) instead of as fast as it can go:
 * CPU per request at one rate compares the servers' own cost, free of how the scheduler shares the two
 * cores at saturation (a server that is driven faster also batches more per event-loop turn).
 * `--pin` puts the servers on CPU 1 and this process and the upstream on CPU 0 (taskset), so the servers
 * do not share a core with the load they are measured under.
 * `--floor` adds the hand-written floor proxy as a third side, on `--floor-path` (default: `--path`, with
 * /fwd/ read as /pass/: the floor has no forward resource). Nothing is written; the table goes to stdout.
 */
import { execFileSync } from 'node:child_process';
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
    'a-env': { type: 'string' },
    'b-env': { type: 'string' },
    path: { type: 'string' },
    'floor-path': { type: 'string' },
    floor: { type: 'boolean' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
    rate: { type: 'string' },
    pin: { type: 'boolean' },
  },
});
const urlPath = opt.path ?? '/pass/small';
// the floor has no forward resource: its pass-through route is what a forward is compared with (as in bench/run.js)
const floorPath = opt['floor-path'] ?? urlPath.replace(/^\/fwd\//, '/pass/');
const rounds = Number(opt.rounds ?? 8);
const seconds = Number(opt.seconds ?? 3);
const connections = Number(opt.connections ?? 32);
const overallRate = opt.rate === undefined ? undefined : Number(opt.rate);
const words = (s) => (s ? s.split(/\s+/).filter(Boolean) : []);

const upPort = await freePort();
const upstream = startNode(path.join(BENCH_DIR, 'upstream.js'), [String(upPort)], { name: 'upstream' });
const capability = path.join(BENCH_DIR, 'bench-capability.yaml');
const sides = [];
const envOf = (s) => Object.fromEntries(words(s).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
async function naftiko(name, cli, extra, execArgv, env) {
  const rest = await freePort();
  const mcp = await freePort();
  const proc = startNode(path.resolve(cli), [capability, '--base-uri', `upstream=http://${HOST}:${upPort}`, '--port', `bench-rest=${rest}`, '--port', `bench-mcp=${mcp}`, '--log-level', 'warn', ...extra], { name, execArgv, env });
  sides.push({ name, proc, port: rest, ports: [rest, mcp] });
}
await naftiko('A', opt['a-cli'] ?? CLI, words(opt['a-args']), words(opt['a-node-args']), envOf(opt['a-env']));
await naftiko('B', opt['b-cli'] ?? CLI, words(opt['b-args']), words(opt['b-node-args']), envOf(opt['b-env']));
if (opt.floor) {
  const port = await freePort();
  const proc = startNode(path.join(BENCH_DIR, 'floor-proxy.js'), [String(port), `http://${HOST}:${upPort}`], { name: 'floor' });
  sides.push({ name: 'floor', proc, port, ports: [port], urlPath: floorPath });
}
await waitForPorts([upPort], { child: upstream });
for (const s of sides) await waitForPorts(s.ports, { child: s.proc, timeoutMs: 30_000 });
if (opt.pin) {
  const pin = (cpu, pid) => execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
  pin('0', process.pid);
  pin('0', upstream.pid);
  for (const s of sides) pin('1', s.proc.pid);
}

const load = (port, duration, sidePath = urlPath) => new Promise((resolve, reject) =>
  autocannon({ url: `http://${HOST}:${port}${sidePath}`, connections, pipelining: 1, duration, ...(overallRate ? { overallRate } : {}) }, (e, r) => (e ? reject(e) : resolve(r))));

async function run(side, duration) {
  const cpu0 = cpuMs(side.proc.pid);
  const r = await load(side.port, duration, side.urlPath);
  const ok = r['2xx'];
  if (r.non2xx || r.errors) throw new Error(`${side.name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { rps: ok / duration, cpuUs: ((cpuMs(side.proc.pid) - cpu0) * 1000) / ok };
}

try {
  for (const s of sides) await run(s, 1); // warm-up
  const results = new Map(sides.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) results.get(s.name).push(await run(s, seconds));
    process.stderr.write(`round ${round + 1}/${rounds}\n`);
  }
  const summary = sides.map((s) => {
    const rs = results.get(s.name);
    return { name: s.name, rps: median(rs.map((r) => r.rps)), cpu: median(rs.map((r) => r.cpuUs)), cpus: rs.map((r) => Math.round(r.cpuUs)) };
  });
  const [a] = summary;
  console.log(`path ${urlPath}, ${rounds} rounds × ${seconds} s, ${connections} connections${overallRate ? `, held at ${overallRate} req/s` : ''}`);
  for (const s of summary) {
    console.log(`${s.name.padEnd(6)} ${fmt.int(s.rps).padStart(7)} req/s (${fmt.x(s.rps / a.rps)} of A)  CPU/req ${fmt.us(s.cpu).padStart(7)} (${fmt.x(s.cpu / a.cpu)} of A)  rounds: ${s.cpus.join(' ')}`);
  }
} finally {
  await stopAll();
}
