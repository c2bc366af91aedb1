#!/usr/bin/env node
/**
 * Issue 12's proxy comparison: REST pass-through 1 KB through `naftiko-run --workers 2` against nginx
 * with 2 worker processes proxying the same upstream (keep-alive, no buffering), and against one
 * naftiko-run process. Sides alternate (A B C | C B A | …) with a fixed request count; medians of req/s
 * and of the CPU every side's processes used per request (/proc, primary and workers together).
 *
 *   node bench/workers-vs-nginx.js [--rounds 6] [--requests 20000] [--connections 32] [--log-level warn]
 *
 * nginx comes from Debian's package (nginx-light is enough); the script says so and exits 2 when it is
 * missing. Prints a table; writes nothing.
 */
import { parseArgs } from 'node:util';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { BENCH_DIR, CLI, HOST, cpuMs, fmt, freePort, median, startNode, stopAll, waitForPorts } from './lib.js';

const { values: opt } = parseArgs({
  args: process.argv.slice(2),
  options: { rounds: { type: 'string' }, requests: { type: 'string' }, connections: { type: 'string' }, 'log-level': { type: 'string' } },
});
const rounds = Number(opt.rounds ?? 6);
const requests = Number(opt.requests ?? 20_000);
const connections = Number(opt.connections ?? 32);
const level = opt['log-level'] ?? 'warn';

const NGINX = ['nginx', '/usr/sbin/nginx'].find((b) => spawnSync(b, ['-v'], { stdio: 'ignore' }).status === 0);
if (!NGINX) {
  console.error('workers-vs-nginx: nginx is not installed (apt-get install nginx-light)');
  process.exit(2);
}

/** A process and its children (a --workers primary forks its workers; nginx its worker processes). */
function treeCpuMs(pid) {
  let total = cpuMs(pid);
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      for (const c of children) total += treeCpuMs(Number(c));
    }
  } catch {
    // the process is gone
  }
  return total;
}

const dir = mkdtempSync(path.join(tmpdir(), 'naftiko-vs-nginx-'));
let ng;
try {
  const up = await freePort();
  const upstream = startNode(path.join(BENCH_DIR, 'upstream.js'), [String(up)], { name: 'upstream' });
  await waitForPorts([up], { child: upstream });
  const capability = path.join(BENCH_DIR, 'bench-capability.yaml');
  const naftiko = async (name, extra) => {
    const rest = await freePort();
    const mcp = await freePort();
    const proc = startNode(CLI, [capability, '--base-uri', `upstream=http://${HOST}:${up}`, '--port', `bench-rest=${rest}`, '--port', `bench-mcp=${mcp}`, '--log-level', level, ...extra], { name });
    await waitForPorts([rest, mcp], { child: proc, timeoutMs: 30_000 });
    return { name, pid: () => proc.pid, url: `http://${HOST}:${rest}/pass/small`, proc };
  };
  const two = await naftiko('naftiko-run --workers 2', ['--workers', '2']);
  const one = await naftiko('naftiko-run (one process)', []);

  const ngPort = await freePort();
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, 'nginx.conf'), `worker_processes 2;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream up { server ${HOST}:${up}; keepalive 256; }
  server {
    listen ${HOST}:${ngPort};
    location = /pass/small { proxy_pass http://up/small; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
`);
  ng = spawn(NGINX, ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForPorts([ngPort], { timeoutMs: 10_000 });
  const nginx = { name: 'nginx, 2 worker processes', pid: () => ng.pid, url: `http://${HOST}:${ngPort}/pass/small` };

  const sides = [two, nginx, one];
  const load = (url, amount) => new Promise((resolve, reject) => autocannon({ url, connections, pipelining: 1, amount }, (e, r) => (e ? reject(e) : resolve(r))));
  const run = async (side, amount) => {
    const cpu0 = treeCpuMs(side.pid());
    const gen0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await load(side.url, amount);
    const seconds = (performance.now() - t0) / 1000;
    const gen = process.cpuUsage(gen0);
    if (r.non2xx || r.errors) throw new Error(`${side.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return { rps: r['2xx'] / seconds, cpuUs: ((treeCpuMs(side.pid()) - cpu0) * 1000) / r['2xx'], generator: (gen.user + gen.system) / 1e6 / seconds };
  };
  for (const s of sides) await run(s, Math.max(3000, requests / 4));
  const results = new Map(sides.map((s) => [s, []]));
  for (let i = 0; i < rounds; i++) {
    for (const s of i % 2 === 0 ? sides : [...sides].reverse()) results.get(s).push(await run(s, requests));
    process.stderr.write(`round ${i + 1}/${rounds}\n`);
  }
  const m = (s, k) => median(results.get(s).map((r) => r[k]));
  console.log(`REST pass-through 1 KB, ${rounds} rounds × ${requests} requests, ${connections} connections, naftiko-run at --log-level ${level}; ${execFileSync('nproc').toString().trim()} cores shared by the generator, the upstream and the side measured`);
  console.log('| Side | req/s | × nginx | server CPU per request | generator CPU |');
  console.log('|---|--:|--:|--:|--:|');
  for (const s of sides) console.log(`| ${s.name} | ${fmt.int(m(s, 'rps'))} | ${fmt.x(m(s, 'rps') / m(nginx, 'rps'))} | ${fmt.us(m(s, 'cpuUs'))} | ${(m(s, 'generator') * 100).toFixed(0)} % of a core |`);
  console.log(`--workers 2 against one process: ${fmt.x(m(two, 'rps') / m(one, 'rps'))}`);
} finally {
  ng?.kill('SIGTERM');
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
