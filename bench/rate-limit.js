#!/usr/bin/env node
/**
 * Only the rate-limit rows of bench/run.js, for a quick number: REST pass-through 1 KB through
 * naftiko-run without a limit, with one far below the limit on the local store, and with it shared
 * through Redis (Debian's redis-server on a free loopback port). Alternated rounds, medians.
 *
 *   node bench/rate-limit.js [--rounds 5] [--duration 3] [--connections 32]
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { BENCH_DIR, CLI, HOST, cpuMs, freePort, median, startNode, stopAll, waitForPorts } from './lib.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, duration: { type: 'string', default: '3' }, connections: { type: 'string', default: '32' } } });
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);

const cannon = (url, seconds, amount) => new Promise((resolve, reject) => {
  autocannon({ url, connections: CONNECTIONS, pipelining: 1, timeout: 10, ...(amount ? { amount } : { duration: seconds }) }, (err, res) => (err ? reject(err) : resolve(res)));
});

const ports = { up: await freePort(), redis: await freePort(), a: await freePort(), am: await freePort(), b: await freePort(), bm: await freePort(), c: await freePort(), cm: await freePort() };
const upstreamUrl = `http://${HOST}:${ports.up}`;
const capability = path.join(BENCH_DIR, 'bench-capability.yaml');
const args = (rest, mcp) => [capability, '--base-uri', `upstream=${upstreamUrl}`, '--port', `bench-rest=${rest}`, '--port', `bench-mcp=${mcp}`, '--log-level', 'warn'];
const BELOW = ['--rate-limit', 'pass-small=1000000000/1h'];
let redis;
try {
  const upstream = startNode(path.join(BENCH_DIR, 'upstream.js'), [String(ports.up)], { name: 'upstream' });
  const sides = [
    { name: 'no rate limit', proc: startNode(CLI, args(ports.a, ports.am), { name: 'off' }), port: ports.a, ports: [ports.a, ports.am] },
    { name: 'rate limit, local store', proc: startNode(CLI, [...args(ports.b, ports.bm), ...BELOW], { name: 'local' }), port: ports.b, ports: [ports.b, ports.bm] },
  ];
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) {
    redis = spawn('redis-server', ['--port', String(ports.redis), '--bind', HOST, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForPorts([ports.redis]);
    sides.push({ name: 'rate limit, Redis', proc: startNode(CLI, [...args(ports.c, ports.cm), ...BELOW, '--redis', `redis://${HOST}:${ports.redis}`], { name: 'redis' }), port: ports.c, ports: [ports.c, ports.cm] });
  } else console.error('redis-server not installed: the Redis side is skipped');
  await waitForPorts([ports.up], { child: upstream });
  for (const s of sides) await waitForPorts(s.ports, { child: s.proc, timeoutMs: 30_000 });
  for (const s of sides) {
    s.rps = [];
    s.cpu = [];
    await cannon(`http://${HOST}:${s.port}/pass/small`, 0, 3000);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of round % 2 ? [...sides].reverse() : sides) {
      const cpu0 = cpuMs(s.proc.pid);
      const r = await cannon(`http://${HOST}:${s.port}/pass/small`, DURATION);
      if (r.non2xx || r.errors) throw new Error(`${s.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      s.rps.push(r.requests.total / r.duration);
      s.cpu.push(((cpuMs(s.proc.pid) - cpu0) * 1000) / r.requests.total);
    }
  }
  const off = median(sides[0].rps);
  console.log(`| side | req/s (median of ${ROUNDS} × ${DURATION} s) | per round | ratio to off | server CPU/req |`);
  console.log('|---|--:|--:|--:|--:|');
  for (const s of sides) console.log(`| ${s.name} | ${median(s.rps).toFixed(0)} | ${s.rps.map((x) => x.toFixed(0)).join(' / ')} | ${(median(s.rps) / off).toFixed(2)}× | ${median(s.cpu).toFixed(0)} µs |`);
} finally {
  await stopAll();
  if (redis) {
    redis.kill('SIGTERM');
    await new Promise((r) => redis.once('exit', r));
  }
}
process.exit(0);
