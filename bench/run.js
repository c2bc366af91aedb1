#!/usr/bin/env node
/**
 * naftiko-run benchmark. Everything on 127.0.0.1, one process per server, autocannon (and the MCP SDK
 * client) as the load generator in this process. Every case is a group of sides (floor vs naftiko-run)
 * run alternately for a fixed time with fixed connections, round after round, the order flipped every
 * round (A B | B A | A B …) so drift on a noisy machine cancels; medians and ratios are reported.
 *
 *   node bench/run.js                  full run (≈ 4 minutes), writes BENCHMARKS.md between the markers
 *   node bench/run.js --quick          tiny run (smoke test)
 *   node bench/run.js --out FILE       write the results section into FILE instead of BENCHMARKS.md
 *   node bench/run.js --only mcp       only the MCP rows (both eras, bearer and OAuth auth); prints, never writes
 *   options: --duration S --rounds N --warmup-requests N --warmup-calls N --connections N
 *            --mcp-callers N --cold-runs N --load-runs N --no-write
 *   node bench/run.js --soak [--minutes 10]   the soak instead (bench/soak.js): 80 % of capacity, errors and RSS drift
 *   env BENCH_DURATION=S sets the seconds per measured run (default 2, 5 rounds; --quick 0.5, 2 rounds)
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  BENCH_DIR, CLI, HOST, ROOT, cpuMs, documentBuffers, fmt, freePort, joinCrew, joinDocuments, median, peakRssMB, percentile, project, rssMB, sleep,
  startNode, stop, stopAll, waitForPorts,
} from './lib.js';
import { closeCallers, mcpLoad } from './mcp-load.js';
import { generateCapability } from './gen-capability.js';
import { connectSide, mcpCpuRows, mcpTargetRows, startMcpExtras } from './mcp-bench.js';

if (process.argv.includes('--soak')) {
  // the soak is its own program with its own options
  const { soak } = await import('./soak.js');
  process.exit(await soak());
}

const { values: opt } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    'warmup-requests': { type: 'string' },
    'warmup-calls': { type: 'string' },
    connections: { type: 'string' },
    'mcp-callers': { type: 'string' },
    'cold-runs': { type: 'string' },
    'load-runs': { type: 'string' },
    out: { type: 'string' },
    'no-write': { type: 'boolean' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, '') + '\n');
  process.exit(0);
}

const quick = opt.quick ?? false;
const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
const cfg = {
  duration: num(opt.duration ?? process.env.BENCH_DURATION, quick ? 0.5 : 2),
  rounds: num(opt.rounds, quick ? 2 : 5),
  /** warm-up requests (REST) and tools/call calls (MCP) per side before the measured rounds */
  warmupRequests: num(opt['warmup-requests'], quick ? 500 : 4000),
  warmupCalls: num(opt['warmup-calls'], quick ? 200 : 5000),
  connections: num(opt.connections, 32),
  mcpCallers: num(opt['mcp-callers'], 16),
  coldRuns: num(opt['cold-runs'], quick ? 2 : 7),
  loadRuns: num(opt['load-runs'], quick ? 1 : 5),
};
if (opt.only !== undefined && opt.only !== 'mcp') throw new Error(`bench: --only takes mcp (got ${opt.only})`);
const onlyMcp = opt.only === 'mcp';
for (const [k, v] of Object.entries(cfg)) if (!(v > 0)) throw new Error(`bench: --${k} must be a positive number (got ${v})`);
/** The tutorial capabilities (step-*.yml) beside the project: ../shared/naftiko/tutorial from the repository root. */
const TUTORIAL_DIR = path.resolve(ROOT, '..', 'shared', 'naftiko', 'tutorial');
const OUT = opt.out ? path.resolve(opt.out) : path.join(ROOT, 'BENCHMARKS.md');
const command = ['node', 'bench/run.js', ...process.argv.slice(2)].join(' ') + (process.env.BENCH_DURATION && !opt.duration ? ` (BENCH_DURATION=${process.env.BENCH_DURATION})` : '');
const log = (s) => process.stderr.write(s + '\n');

