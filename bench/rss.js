#!/usr/bin/env node
/**
 * Where naftiko-run's memory is after the bench's load sequence, for one or more configurations run one
 * after the other (each its own server process, the default info level, log to a file): REST
 * pass-through 1 KB and 100 KB, mapped 1 KB and 100 KB, orchestrated, forward, then MCP tools/call;
 * `--rounds` times. 200 ms after the last round (as bench/run.js reads RSS) it prints VmRSS and its
 * parts: RssAnon / RssFile from /proc, V8's heap spaces (committed), external and array buffers, code.
 *
 *   node bench/rss.js [--seconds 2] [--rounds 3] [--cli dist/cli.js]
 *                     [--config "name|node-args|K=V,K=V|cli"]…   (default: one config, "default||")
 * RSS_MAPS=N also prints the N largest mappings by resident size.
 */
import { parseArgs } from 'node:util';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { BENCH_DIR, CLI, HOST, freePort, median, rssMB, sleep, startNode, stop, waitForPorts } from './lib.js';
import { closeCallers, connectCallers, mcpLoad } from './mcp-load.js';

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    cli: { type: 'string' },
    config: { type: 'string', multiple: true },
  },
});
const seconds = Number(opt.seconds ?? 2);
const rounds = Number(opt.rounds ?? 3);
const cli = path.resolve(opt.cli ?? CLI);
const configs = (opt.config ?? ['default||']).map((c) => {
  const [name, nodeArgs = '', env = '', cliPath = ''] = c.split('|');
  return { name, cli: cliPath ? path.resolve(cliPath) : cli, execArgv: nodeArgs.split(' ').filter(Boolean), env: Object.fromEntries(env.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) };
});
const log = (s) => process.stderr.write(s + '\n');

const cannon = (url) => new Promise((resolve, reject) => autocannon({ url, connections: 32, pipelining: 1, duration: seconds }, (e, r) => (e ? reject(e) : resolve(r))));
const kb = (smaps, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(smaps)?.[1] ?? NaN) / 1024;

async function measure(config, upstreamUrl) {
  const rest = await freePort();
  const mcp = await freePort();
  const logFile = path.join(os.tmpdir(), `naftiko-rss-${process.pid}.log`);
  const reportFile = path.join(os.tmpdir(), `naftiko-rss-${process.pid}.json`);
  const fd = openSync(logFile, 'w');
  const server = startNode(config.cli, [path.join(BENCH_DIR, 'bench-capability.yaml'), '--base-uri', `upstream=${upstreamUrl}`, '--port', `bench-rest=${rest}`, '--port', `bench-mcp=${mcp}`, '--log-level', 'info'],
    { name: config.name, stdout: fd, env: { ...config.env, MEM_REPORT_FILE: reportFile }, execArgv: ['--import', path.join(BENCH_DIR, 'mem-report.js'), ...config.execArgv] });
  try {
    await waitForPorts([rest, mcp], { child: server });
    const idle = rssMB(server.pid);
    const clients = await connectCallers(`http://${HOST}:${mcp}/mcp`, 16);
    const after = [];
    for (let r = 0; r < rounds; r++) {
      for (const p of ['/pass/small', '/pass/large', '/mapped/small', '/mapped/large', '/join', '/fwd/small']) await cannon(`http://${HOST}:${rest}${p}`);
      await mcpLoad(clients, { tool: 'get-small', durationSec: seconds });
      await sleep(200);
      after.push(rssMB(server.pid));
    }
    await closeCallers(clients);
    server.kill('SIGUSR2');
    await sleep(300);
    const m = JSON.parse(readFileSync(reportFile, 'utf8'));
    return { config, idle, after, m };
  } finally {
    await stop(server);
    closeSync(fd);
    rmSync(logFile, { force: true });
    rmSync(reportFile, { force: true });
  }
}

const upPort = await freePort();
const upstream = startNode(path.join(BENCH_DIR, 'upstream.js'), [String(upPort)], { name: 'upstream' });
await waitForPorts([upPort], { child: upstream });
try {
  for (const config of configs) {
    const { idle, after, m } = await measure(config, `http://${HOST}:${upPort}`);
    const mb = (b) => (b / 1048576).toFixed(1);
    log('');
    console.log(`## ${config.name} ${config.cli} ${config.execArgv.join(' ')} ${Object.entries(config.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    console.log(`VmRSS after start ${idle.toFixed(1)} MB; after each round ${after.map((x) => x.toFixed(1)).join(', ')} MB (median ${median(after).toFixed(1)})`);
    console.log(`RssAnon ${kb(m.smaps, 'Rss').toFixed(1) === 'NaN' ? '?' : ''}${(kb(m.smaps, 'Anonymous')).toFixed(1)} MB anonymous, Rss ${kb(m.smaps, 'Rss').toFixed(1)} MB (at the report)`);
    console.log(`memoryUsage: rss ${mb(m.memoryUsage.rss)}, heapTotal ${mb(m.memoryUsage.heapTotal)}, heapUsed ${mb(m.memoryUsage.heapUsed)}, external ${mb(m.memoryUsage.external)}, arrayBuffers ${mb(m.memoryUsage.arrayBuffers)} MB`);
    console.log(`heap: total physical ${mb(m.heap.total_physical_size)}, malloced ${mb(m.heap.malloced_memory)} (peak ${mb(m.heap.peak_malloced_memory)}) MB`);
    for (const s of m.spaces) console.log(`  ${s.space_name.padEnd(26)} size ${mb(s.space_size).padStart(6)}  used ${mb(s.space_used_size).padStart(6)}  physical ${mb(s.physical_space_size).padStart(6)} MB`);
    for (const x of m.maps.slice(0, Number(process.env.RSS_MAPS ?? 0))) console.log(`  map ${x.perms} ${String(x.sizeKb).padStart(8)} kB, rss ${String(x.rssKb).padStart(7)} kB  ${x.name}`);
    console.log(`code: bytecode+metadata ${mb(m.code.bytecode_and_metadata_size)}, code ${mb(m.code.code_and_metadata_size)}, external script source ${mb(m.code.external_script_source_size)} MB`);
  }
} finally {
  await stop(upstream);
}
