#!/usr/bin/env node
/**
 * Soak: naftiko-run at its default configuration (--log-level info, to a file) under a steady 80 % of
 * the capacity measured first, for a long time; reports errors and whether RSS stays flat.
 *
 *   npm run bench -- --soak [--minutes 10] [--fraction 0.8] [--path /pass/small]
 *
 * Capacity: the median req/s of three 3 s autocannon runs at 32 connections. Soak: autocannon with
 * `overallRate` at `fraction` × capacity. RSS (VmRSS from /proc) is sampled every 5 s; "flat" compares
 * the median of the second minute with the median of the last minute (the first minute is warm-up).
 * Appends one row to the "Soak" table of BENCHMARKS.md (unless --no-write).
 */
import { parseArgs } from 'node:util';
import { openSync, closeSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { BENCH_DIR, CLI, HOST, ROOT, freePort, median, rssMB, sleep, startNode, stopAll, waitForPorts } from './lib.js';

const { values: opt } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--soak'),
  options: {
    minutes: { type: 'string' },
    fraction: { type: 'string' },
    path: { type: 'string' },
    'no-write': { type: 'boolean' },
  },
});
const minutes = Number(opt.minutes ?? 10);
const fraction = Number(opt.fraction ?? 0.8);
const urlPath = opt.path ?? '/pass/small';
if (!(minutes > 0) || !(fraction > 0 && fraction <= 1)) throw new Error('soak: --minutes must be > 0 and --fraction in (0, 1]');
const log = (s) => process.stderr.write(s + '\n');

function cannon(url, options) {
  return new Promise((resolve, reject) => {
    const inst = autocannon({ url, connections: 32, pipelining: 1, timeout: 10, ...options }, (err, res) => (err ? reject(err) : resolve(res)));
    autocannon.track(inst, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false, outputStream: { write() {} } });
  });
}

/** Runs the soak; resolves with the exit code (0 also when the target is not met: the table says so). */
export async function soak() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'naftiko-soak-'));
  try {
    const ports = { up: await freePort(), rest: await freePort(), mcp: await freePort() };
    const upstreamUrl = `http://${HOST}:${ports.up}`;
    const upstream = startNode(path.join(BENCH_DIR, 'upstream.js'), [String(ports.up)], { name: 'upstream' });
    const logFd = openSync(path.join(tmp, 'naftiko-info.log'), 'w');
    const nr = startNode(CLI, [path.join(BENCH_DIR, 'bench-capability.yaml'), '--base-uri', `upstream=${upstreamUrl}`, '--port', `bench-rest=${ports.rest}`, '--port', `bench-mcp=${ports.mcp}`], { name: 'naftiko-run (info)', stdout: logFd });
    closeSync(logFd);
    await Promise.all([waitForPorts([ports.up], { child: upstream }), waitForPorts([ports.rest, ports.mcp], { child: nr })]);
    const url = `http://${HOST}:${ports.rest}${urlPath}`;

    await cannon(url, { amount: 4000 });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push((await cannon(url, { duration: 3 })).requests.average);
    const capacity = median(runs);
    const rate = Math.round(capacity * fraction);
    log(`soak: capacity ${Math.round(capacity)} req/s (runs ${runs.map(Math.round).join(', ')}); ${minutes} min at ${rate} req/s`);

    const samples = [];
    const started = Date.now();
    const sampler = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, rss: rssMB(nr.pid) }), 5000);
    const res = await cannon(url, { duration: minutes * 60, overallRate: rate });
    clearInterval(sampler);

    const inMinute = (from, to) => samples.filter((s) => s.t >= from * 60 && s.t < to * 60).map((s) => s.rss);
    const early = median(inMinute(Math.min(1, minutes / 2), Math.min(2, minutes)));
    const late = median(inMinute(Math.max(0, minutes - 1), minutes + 1));
    const drift = ((late - early) / early) * 100;
    const errors = res.errors + res.timeouts + res.non2xx;
    const row = {
      date: new Date().toISOString().slice(0, 10),
      minutes, rate, capacity: Math.round(capacity), achieved: Math.round(res.requests.average), requests: res.requests.total,
      errors, p99: res.latency.p99, early: early.toFixed(1), late: late.toFixed(1), drift: drift.toFixed(1),
    };
    log(`soak: ${row.requests} requests, ${errors} errors (${res.errors} errors, ${res.timeouts} timeouts, ${res.non2xx} non-2xx), p99 ${row.p99} ms; RSS ${row.early} → ${row.late} MB (${row.drift} %)`);
    const verdict = errors === 0 && Math.abs(drift) <= 5 ? 'met' : 'not met';
    if (!opt['no-write']) appendRow(row, verdict);
    process.stdout.write(`${verdict}: ${errors} errors, RSS drift ${row.drift} %\n`);
    return 0;
  } catch (e) {
    log(`soak: ${e.stack ?? e}`);
    return 1;
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function appendRow(r, verdict) {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  let text = readFileSync(file, 'utf8');
  const heading = '## Soak (`npm run bench -- --soak`)';
  const line = `| ${r.date} | ${r.minutes} min at ${r.rate} req/s (80 % of ${r.capacity}) | ${r.achieved} | ${r.requests} | ${r.errors} | ${r.p99} ms | ${r.early} → ${r.late} MB (${r.drift} %) | ${verdict} |`;
  if (!text.includes(heading)) {
    text += `\n${heading}\n\nnaftiko-run at its default configuration (\`--log-level info\`, log to a file), REST pass-through 1 KB, held at 80 % of the capacity measured just before with autocannon (\`overallRate\`, 32 connections). Target: 0 errors, RSS of the second minute and of the last minute within 5 %.\n\n| Date | Load | req/s achieved | Requests | Errors | p99 | RSS 2nd → last minute | 0 errors, flat RSS |\n|---|---|--:|--:|--:|--:|---|---|\n`;
  }
  writeFileSync(file, text.trimEnd() + '\n' + line + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(BENCH_DIR, 'soak.js')) process.exit(await soak());