// ---------------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(CLI)) throw new Error(`bench: ${path.relative(ROOT, CLI)} is missing; build first (npm run build)`);
  warnIfStale();
  const started = performance.now();
  const loadBefore = os.loadavg()[0];
  const docs = documentBuffers();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'naftiko-bench-'));
  try {
    log(`bench: ${cfg.rounds} rounds × ${cfg.duration} s per side, ${cfg.connections} connections, ${cfg.mcpCallers} MCP callers`);

    // --- servers --------------------------------------------------------------------------------
    const ports = {
      up: await freePort(), floor: await freePort(), floorMcp: await freePort(), nrRest: await freePort(), nrMcp: await freePort(), warnRest: await freePort(), warnMcp: await freePort(),
      ctlRest: await freePort(), ctlMcp: await freePort(), ctl: await freePort(), w2Rest: await freePort(), w2Mcp: await freePort(),
      rlRest: await freePort(), rlMcp: await freePort(), rlbRest: await freePort(), rlbMcp: await freePort(), rrRest: await freePort(), rrMcp: await freePort(), redis: await freePort(),
    };
    const upstreamUrl = `http://${HOST}:${ports.up}`;
    const upstream = startNode(path.join(BENCH_DIR, 'upstream.js'), [String(ports.up)], { name: 'upstream' });
    const floor = startNode(path.join(BENCH_DIR, 'floor-proxy.js'), [String(ports.floor), upstreamUrl], { name: 'floor-proxy' });
    const floorMcp = startNode(path.join(BENCH_DIR, 'floor-mcp.js'), [String(ports.floorMcp), upstreamUrl], { name: 'floor-mcp' });
    const capability = path.join(BENCH_DIR, 'bench-capability.yaml');
    const nrArgs = (rest, mcp, level) => [capability, '--base-uri', `upstream=${upstreamUrl}`, '--port', `bench-rest=${rest}`, '--port', `bench-mcp=${mcp}`, '--log-level', level];
    // naftiko-run as users run it: the default configuration (--log-level info, one line per request, here to a file)
    const infoLog = path.join(tmp, 'naftiko-info.log');
    const infoFd = openSync(infoLog, 'w');
    const nr = startNode(CLI, nrArgs(ports.nrRest, ports.nrMcp, 'info'), { name: 'naftiko-run (default: info)', stdout: infoFd });
    closeSync(infoFd);
    // the same at --log-level warn (no access line): what the log costs, and the base of the control-adapter and --workers sides, which run at warn too
    const nrWarn = startNode(CLI, nrArgs(ports.warnRest, ports.warnMcp, 'warn'), { name: 'naftiko-run (warn)' });
    // the same server with the control adapter on (metrics and traces recorded for every request), and with two workers
    const nrControl = startNode(CLI, [...nrArgs(ports.ctlRest, ports.ctlMcp, 'warn'), '--control-port', String(ports.ctl)], { name: 'naftiko-run (control adapter)' });
    const nrWorkers = startNode(CLI, [...nrArgs(ports.w2Rest, ports.w2Mcp, 'warn'), '--workers', '2'], { name: 'naftiko-run (--workers 2)' });
    // rate limiting on, far below the limit: the local store, and Redis (Debian's redis-server, when installed)
    const BELOW = ['--rate-limit', 'pass-small=1000000000/1h'];
    const nrRateLocal = startNode(CLI, [...nrArgs(ports.rlRest, ports.rlMcp, 'warn'), ...BELOW], { name: 'naftiko-run (rate limit, local)' });
    // their reference: the same server without a limit, in a process of its own with the same history. nrWarn has
    // served the first group by then, and more warm code runs faster: against it the local-store row gave 0.78x,
    // where an A/B of two processes with equal history (bench/ab.js) gave 0.94x
    const nrRateBase = startNode(CLI, nrArgs(ports.rlbRest, ports.rlbMcp, 'warn'), { name: 'naftiko-run (warn, reference of the rate limits)' });
    const redisInstalled = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
    const redis = redisInstalled ? spawnRedis(ports.redis) : undefined;
    if (redis) await waitForPorts([ports.redis], { child: redis, timeoutMs: START_MS_EARLY });
    const nrRateRedis = redis ? startNode(CLI, [...nrArgs(ports.rrRest, ports.rrMcp, 'warn'), ...BELOW, '--redis', `redis://${HOST}:${ports.redis}`], { name: 'naftiko-run (rate limit, Redis)' }) : undefined;
    if (!redis) log('bench: redis-server is not installed (apt-get install redis-server): the Redis rate-limit row is skipped');
    // ten processes start at once: on a shared two-core machine that can take a while
    const START_MS = 60_000;
    await Promise.all([
      waitForPorts([ports.up], { child: upstream, timeoutMs: START_MS }),
      waitForPorts([ports.floor], { child: floor, timeoutMs: START_MS }),
      waitForPorts([ports.floorMcp], { child: floorMcp, timeoutMs: START_MS }),
      waitForPorts([ports.nrRest, ports.nrMcp], { child: nr, timeoutMs: START_MS }),
      waitForPorts([ports.warnRest, ports.warnMcp], { child: nrWarn, timeoutMs: START_MS }),
      waitForPorts([ports.ctlRest, ports.ctlMcp, ports.ctl], { child: nrControl, timeoutMs: START_MS }),
      waitForPorts([ports.w2Rest, ports.w2Mcp], { child: nrWorkers, timeoutMs: START_MS }).then(() => waitForWorkers(nrWorkers.pid, 2)),
      waitForPorts([ports.rlRest, ports.rlMcp], { child: nrRateLocal, timeoutMs: START_MS }),
      waitForPorts([ports.rlbRest, ports.rlbMcp], { child: nrRateBase, timeoutMs: START_MS }),
      ...(nrRateRedis ? [waitForPorts([ports.rrRest, ports.rrMcp], { child: nrRateRedis, timeoutMs: START_MS })] : []),
    ]);
    let shuttingDown = false;
    let crashed;
    const guardExit = (c) => c.exited.then((e) => {
      if (!shuttingDown) crashed ??= new Error(`${c.benchName} exited during the bench (${e.signal ?? `code ${e.code}`})${c.stderrTail ? `:\n${c.stderrTail.trim()}` : ''}`);
    });
    const servers = [upstream, floor, floorMcp, nr, nrWarn, nrControl, nrWorkers, nrRateLocal, nrRateBase, ...(redis ? [redis, nrRateRedis] : [])];
    servers.forEach(guardExit);

    const extras = await startMcpExtras({ upstreamUrl, tmp, nr: `${`http://${HOST}:${ports.nrMcp}`}/mcp`, timeoutMs: START_MS });
    extras.sides.nrMcp2026.proc = nr;
    Object.values(extras.procs).forEach(guardExit);
    const base = (p) => `http://${HOST}:${p}`;
    const rest = (name, proc, port, urlPath) => ({ name, kind: 'rest', proc, url: base(port) + urlPath });
    const sides = {
      floorPassSmall: rest('floor proxy, pass-through 1 KB', floor, ports.floor, '/pass/small'),
      nrPassSmall: rest('naftiko-run, pass-through 1 KB', nr, ports.nrRest, '/pass/small'),
      warnPassSmall: rest('naftiko-run --log-level warn, pass-through 1 KB', nrWarn, ports.warnRest, '/pass/small'),
      controlPassSmall: rest('naftiko-run --control-port (metrics + traces), pass-through 1 KB', nrControl, ports.ctlRest, '/pass/small'),
      workersPassSmall: { ...rest('naftiko-run --workers 2, pass-through 1 KB', nrWorkers, ports.w2Rest, '/pass/small'), workers: true },
      floorPassLarge: rest('floor proxy, pass-through 100 KB', floor, ports.floor, '/pass/large'),
      nrPassLarge: rest('naftiko-run, pass-through 100 KB', nr, ports.nrRest, '/pass/large'),
      floorMappedSmall: rest('parse floor, mapped 1 KB', floor, ports.floor, '/mapped/small'),
      nrMappedSmall: rest('naftiko-run, mapped 1 KB', nr, ports.nrRest, '/mapped/small'),
      floorMappedLarge: rest('parse floor, mapped 100 KB', floor, ports.floor, '/mapped/large'),
      nrMappedLarge: rest('naftiko-run, mapped 100 KB', nr, ports.nrRest, '/mapped/large'),
      floorJoin: rest('join floor, 2 concurrent calls + lookup', floor, ports.floor, '/join'),
      nrJoin: rest('naftiko-run, orchestrated 2 calls + lookup', nr, ports.nrRest, '/join'),
      floorPassSmallFwd: rest('floor proxy, pass-through 1 KB (paired with forward)', floor, ports.floor, '/pass/small'),
      nrFwdSmall: rest('naftiko-run, forward 1 KB', nr, ports.nrRest, '/fwd/small'),
      nrPassSmallRl: rest('naftiko-run --log-level warn, pass-through 1 KB (own process, paired with rate limits)', nrRateBase, ports.rlbRest, '/pass/small'),
      rateLocalPassSmall: rest('naftiko-run --rate-limit (local store, below the limit), pass-through 1 KB', nrRateLocal, ports.rlRest, '/pass/small'),
      ...(nrRateRedis ? { rateRedisPassSmall: rest('naftiko-run --rate-limit --redis (below the limit), pass-through 1 KB', nrRateRedis, ports.rrRest, '/pass/small') } : {}),
      floorMcp: { name: 'SDK floor server, MCP tools/call 1 KB', kind: 'mcp', proc: floorMcp, url: `${base(ports.floorMcp)}/mcp`, tool: 'get-small' },
      nrMcp: { name: 'naftiko-run, MCP tools/call 1 KB', kind: 'mcp', proc: nr, url: `${base(ports.nrMcp)}/mcp`, tool: 'get-small' },
      ...extras.sides,
    };
    const mcpSides = [sides.floorMcp, sides.nrMcp, sides.floorMcp2026, sides.nrMcp2026, sides.nrMcpPlain, sides.nrMcpBearer, sides.nrMcpOauth];
    const groups = [
      [sides.floorPassSmall, sides.nrPassSmall, sides.warnPassSmall, sides.controlPassSmall, sides.workersPassSmall],
      [sides.floorPassLarge, sides.nrPassLarge],
      [sides.floorMappedSmall, sides.nrMappedSmall],
      [sides.floorMappedLarge, sides.nrMappedLarge],
      [sides.floorJoin, sides.nrJoin],
      [sides.floorPassSmallFwd, sides.nrFwdSmall],
      [sides.nrPassSmallRl, sides.rateLocalPassSmall, ...(sides.rateRedisPassSmall ? [sides.rateRedisPassSmall] : [])],
      [sides.floorMcp, sides.nrMcp, sides.nrMcpPlain, sides.nrMcpBearer, sides.nrMcpOauth],
      [sides.floorMcp2026, sides.nrMcp2026],
    ].filter((g) => !onlyMcp || g.every((side) => side.kind === 'mcp'));

    // --- every side answers what it should (the comparison is like for like) ---------------------
    // pass-through and forward: the same bytes; mapped and orchestrated: the same JSON
    const mapped = (size) => JSON.stringify(project(JSON.parse(docs[size].toString('utf8'))));
    const { ship, crew } = joinDocuments();
    const joined = JSON.stringify(joinCrew(ship, crew));
    for (const [side, expect, asJson] of [
      [sides.floorPassSmall, docs.small.toString()], [sides.nrPassSmall, docs.small.toString()], [sides.warnPassSmall, docs.small.toString()],
      [sides.controlPassSmall, docs.small.toString()], [sides.workersPassSmall, docs.small.toString()],
      [sides.floorPassLarge, docs.large.toString()], [sides.nrPassLarge, docs.large.toString()],
      [sides.floorMappedSmall, mapped('small'), true], [sides.nrMappedSmall, mapped('small'), true],
      [sides.floorMappedLarge, mapped('large'), true], [sides.nrMappedLarge, mapped('large'), true],
      [sides.floorJoin, joined, true], [sides.nrJoin, joined, true],
      [sides.floorPassSmallFwd, docs.small.toString()], [sides.nrFwdSmall, docs.small.toString()],
      [sides.nrPassSmallRl, docs.small.toString()], [sides.rateLocalPassSmall, docs.small.toString()],
      ...(sides.rateRedisPassSmall ? [[sides.rateRedisPassSmall, docs.small.toString()]] : []),
    ]) {
      if (onlyMcp) break;
      if (crashed) throw crashed;
      let res;
      let text;
      try {
        res = await fetch(side.url);
        text = await res.text();
      } catch (err) {
        throw new Error(`bench: ${side.name} (${side.url}) did not answer: ${err.cause?.message ?? err.message}`);
      }
      const same = asJson ? sameJson(text, expect) : text === expect;
      if (res.status !== 200 || !same) throw new Error(`bench: ${side.name} (${side.url}) answered ${res.status} with an unexpected body: ${text.slice(0, 200)}`);
    }
    for (const side of mcpSides) {
      await connectSide(side, cfg.mcpCallers);
      const r = await side.clients[0].callTool({ name: side.tool, arguments: {} });
      if (r.isError || r.content?.[0]?.text !== docs.small.toString()) throw new Error(`bench: ${side.name} tools/call answered unexpectedly: ${JSON.stringify(r).slice(0, 300)}`);
      side.expectText = docs.small.toString();
    }

    // --- load: warm-up, then alternated rounds ---------------------------------------------------
    const results = new Map(groups.flat().map((s) => [s, []]));
    const runSide = async (side, seconds, warmup = false) => {
      if (crashed) throw crashed;
      // a --workers side's CPU is its primary's and its workers'
      const cpuOf = () => (side.workers ? [side.proc.pid, ...childPids(side.proc.pid)] : [side.proc.pid]).reduce((sum, pid) => sum + cpuMs(pid), 0);
      const cpu0 = cpuOf();
      const self0 = process.cpuUsage();
      const r = side.kind === 'mcp'
        ? await mcpLoad(side.clients, { tool: side.tool, durationSec: warmup ? 60 : seconds, expectText: side.expectText, ...(warmup ? { maxCalls: cfg.warmupCalls } : {}) })
        : await cannon(side.url, seconds, warmup ? cfg.warmupRequests : undefined);
      if (crashed) throw crashed;
      r.cpuUs = ((cpuOf() - cpu0) * 1000) / r.total;
      const self = process.cpuUsage(self0);
      // the load generator runs in this process, on the same cores
      r.generatorCpuShare = (self.user + self.system) / 1000 / (seconds * 1000);
      return r;
    };
    const rssIdle = rssMB(nr.pid);
    log('bench: warm-up');
    for (const group of groups) for (const side of group) await runSide(side, 0, true);
    const rss = [];
    const rssSamples = [];
    for (let round = 0; round < cfg.rounds; round++) {
      // VmRSS of naftiko-run every 250 ms through the round: its median is steady against the GC sawtooth
      const samples = [];
      rssSamples.push(samples);
      const sampler = setInterval(() => samples.push(rssMB(nr.pid)), 250);
      for (const group of groups) {
        const order = round % 2 === 0 ? group : [...group].reverse();
        for (const side of order) {
          const r = await runSide(side, cfg.duration);
          results.get(side).push(r);
          log(`bench: round ${round + 1}/${cfg.rounds}  ${side.name.padEnd(50)} ${fmt.int(r.rps).padStart(8)} req/s  p99 ${fmt.ms(r.p99)}${r.errors || r.non2xx || r.mismatches ? `  (${r.errors} errors, ${r.non2xx ?? r.mismatches} bad answers)` : ''}`);
        }
      }
      clearInterval(sampler);
      await sleep(200);
      rss.push(rssMB(nr.pid));
      log(`bench: after round ${round + 1}: naftiko-run RSS ${fmt.mb(rss.at(-1))} (median during the round ${fmt.mb(median(samples))})`);
    }
    for (const side of mcpSides) await closeCallers(side.clients);
    const jwks = await extras.issuerStats();
    const infoLogBytes = statSync(infoLog).size;
    const rssPeak = peakRssMB(nr.pid);
    const rssFloors = { proxy: rssMB(floor.pid), mcp: rssMB(floorMcp.pid) };
    const loadAfter = os.loadavg()[0];

    shuttingDown = true;
    await Promise.all([...servers, ...Object.values(extras.procs)].map((c) => stop(c)));
    if (onlyMcp) {
      process.stdout.write(mcpReport({ sides, results, loadBefore, loadAfter, jwks, elapsed: (performance.now() - started) / 1000 }) + '\n');
      return;
    }

    // --- cold start and the 1,000-operation load ----------------------------------------------------
    log('bench: cold start, capabilities/bulksync.yaml');
    const cold = [];
    const coldBase = [];
    for (let i = 0; i < cfg.coldRuns; i++) {
      cold.push(await coldStart());
      coldBase.push(await coldBaseline());
    }
    log(`bench: cold start ${cold.map((c) => `${c.accepting.toFixed(0)} (first MCP answer ${c.firstMcp.toFixed(0)})`).join(', ')} ms`);

    log('bench: 1,000-operation capability, load + validate');
    const genFile = path.join(tmp, 'generated-1000.yaml');
    writeFileSync(genFile, generateCapability(1000));
    const loads = [];
    for (let i = 0; i < cfg.loadRuns; i++) loads.push(await loadInFreshProcess(genFile));
    log(`bench: loadCapability ${loads.map((l) => l.loadMs.toFixed(0)).join(', ')} ms`);

    let tutorials;
    if (existsSync(TUTORIAL_DIR)) {
      log(`bench: the tutorial capabilities (${path.relative(ROOT, TUTORIAL_DIR)}), load`);
      const runs = [];
      for (let i = 0; i < cfg.loadRuns; i++) runs.push(await loadInFreshProcess(TUTORIAL_DIR, 'load-tutorials.js'));
      tutorials = { runs };
      log(`bench: loadCapability × ${runs[0].files}: ${runs.map((l) => l.loadMs.toFixed(0)).join(', ')} ms`);
    } else {
      tutorials = { missing: TUTORIAL_DIR };
      log(`bench: ${TUTORIAL_DIR} not found; the tutorial load is skipped`);
    }

    // --- report --------------------------------------------------------------------------------------
    const section = report({ sides, results, rss, rssSamples, rssIdle, rssPeak, rssFloors, loadBefore, loadAfter, cold, coldBase, loads, tutorials, genBytes: statSync(genFile).size, infoLogBytes, elapsed: (performance.now() - started) / 1000 });
    process.stdout.write(section + '\n');
    if (!opt['no-write']) {
      writeSection(OUT, section);
      log(`bench: results written to ${path.relative(process.cwd(), OUT) || OUT}`);
    }
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const START_MS_EARLY = 15_000;

/** Debian's redis-server on `port` (loopback, no persistence), stopped with the other servers. */
function spawnRedis(port) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.benchName = 'redis-server';
  child.stderrTail = '';
  child.stderr.on('data', (d) => (child.stderrTail = (child.stderrTail + d).slice(-4096)));
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  process.once('exit', () => child.kill('SIGKILL'));
  return child;
}

/** The child processes of `pid` (a --workers primary's workers), from /proc. */
function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resolves once the --workers primary `pid` has `n` workers and they had a moment to listen. */
async function waitForWorkers(pid, n) {
  const until = Date.now() + 30_000;
  while (childPids(pid).length < n) {
    if (Date.now() > until) throw new Error(`bench: the --workers primary (pid ${pid}) did not start ${n} workers`);
    await sleep(100);
  }
  await sleep(1_000);
}

function sameJson(a, b) {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/** One autocannon run; latencies come from the per-response event (fractional ms, not the 1 ms histogram). */
function cannon(url, seconds, amount) {
  return new Promise((resolve, reject) => {
    const lat = [];
    const inst = autocannon({ url, connections: cfg.connections, pipelining: 1, timeout: 10, ...(amount ? { amount } : { duration: seconds }) }, (err, res) => {
      if (err) return reject(err);
      resolve({
        rps: res.requests.total / res.duration,
        total: res.requests.total,
        errors: res.errors + res.timeouts,
        non2xx: res.non2xx,
        mbps: res.throughput.total / res.duration / 1e6,
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
      });
    });
    inst.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) lat.push(ms);
    });
  });
}

