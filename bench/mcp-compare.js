#!/usr/bin/env node
/**
 * The MCP SDK comparison behind docs/mcp-sdk.md: hand-written servers on SDK 1.x (bench/floor-mcp.js)
 * and SDK 2.x (bench/floor-mcp-v2.js), and naftiko-run, each driven by 16 SDK 1.x clients (2025 era)
 * calling the 1 KB tool; then the 2.x floor and naftiko-run driven by 16 SDK 2.x clients pinned to
 * 2026-07-28. Alternated round after round (order flipped every round); server CPU per call from /proc.
 * At commit 29dacaf, `NR_MCP_SDK2=1` ran naftiko-run's adapter on SDK 2.x: the "adapter on SDK 2.x" side.
 * Usage: node bench/mcp-compare.js [--rounds N] [--duration S] [--callers N]
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { BENCH_DIR, CLI, HOST, cpuMs, documentBuffers, fmt, freePort, median, startNode, stop, waitForPorts } from './lib.js';
import { closeCallers, connectCallers, mcpLoad } from './mcp-load.js';

const { values: opt } = parseArgs({ options: { rounds: { type: 'string' }, duration: { type: 'string' }, callers: { type: 'string' } } });
const rounds = Number(opt.rounds ?? 5);
const duration = Number(opt.duration ?? 3);
const callers = Number(opt.callers ?? 16);
const log = (s) => process.stderr.write(s + '\n');

const ports = { up: await freePort(), floor: await freePort(), floor2: await freePort(), v1: await freePort() };
const upstreamUrl = `http://${HOST}:${ports.up}`;
const capability = path.join(BENCH_DIR, 'bench-capability.yaml');
const nrArgs = (mcp) => [capability, '--base-uri', `upstream=${upstreamUrl}`, '--port', `bench-rest=0`, '--port', `bench-mcp=${mcp}`, '--log-level', 'warn'];
const procs = {
  upstream: startNode(path.join(BENCH_DIR, 'upstream.js'), [String(ports.up)], { name: 'upstream' }),
  floor: startNode(path.join(BENCH_DIR, 'floor-mcp.js'), [String(ports.floor), upstreamUrl], { name: 'floor-mcp' }),
  floor2: startNode(path.join(BENCH_DIR, 'floor-mcp-v2.js'), [String(ports.floor2), upstreamUrl], { name: 'floor-mcp-v2' }),
  v1: startNode(CLI, nrArgs(ports.v1), { name: 'naftiko-run sdk 1.x' }),
};
await Promise.all([
  waitForPorts([ports.up], { child: procs.upstream, timeoutMs: 60_000 }),
  waitForPorts([ports.floor], { child: procs.floor, timeoutMs: 60_000 }),
  waitForPorts([ports.floor2], { child: procs.floor2, timeoutMs: 60_000 }),
  waitForPorts([ports.v1], { child: procs.v1, timeoutMs: 60_000 }),
]);
const expectText = documentBuffers().small.toString();
const sides = [
  { name: 'SDK 1.x floor, 2025 client', proc: procs.floor, url: `http://${HOST}:${ports.floor}/mcp` },
  { name: 'SDK 2.x floor, 2025 client', proc: procs.floor2, url: `http://${HOST}:${ports.floor2}/mcp` },
  { name: 'naftiko-run, 2025 client', proc: procs.v1, url: `http://${HOST}:${ports.v1}/mcp` },
  { name: 'SDK 2.x floor, 2026-07-28 client', proc: procs.floor2, url: `http://${HOST}:${ports.floor2}/mcp`, era: '2026' },
  { name: 'naftiko-run, 2026-07-28 client', proc: procs.v1, url: `http://${HOST}:${ports.v1}/mcp`, era: '2026' },
];
for (const s of sides) {
  s.clients = await connectCallers(s.url, callers, { era: s.era ?? '2025' });
  const r = await s.clients[0].callTool({ name: 'get-small', arguments: {} });
  if (r.isError || r.content?.[0]?.text !== expectText) throw new Error(`${s.name} answered ${JSON.stringify(r).slice(0, 300)}`);
  s.results = [];
}
for (const s of sides) await mcpLoad(s.clients, { tool: 'get-small', durationSec: 60, maxCalls: 5000, expectText });
for (let round = 0; round < rounds; round++) {
  for (const s of round % 2 ? [...sides].reverse() : sides) {
    const cpu0 = cpuMs(s.proc.pid);
    const r = await mcpLoad(s.clients, { tool: 'get-small', durationSec: duration, expectText });
    r.cpuUs = ((cpuMs(s.proc.pid) - cpu0) * 1000) / r.total;
    s.results.push(r);
    log(`round ${round + 1}/${rounds}  ${s.name.padEnd(36)} ${fmt.int(r.rps).padStart(7)} calls/s  ${r.cpuUs.toFixed(0)} µs CPU/call  p99 ${fmt.ms(r.p99)}${r.errors || r.mismatches ? `  (${r.errors} errors, ${r.mismatches} bad)` : ''}`);
  }
}
for (const s of sides) await closeCallers(s.clients);
await Promise.all(Object.values(procs).map((p) => stop(p)));
const floorRps = median(sides[0].results.map((r) => r.rps));
console.log(`| side | calls/s (median) | × SDK 1.x floor | CPU µs per call (median) | p99 ms |\n|---|---:|---:|---:|---:|`);
for (const s of sides) {
  const rps = median(s.results.map((r) => r.rps));
  console.log(`| ${s.name} | ${fmt.int(rps)} | ${(rps / floorRps).toFixed(2)}× | ${median(s.results.map((r) => r.cpuUs)).toFixed(0)} | ${median(s.results.map((r) => r.p99)).toFixed(1)} |`);
}
