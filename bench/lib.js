/**
 * Shared helpers of the benchmark: the upstream documents, child processes that always die with the
 * bench, port readiness, statistics and formatting. Plain ESM, no build step.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------------------------------
// Upstream documents: deterministic, shaped so the mapped operation can project `id`, `name` and
// `items[0].x`. `small` is 1 KB, `large` 100 KB (within 1 % of 1,024 and 102,400 bytes).

export const SIZES = { small: 1024, large: 100 * 1024 };

export function makeDocument(target) {
  const doc = { id: `doc-${target}`, name: 'naftiko-run benchmark document', version: 3, active: true, tags: ['bench', 'json'], items: [] };
  for (let i = 0; JSON.stringify(doc).length < target - 80; i++) {
    doc.items.push({ x: i + 1, label: `item ${String(i).padStart(5, '0')}`, ok: i % 3 !== 0, score: Math.round(Math.sin(i + 1) * 1e6) / 1e3 });
  }
  doc.pad = '';
  doc.pad = 'x'.repeat(Math.max(0, target - JSON.stringify(doc).length));
  return doc;
}

export function documentBuffers() {
  return Object.fromEntries(Object.entries(SIZES).map(([k, n]) => [k, Buffer.from(JSON.stringify(makeDocument(n)))]));
}

/** The mapped operation's expected answer, written out by hand (the parse floor does the same). */
export function project(doc) {
  return { id: doc.id, name: doc.name, first: doc.items[0].x };
}

// ---------------------------------------------------------------------------------------------------
// The orchestration documents: GET /join/ship (an object naming five crew members by id) and
// GET /join/crew (twenty crew members). The orchestrated operation calls both, looks the ship's crewIds
// up in the crew list and answers { id, name, crew: [{ fullName, role } × 5] }.

const ROLES = ['captain', 'first officer', 'engineer', 'navigator', 'deckhand'];

export function joinDocuments() {
  const crew = [];
  for (let i = 0; i < 20; i++) {
    crew.push({
      crewId: `CREW-${String(i + 1).padStart(3, '0')}`,
      fullName: `Sailor ${String.fromCharCode(65 + i)}. Number${i + 1}`,
      role: ROLES[i % ROLES.length],
      nationality: ['NO', 'PT', 'JP', 'GR', 'PH'][i % 5],
      yearsAtSea: 3 + ((i * 7) % 25),
      certified: i % 4 !== 0,
    });
  }
  const ship = {
    id: 'IMO-9321483',
    name: 'Northern Benchmark',
    type: 'container',
    flag: 'NO',
    status: 'active',
    yearBuilt: 2011,
    crewIds: ['CREW-003', 'CREW-017', 'CREW-008', 'CREW-011', 'CREW-001'],
  };
  return { ship, crew };
}

export function joinBuffers() {
  const { ship, crew } = joinDocuments();
  return { ship: Buffer.from(JSON.stringify(ship)), crew: Buffer.from(JSON.stringify(crew)) };
}

/** The orchestrated operation's answer, written out by hand (the join floor does the same). */
export function joinCrew(ship, crew) {
  const names = [];
  for (const id of ship.crewIds) {
    const c = crew.find((e) => e.crewId === id);
    if (c) names.push({ fullName: c.fullName, role: c.role });
  }
  return { id: ship.id, name: ship.name, crew: names };
}

// ---------------------------------------------------------------------------------------------------
// Child processes. Every child is tracked; `stopAll` (also run on SIGINT/SIGTERM, uncaught errors and
// exit) ends them. Long-lived children are forked with an IPC channel and preload exit-with-parent.js,
// so they also go away when this process is killed with SIGKILL.

const children = new Set();
let hooked = false;

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping every server…\n`);
      stopAll().finally(() => process.exit(130));
    });
  }
}

const GUARD = path.join(BENCH_DIR, 'exit-with-parent.js');

/**
 * Starts `node script ...args`. `stdout`: 'ignore' | 'pipe' | a file descriptor. stderr is always kept
 * (last 8 KB) for error messages. `guard` forks with the exit-with-parent preload.
 */
export function startNode(script, args, { name, env, stdout = 'ignore', guard = true, execArgv = [] } = {}) {
  hookExit();
  const opts = { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'pipe', ...(guard ? ['ipc'] : [])] };
  const child = guard
    ? fork(script, args, { ...opts, execArgv: ['--import', pathToFileHref(GUARD), ...execArgv] })
    : spawn(process.execPath, [...execArgv, script, ...args], opts);
  child.benchName = name ?? path.basename(script);
  child.stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    child.stderrTail = (child.stderrTail + d).slice(-8192);
  });
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function pathToFileHref(p) {
  return new URL(`file://${p}`).href;
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(t);
}

export async function stopAll() {
  await Promise.all([...children].map((c) => stop(c)));
}

export function describeExit(child, exit) {
  return `${child.benchName} exited (${exit.signal ?? `code ${exit.code}`})${child.stderrTail ? `:\n${child.stderrTail.trim()}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------
// Ports.

/**
 * A free port for a child server to listen on. Taken from 20000–29999, below Linux's ephemeral range
 * (32768+): a port the kernel handed out for `listen(0)` could be claimed by another process (a test
 * running in parallel) between this check and the child's listen, and the bench would then talk to it.
 * Within one process a port is handed out once: two servers given the same port would race for it.
 */
const handedOut = new Set();
export async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    // a port handed out earlier may not be listening yet: never hand it out twice
    if (handedOut.has(port)) continue;
    const free = await new Promise((resolve) => {
      const s = createServer();
      s.unref();
      s.once('error', () => resolve(false));
      s.listen(port, HOST, () => s.close(() => resolve(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
}

export function tryConnect(port) {
  return new Promise((resolve) => {
    const sock = connect({ host: HOST, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/** Resolves once every port accepts a TCP connection; rejects when the child exits first or on timeout. */
export async function waitForPorts(ports, { child, timeoutMs = 15_000, intervalMs = 10 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let exited;
  child?.exited.then((e) => {
    exited = e;
  });
  const pending = new Set(ports);
  while (pending.size > 0) {
    if (exited) throw new Error(describeExit(child, exited));
    if (Date.now() > deadline) throw new Error(`${child?.benchName ?? 'server'}: ports ${[...pending].join(', ')} not accepting after ${timeoutMs} ms${child?.stderrTail ? `:\n${child.stderrTail.trim()}` : ''}`);
    await Promise.all([...pending].map(async (p) => {
      if (await tryConnect(p)) pending.delete(p);
    }));
    if (pending.size > 0) await sleep(intervalMs);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// Numbers.

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Percentile of an unsorted sample (nearest rank). */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** VmRSS of a process in MB (Linux /proc); NaN elsewhere. */
export function rssMB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Peak RSS (VmHWM) of a process in MB; NaN elsewhere. */
export function peakRssMB(pid) {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

let clockTicks;
/** CPU time (user + system) a process has used, in ms (Linux /proc); NaN elsewhere. */
export function cpuMs(pid) {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return NaN;
  }
}

export const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'),
  us: (n) => (Number.isFinite(n) ? `${Math.round(n)} µs` : 'n/a'),
  ms: (n, d = 2) => (Number.isFinite(n) ? `${n.toFixed(d)} ms` : 'n/a'),
  x: (n) => (Number.isFinite(n) ? `${n.toFixed(3)}×` : 'n/a'),
  mb: (n) => (Number.isFinite(n) ? `${n.toFixed(1)} MB` : 'n/a'),
  pct: (n) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(1)} %` : 'n/a'),
};
