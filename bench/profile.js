#!/usr/bin/env node
/**
 * CPU profiles of naftiko-run (or of the floors) under the bench's load, summarised by
 * bench/cpuprofile-top.js. Only the measured window is summarised (warm-up and start-up left out).
 *
 *   node bench/profile.js [SCENARIO…] [--seconds 15] [--dir /tmp/prof] [--target naftiko|floor] [--top 25] [--rate N]
 *
 * Scenarios: pass-small pass-large mapped-small mapped-large mcp (load, default: all five),
 *            info-small (pass-small with --log-level info), join (the orchestrated operation: two
 *            concurrent calls + a lookup; the floor's /join), fwd-small (GET /fwd/small through the
 *            forward resource; the floor's /pass/small), startup (bulksync.yaml, spawn → ports
 *            accepting), load1000 (loadCapability of the generated 1,000-operation capability),
 *            tutorials (loadCapability of the eleven tutorial capabilities, ../shared/naftiko/tutorial).
 */
import { parseArgs } from 'node:util';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import autocannon from 'autocannon';
import { BENCH_DIR, CLI, HOST, ROOT, freePort, startNode, stop, stopAll, waitForPorts } from './lib.js';
import { closeCallers, connectCallers, mcpLoad } from './mcp-load.js';
import { generateCapability } from './gen-capability.js';
import { formatSummary, summarize } from './cpuprofile-top.js';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string' },
    dir: { type: 'string' },
    target: { type: 'string' },
    top: { type: 'string' },
    connections: { type: 'string' },
    'mcp-callers': { type: 'string' },
    interval: { type: 'string' },
    rate: { type: 'string' },
  },
});
const seconds = Number(opt.seconds ?? 15);
const dir = path.resolve(opt.dir ?? '/tmp/prof');
const target = opt.target ?? 'naftiko';
const top = Number(opt.top ?? 25);
const connections = Number(opt.connections ?? 32);
const callers = Number(opt['mcp-callers'] ?? 16);
const interval = opt.interval ?? '250';
// --rate N: the measured window is held at N req/s (both targets at one rate compare per-request cost fairly)
const overallRate = opt.rate === undefined ? undefined : Number(opt.rate);
const scenarios = positionals.length ? positionals : ['pass-small', 'pass-large', 'mapped-small', 'mapped-large', 'mcp'];
const log = (s) => process.stderr.write(s + '\n');
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

mkdirSync(dir, { recursive: true });

function profArgs(name) {
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`, `--cpu-prof-interval=${interval}`];
}

function cannon(url, opts) {
  return new Promise((resolve, reject) => autocannon({ url, connections, pipelining: 1, ...opts }, (e, r) => (e ? reject(e) : resolve(r))));
}

async function loadScenario(name) {
  const upPort = await freePort();
  const upstreamUrl = `http://${HOST}:${upPort}`;
  const upstream = startNode(path.join(BENCH_DIR, 'upstream.js'), [String(upPort)], { name: 'upstream' });
  const restPort = await freePort();
  const mcpPort = await freePort();
  const profName = `${target}-${name}`;
  rmSync(path.join(dir, `${profName}.cpuprofile`), { force: true });
  let server;
  let logFd;
  if (target === 'floor') {
    const script = name === 'mcp' ? 'floor-mcp.js' : 'floor-proxy.js';
    server = startNode(path.join(BENCH_DIR, script), [String(name === 'mcp' ? mcpPort : restPort), upstreamUrl], { name: script, execArgv: profArgs(profName) });
    await waitForPorts([name === 'mcp' ? mcpPort : restPort], { child: server });
  } else {
    const level = name === 'info-small' ? 'info' : 'warn';
    if (level === 'info') logFd = openSync(path.join(dir, `${profName}.log`), 'w');
    const control = name === 'control-small' ? ['--control-port', '0'] : [];
    server = startNode(CLI, [path.join(BENCH_DIR, 'bench-capability.yaml'), '--base-uri', `upstream=${upstreamUrl}`, '--port', `bench-rest=${restPort}`, '--port', `bench-mcp=${mcpPort}`, '--log-level', level, ...control],
      { name: 'naftiko-run', execArgv: profArgs(profName), ...(logFd !== undefined ? { stdout: logFd } : {}) });
    await waitForPorts([restPort, mcpPort], { child: server });
  }
  await waitForPorts([upPort], { child: upstream });

  let from;
  let to;
  let summaryLine;
  let requests;
  if (name === 'mcp') {
    const clients = await connectCallers(`http://${HOST}:${mcpPort}/mcp`, callers);
    await mcpLoad(clients, { tool: 'get-small', durationSec: 60, maxCalls: 8000 });
    from = nowUs();
    const r = await mcpLoad(clients, { tool: 'get-small', durationSec: seconds });
    to = nowUs();
    await closeCallers(clients);
    summaryLine = `${Math.round(r.rps)} calls/s, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors`;
    requests = r.total;
  } else {
    const paths = { 'pass-small': '/pass/small', 'info-small': '/pass/small', 'control-small': '/pass/small', 'pass-large': '/pass/large', 'mapped-small': '/mapped/small', 'mapped-large': '/mapped/large', join: '/join', 'fwd-small': target === 'floor' ? '/pass/small' : '/fwd/small' };
    const urlPath = paths[name];
    if (!urlPath) throw new Error(`unknown scenario ${name}`);
    const url = `http://${HOST}:${restPort}${urlPath}`;
    await cannon(url, { amount: 6000 });
    from = nowUs();
    const r = await cannon(url, { duration: seconds, ...(overallRate ? { overallRate } : {}) });
    to = nowUs();
    summaryLine = `${Math.round(r.requests.total / r.duration)} req/s, p99 ${r.latency.p99} ms, ${r.errors} errors, ${r.non2xx} non-2xx`;
    requests = r.requests.total;
  }
  await stop(server, 10_000);
  if (logFd !== undefined) closeSync(logFd);
  await stop(upstream);
  // the window and the request count, for `cpuprofile-top.js A --diff B` (per-request comparison)
  writeFileSync(path.join(dir, `${profName}.window.json`), JSON.stringify({ from, to, requests }));
  return report(profName, summaryLine, { from, to });
}