/** Spawn → a bare node:http server accepting on two ports (ms): the part of a cold start no server avoids. */
async function coldBaseline() {
  const a = await freePort();
  const b = await freePort();
  const t0 = performance.now();
  const child = startNode(path.join(BENCH_DIR, 'listen-baseline.js'), [String(a), String(b)], { name: 'listen baseline', guard: false });
  try {
    await waitForPorts([a, b], { child, intervalMs: 2 });
    return performance.now() - t0;
  } finally {
    await stop(child);
  }
}

/** Process spawn → both ports of bulksync.yaml accepting TCP connections (ms). */
async function coldStart() {
  const restPort = await freePort();
  const mcpPort = await freePort();
  const file = path.join(ROOT, 'capabilities', 'bulksync.yaml');
  const t0 = performance.now();
  const child = startNode(CLI, [file, '--port', `polytomic-subpackage-bulksync-rest=${restPort}`, '--port', `polytomic-subpackage-bulksync-mcp=${mcpPort}`, '--log-level', 'warn'], { name: 'naftiko-run (cold start)', guard: false });
  try {
    await waitForPorts([restPort, mcpPort], { child, intervalMs: 2, timeoutMs: 20_000 });
    const accepting = performance.now() - t0;
    // also: until the MCP adapter answers its first request (an `initialize`), which needs the SDK loaded
    const res = await fetch(`http://${HOST}:${mcpPort}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } } }),
    });
    const text = await res.text();
    if (res.status !== 200 || !text.includes('"result"')) throw new Error(`bench: cold start: MCP initialize answered ${res.status}: ${text.slice(0, 200)}`);
    return { accepting, firstMcp: performance.now() - t0 };
  } finally {
    await stop(child);
  }
}

function loadInFreshProcess(file, script = 'load-capability.js') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(BENCH_DIR, script), file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench: ${script} ${path.relative(ROOT, file)} failed (exit ${code}):\n${err.slice(-4000)}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

function warnIfStale() {
  const newest = (dir, ext) => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith(ext)) t = Math.max(t, statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
    }
    return t;
  };
  try {
    if (newest(path.join(ROOT, 'src'), '.ts') > newest(path.join(ROOT, 'dist'), '.js')) log('bench: warning: src/ is newer than dist/ — rebuild (npm run build) to measure the current code');
  } catch {
    /* no src/ in a packed install */
  }
}

// ---------------------------------------------------------------------------------------------------
// Report.

function report({ sides, results, rss, rssSamples, rssIdle, rssPeak, rssFloors, loadBefore, loadAfter, cold, coldBase, loads, tutorials, genBytes, infoLogBytes, elapsed }) {
  const m = (side, k) => median(results.get(side).map((r) => r[k]));
  const rps = (s) => m(s, 'rps');
  const p99 = (s) => m(s, 'p99');
  const bad = (s) => results.get(s).reduce((n, r) => n + (r.errors ?? 0) + (r.non2xx ?? 0) + (r.mismatches ?? 0), 0);
  const verdict = (ok, ...s) => (s.some((x) => bad(x) > 0) ? 'invalid (errors)' : ok ? '**met**' : '**not met**');
  const ratioRow = (label, a, b, ref, target, min) => {
    const ratio = rps(a) / rps(b);
    return [label, fmt.int(rps(a)), `${fmt.int(rps(b))} (${ref})`, fmt.x(ratio), target, min === undefined ? '—' : verdict(ratio >= min, a, b)];
  };
  const p99Row = (label, a, b) => {
    const d = p99(a) - p99(b);
    return [label, fmt.ms(p99(a)), `${fmt.ms(p99(b))} (floor proxy)`, `${d >= 0 ? '+' : ''}${d.toFixed(2)} ms`, '≤ floor + 1 ms', verdict(d <= 1, a, b)];
  };
  const coldMs = median(cold.map((c) => c.accepting));
  const coldMcpMs = median(cold.map((c) => c.firstMcp));
  const loadMs = median(loads.map((l) => l.loadMs));
  const rssAfter = rss.at(-1);
  const roundRss = rssSamples.map(median);
  const growth = roundRss.length >= 2 ? ((roundRss.at(-1) - roundRss.at(-2)) / roundRss.at(-2)) * 100 : NaN;
  const cpuRatio = (a, b) => m(a, 'cpuUs') / m(b, 'cpuUs');
  const cpuTargetRow = (label, a, b, ref, max) => {
    const ratio = cpuRatio(a, b);
    return [label, fmt.us(m(a, 'cpuUs')), `${fmt.us(m(b, 'cpuUs'))} (${ref})`, fmt.x(ratio), `≤ ${max.toFixed(2)}×`, verdict(ratio <= max, a, b)];
  };
  const tutorialRow = () => {
    const label = 'Eleven tutorial capabilities, load + validate (one process)';
    if (!tutorials.runs) return [label, 'n/a', '—', `skipped: ${tutorials.missing} not found`, '< 1 s', '—'];
    const ms = median(tutorials.runs.map((l) => l.loadMs));
    const first = tutorials.runs[0];
    const slowest = Object.entries(first.perFile).sort((x, y) => y[1] - x[1]).slice(0, 3).map(([f, t]) => `${f.replace(/^step-(\d+)-.*$/, 'step $1')} ${t.toFixed(0)}`).join(', ');
    return [label, fmt.ms(ms, 0), '—', `${first.files} files; runs: ${tutorials.runs.map((l) => l.loadMs.toFixed(0)).join(', ')} ms (import ${median(tutorials.runs.map((l) => l.importMs)).toFixed(0)} ms not counted); slowest in the first run: ${slowest} ms`, '< 1 s', first.files === 11 ? verdict(ms < 1000) : `— (${first.files} files, not 11)`];
  };

  const rows = [
    ratioRow('REST pass-through 1 KB, req/s', sides.nrPassSmall, sides.floorPassSmall, 'floor proxy', '≥ 0.95×', 0.95),
    ratioRow('REST pass-through 100 KB, req/s', sides.nrPassLarge, sides.floorPassLarge, 'floor proxy', '≥ 0.95×', 0.95),
    p99Row('REST pass-through 1 KB, p99 latency', sides.nrPassSmall, sides.floorPassSmall),
    p99Row('REST pass-through 100 KB, p99 latency', sides.nrPassLarge, sides.floorPassLarge),
    ratioRow('REST mapped 1 KB, req/s', sides.nrMappedSmall, sides.floorMappedSmall, 'parse floor', '≥ 0.85×', 0.85),
    ratioRow('REST mapped 100 KB, req/s (no target)', sides.nrMappedLarge, sides.floorMappedLarge, 'parse floor', '—'),
    ratioRow('REST pass-through 1 KB with --log-level warn (no access line), req/s (no target)', sides.warnPassSmall, sides.floorPassSmall, 'floor proxy', `— (the default is ${fmt.x(rps(sides.nrPassSmall) / rps(sides.warnPassSmall))} of it)`),
    ratioRow('REST pass-through 1 KB with the control adapter on (metrics + traces), req/s', sides.controlPassSmall, sides.warnPassSmall, 'naftiko-run at warn without it', '≥ 0.90×', 0.9),
    ratioRow(`REST pass-through 1 KB with --workers 2, req/s (the load generator took ${(m(sides.workersPassSmall, 'generatorCpuShare') * 100).toFixed(0)} % of a core)`, sides.workersPassSmall, sides.warnPassSmall, 'one process at warn', '≥ 1.5×', 1.5),
    ...mcpTargetRows(sides, ratioRow),
    ratioRow('REST orchestrated (2 concurrent calls + lookup), req/s', sides.nrJoin, sides.floorJoin, 'join floor', '≥ 0.90×', 0.9),
    cpuTargetRow('REST orchestrated (2 concurrent calls + lookup), server CPU per request', sides.nrJoin, sides.floorJoin, 'join floor', 1.15),
    ratioRow('REST forward 1 KB (/fwd/small), req/s', sides.nrFwdSmall, sides.floorPassSmallFwd, 'floor proxy /pass/small', '≥ 0.95×', 0.95),
    ratioRow('REST pass-through 1 KB with a rate limit (local store, below the limit), req/s', sides.rateLocalPassSmall, sides.nrPassSmallRl, 'naftiko-run at warn without it', '≥ 0.95×', 0.95),
    sides.rateRedisPassSmall
      ? ratioRow('REST pass-through 1 KB with a rate limit shared through Redis (below the limit), req/s', sides.rateRedisPassSmall, sides.nrPassSmallRl, 'naftiko-run at warn without it', '≥ 0.80×', 0.8)
      : ['REST pass-through 1 KB with a rate limit shared through Redis, req/s', 'n/a', '—', 'skipped: redis-server not installed', '≥ 0.80×', '—'],
    ['Cold start, bulksync.yaml (spawn → both ports accept)', fmt.ms(coldMs, 0), '—', `runs: ${cold.map((c) => c.accepting.toFixed(0)).join(', ')} ms; → first MCP initialize answered: median ${coldMcpMs.toFixed(0)} ms; bare node:http on two ports: median ${median(coldBase).toFixed(0)} ms`, '≤ 300 ms', verdict(coldMs <= 300)],
    ['RSS of naftiko-run after the load', fmt.mb(rssAfter), '—', `after start-up ${rssIdle.toFixed(1)} MB; after each round ${rss.map((r) => r.toFixed(1)).join(', ')} MB; peak ${rssPeak.toFixed(1)} MB (floor proxy ${rssFloors.proxy.toFixed(1)} MB, floor MCP server ${rssFloors.mcp.toFixed(1)} MB after the same load)`, '≤ 120 MB', verdict(rssAfter <= 120)],
    ['RSS growth between the last two load rounds', fmt.pct(growth), '—', `median VmRSS during each round (sampled every 250 ms): ${roundRss.map((r) => r.toFixed(1)).join(', ')} MB`, '≤ 5 %', verdict(growth <= 5)],
    ['1,000-operation capability, load + validate', fmt.ms(loadMs, 0), '—', `runs: ${loads.map((l) => l.loadMs.toFixed(0)).join(', ')} ms (import ${median(loads.map((l) => l.importMs)).toFixed(0)} ms not counted)`, '≤ 1 s', verdict(loadMs <= 1000)],
    tutorialRow(),
  ];

  const detail = [...results.keys()].map((s) => {
    const rs = results.get(s);
    return [s.name, fmt.int(rps(s)), rs.map((r) => fmt.int(r.rps)).join(' / '), fmt.ms(m(s, 'p50')), fmt.ms(p99(s)), fmt.us(m(s, 'cpuUs')), s.kind === 'rest' ? `${m(s, 'mbps').toFixed(1)} MB/s` : '—', String(bad(s))];
  });
  const cpuRow = (label, a, b, ref) => {
    const ratios = results.get(a).map((r, i) => r.cpuUs / results.get(b)[i].cpuUs);
    return [label, fmt.us(m(a, 'cpuUs')), `${fmt.us(m(b, 'cpuUs'))} (${ref})`, fmt.x(m(a, 'cpuUs') / m(b, 'cpuUs')), `${fmt.x(Math.min(...ratios))} – ${fmt.x(Math.max(...ratios))}`];
  };
  const cpu = [
    cpuRow('REST pass-through 1 KB', sides.nrPassSmall, sides.floorPassSmall, 'floor proxy'),
    cpuRow('REST pass-through 100 KB', sides.nrPassLarge, sides.floorPassLarge, 'floor proxy'),
    cpuRow('REST mapped 1 KB', sides.nrMappedSmall, sides.floorMappedSmall, 'parse floor'),
    cpuRow('REST mapped 100 KB', sides.nrMappedLarge, sides.floorMappedLarge, 'parse floor'),
    cpuRow('REST pass-through 1 KB, --log-level warn', sides.warnPassSmall, sides.floorPassSmall, 'floor proxy'),
    cpuRow('REST pass-through 1 KB, control adapter on (warn)', sides.controlPassSmall, sides.warnPassSmall, 'naftiko-run at warn without it'),
    cpuRow('REST pass-through 1 KB, --workers 2 (primary + workers, warn)', sides.workersPassSmall, sides.warnPassSmall, 'one process at warn'),
    cpuRow('MCP tools/call 1 KB', sides.nrMcp, sides.floorMcp, 'SDK floor server'),
    ...mcpCpuRows(sides, cpuRow),
    cpuRow('REST orchestrated, 2 concurrent calls + lookup', sides.nrJoin, sides.floorJoin, 'join floor'),
    cpuRow('REST forward 1 KB', sides.nrFwdSmall, sides.floorPassSmallFwd, 'floor proxy /pass/small'),
    cpuRow('REST pass-through 1 KB, rate limit (local store)', sides.rateLocalPassSmall, sides.nrPassSmallRl, 'naftiko-run at warn without it'),
    ...(sides.rateRedisPassSmall ? [cpuRow('REST pass-through 1 KB, rate limit (Redis; its CPU not counted)', sides.rateRedisPassSmall, sides.nrPassSmallRl, 'naftiko-run at warn without it')] : []),
  ];

  const cpus = os.cpus();
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += ' + uncommitted changes in src/';
  } catch {
    /* not a git checkout */
  }
  const lines = [
    `Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} with \`${command}\` (${elapsed.toFixed(0)} s).`,
    '',
    `- Machine: ${cpus[0]?.model?.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; naftiko-run ${readVersion()}${commit ? ` (${commit})` : ''}`,
    `- Load: ${cfg.rounds} alternated rounds × ${cfg.duration} s per side (after a warm-up of ${cfg.warmupRequests} requests or ${cfg.warmupCalls} MCP calls each), autocannon with ${cfg.connections} connections, ${cfg.mcpCallers} concurrent MCP SDK callers; medians over rounds; client and servers share the machine (1-minute load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after the load)`,
    '',
    '| Measure | naftiko-run | Reference | Ratio / detail | Target | Result |',
    '|---|--:|--:|--:|:-:|:-:|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    'Server CPU time per request (user + system of the server process, from /proc; steadier than req/s when the machine is shared, lower is better):',
    '',
    '| Case | naftiko-run | Reference | Ratio (median) | Ratio range over rounds |',
    '|---|--:|--:|--:|--:|',
    ...cpu.map((r) => `| ${r.join(' | ')} |`),
    '',
    'Every side (median over rounds; per-round req/s in order):',
    '',
    '| Side | req/s | per round | p50 | p99 | server CPU/req | throughput | errors |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    ...detail.map((r) => `| ${r.join(' | ')} |`),
    '',
    `Cold start runs (ms, spawn → both ports accepting / → first MCP initialize answered): ${cold.map((c) => `${c.accepting.toFixed(1)} / ${c.firstMcp.toFixed(1)}`).join(', ')}. Generated capability: ${(genBytes / 1024).toFixed(0)} KB, ${loads[0]?.consumed} consumed operations, ${loads[0]?.exposed} exposed operations and tools. The default (info-level) server wrote ${(infoLogBytes / 1024).toFixed(0)} KB of log to a file.`,
  ];
  return lines.join('\n');
}