async function startupScenario() {
  const profName = `${target}-startup`;
  rmSync(path.join(dir, `${profName}.cpuprofile`), { force: true });
  const restPort = await freePort();
  const mcpPort = await freePort();
  const t0 = performance.now();
  const child = startNode(CLI, [path.join(ROOT, 'capabilities', 'bulksync.yaml'), '--port', `polytomic-subpackage-bulksync-rest=${restPort}`, '--port', `polytomic-subpackage-bulksync-mcp=${mcpPort}`, '--log-level', 'warn'],
    { name: 'naftiko-run', guard: false, execArgv: profArgs(profName) });
  await waitForPorts([restPort, mcpPort], { child, intervalMs: 2 });
  const ms = performance.now() - t0;
  // only the samples until both ports accepted (the monotonic clock is the profile's); what loads
  // after the listen (the MCP SDK) is left out. The child gets a moment before SIGTERM: a profile is
  // not written when the signal lands while it is still starting.
  const to = nowUs();
  await new Promise((r) => setTimeout(r, 1000));
  await stop(child, 10_000);
  return report(profName, `spawn → ports accepting in ${ms.toFixed(0)} ms (with the profiler on; samples until then)`, { to });
}

async function tutorialsScenario() {
  const profName = `${target}-tutorials`;
  rmSync(path.join(dir, `${profName}.cpuprofile`), { force: true });
  const child = startNode(path.join(BENCH_DIR, 'load-tutorials.js'), [path.resolve(ROOT, '..', 'shared', 'naftiko', 'tutorial')], { name: 'load-tutorials', guard: false, stdout: 'pipe', execArgv: profArgs(profName) });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exit = await child.exited;
  if (exit.code !== 0) throw new Error(`load-tutorials failed: ${child.stderrTail}`);
  return report(profName, `loadCapability × 11: ${out.trim()}`, {});
}

async function load1000Scenario() {
  const profName = `${target}-load1000`;
  rmSync(path.join(dir, `${profName}.cpuprofile`), { force: true });
  const file = path.join(os.tmpdir(), `naftiko-gen-1000-${process.pid}.yaml`);
  writeFileSync(file, generateCapability(1000));
  const child = startNode(path.join(BENCH_DIR, 'load-capability.js'), [file], { name: 'load-capability', guard: false, stdout: 'pipe', execArgv: profArgs(profName) });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exit = await child.exited;
  rmSync(file, { force: true });
  if (exit.code !== 0) throw new Error(`load-capability failed: ${child.stderrTail}`);
  return report(profName, `loadCapability: ${out.trim()}`, {});
}

function report(profName, line, window) {
  const file = readdirSync(dir).find((f) => f === `${profName}.cpuprofile`);
  if (!file) throw new Error(`no profile written for ${profName} in ${dir}`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const s = summarize(profile, { top, ...window });
  const text = `## ${profName} — ${line}\n${formatSummary(s, path.join(dir, file))}\n`;
  writeFileSync(path.join(dir, `${profName}.txt`), text);
  process.stdout.write(text + '\n');
}

try {
  for (const name of scenarios) {
    log(`profile: ${target} ${name}`);
    if (name === 'startup') await startupScenario();
    else if (name === 'load1000') await load1000Scenario();
    else if (name === 'tutorials') await tutorialsScenario();
    else await loadScenario(name);
  }
} finally {
  await stopAll();
}