/** `--only mcp`: the MCP rows, their CPU per call and every MCP side, as the full report writes them. */
function mcpReport({ sides, results, loadBefore, loadAfter, jwks, elapsed }) {
  const m = (side, k) => median(results.get(side).map((r) => r[k]));
  const bad = (s) => results.get(s).reduce((n, r) => n + (r.errors ?? 0) + (r.mismatches ?? 0), 0);
  const verdict = (ok, ...s) => (s.some((x) => bad(x) > 0) ? 'invalid (errors)' : ok ? '**met**' : '**not met**');
  const ratioRow = (label, a, b, ref, target, min) => {
    const ratio = m(a, 'rps') / m(b, 'rps');
    return [label, fmt.int(m(a, 'rps')), `${fmt.int(m(b, 'rps'))} (${ref})`, fmt.x(ratio), target, verdict(ratio >= min, a, b)];
  };
  const cpuRow = (label, a, b, ref) => {
    const ratios = results.get(a).map((r, i) => r.cpuUs / results.get(b)[i].cpuUs);
    return [label, fmt.us(m(a, 'cpuUs')), `${fmt.us(m(b, 'cpuUs'))} (${ref})`, fmt.x(m(a, 'cpuUs') / m(b, 'cpuUs')), `${fmt.x(Math.min(...ratios))} – ${fmt.x(Math.max(...ratios))}`];
  };
  return [
    `Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} with \`${command}\` (${elapsed.toFixed(0)} s): ${cfg.rounds} alternated rounds × ${cfg.duration} s per side, ${cfg.mcpCallers} MCP callers; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after; the OAuth side's issuer served its JWKS ${jwks.jwksFetches} time(s).`,
    '',
    '| Measure | naftiko-run | Reference | Ratio | Target | Result |',
    '|---|--:|--:|--:|:-:|:-:|',
    ...mcpTargetRows(sides, ratioRow).map((r) => `| ${r.join(' | ')} |`),
    '',
    '| Server CPU per call | naftiko-run | Reference | Ratio (median) | Range over rounds |',
    '|---|--:|--:|--:|--:|',
    ...[cpuRow('MCP tools/call 1 KB, 2025-11-25 client', sides.nrMcp, sides.floorMcp, 'SDK 1.x floor server'), ...mcpCpuRows(sides, cpuRow)].map((r) => `| ${r.join(' | ')} |`),
    '',
    '| Side | calls/s | per round | p50 | p99 | server CPU/call | errors |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...[...results.keys()].map((s) => `| ${[s.name, fmt.int(m(s, 'rps')), results.get(s).map((r) => fmt.int(r.rps)).join(' / '), fmt.ms(m(s, 'p50')), fmt.ms(m(s, 'p99')), fmt.us(m(s, 'cpuUs')), String(bad(s))].join(' | ')} |`),
  ].join('\n');
}

function readVersion() {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

function writeSection(file, section) {
  const block = `${START}\n${section}\n${END}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + END.length);
  else text = (text ? text.replace(/\n*$/, '\n\n') : '# Benchmarks\n\n') + block + '\n';
  writeFileSync(file, text);
}

main().then(
  () => process.exit(0),
  async (e) => {
    log(`bench: failed: ${e?.stack ?? e}${e?.cause ? `\n  cause: ${e.cause.stack ?? e.cause}` : ""}`);
    await stopAll();
    process.exit(1);
  },
);
