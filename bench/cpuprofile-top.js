#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile: top functions by self time, and self time by origin (naftiko-run's
 * dist/, each node_modules package, node internals, GC, idle).
 *
 *   node bench/cpuprofile-top.js FILE.cpuprofile [--top N] [--from US --to US]
 *   node bench/cpuprofile-top.js A.cpuprofile --diff B.cpuprofile [--top N]
 *
 * --diff compares self time per request (µs) function by function, A minus B, using the
 * FILE.window.json that bench/profile.js writes next to each profile (measured window, request count):
 * e.g. naftiko-pass-small.cpuprofile --diff floor-pass-small.cpuprofile.
 *
 * --from/--to keep only the samples taken in that window of the monotonic clock (µs, the clock of
 * process.hrtime), so start-up and warm-up can be left out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/**
 * Frames of a bundle (dist/cli-bundle.cjs is one esbuild file) are mapped back through its source map to the
 * original file and line, so fastify, undici… and src/ are told apart again.
 */
const maps = new Map();
function originalFrame(cf) {
  // the CLI bundle is compiled through vm.Script (src/cli/code-cache.ts): its frames carry a plain path
  if (cf.url?.startsWith('/')) cf = { ...cf, url: `file://${cf.url}` };
  if (!cf.url || !cf.url.startsWith('file://')) return cf;
  let map = maps.get(cf.url);
  if (map === undefined) {
    map = null;
    try {
      const file = fileURLToPath(cf.url) + '.map';
      if (existsSync(file)) {
        const payload = JSON.parse(readFileSync(file, 'utf8'));
        if (payload.sources?.length > 1) map = { sm: new SourceMap(payload), dir: file.slice(0, file.lastIndexOf('/') + 1) };
      }
    } catch {
      map = null;
    }
    maps.set(cf.url, map);
  }
  if (!map) return cf;
  const e = map.sm.findEntry(cf.lineNumber, cf.columnNumber);
  if (!e?.originalSource) return cf;
  const src = new URL(e.originalSource, `file://${map.dir}`).href;
  return { ...cf, url: src, lineNumber: e.originalLine, columnNumber: e.originalColumn };
}

export function summarize(profile, { from = -Infinity, to = Infinity, top = 25 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, { ...n, callFrame: originalFrame(n.callFrame) }]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) continue;
    // a sample's weight is the time until the next sample
    const w = profile.timeDeltas[i + 1] ?? dt;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + w);
    total += w;
  }

  const fnTotals = new Map();
  const originTotals = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const origin = originOf(cf);
    const key = `${cf.functionName || '(anonymous)'}\t${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}\t${origin}`;
    fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
    originTotals.set(origin, (originTotals.get(origin) ?? 0) + us);
  }
  const busy = total - (originTotals.get('(idle)') ?? 0);

  // inclusive (self + callees) time of naftiko-run's own functions: each function counted once per sample
  const inclusive = new Map();
  for (const [id, us] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      if (originOf(cf) !== 'naftiko-run') continue;
      const key = `${cf.functionName || '(anonymous)'}\t${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const pct = (us, of) => (of > 0 ? (100 * us) / of : 0);
  const functions = [...fnTotals].sort((a, b) => b[1] - a[1]).filter(([k]) => !k.startsWith('(idle)')).slice(0, top)
    .map(([k, us]) => {
      const [fn, where, origin] = k.split('\t');
      return { fn, where, origin, ms: us / 1000, pctBusy: pct(us, busy) };
    });
  const origins = [...originTotals].sort((a, b) => b[1] - a[1]).map(([origin, us]) => ({ origin, ms: us / 1000, pctBusy: origin === '(idle)' ? NaN : pct(us, busy) }));
  const own = [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => {
    const [fn, where] = k.split('\t');
    return { fn, where, ms: us / 1000, pctBusy: pct(us, busy) };
  });
  return { totalMs: total / 1000, busyMs: busy / 1000, functions, origins, own };
}

function shortUrl(url) {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.lastIndexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function originOf(cf) {
  const name = cf.functionName;
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name;
  const url = cf.url;
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/dist/') || url.includes('/src/')) return 'naftiko-run';
  if (url.includes('/bench/')) return 'bench';
  return url;
}

/** Self time per request (µs) by function key, within the profile's measured window. */
function perRequest(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const win = JSON.parse(readFileSync(file.replace(/\.cpuprofile$/, '.window.json'), 'utf8'));
  const s = summarize(profile, { from: win.from, to: win.to, top: Infinity });
  const out = new Map();
  for (const f of s.functions) out.set(`${f.fn}  ${f.where}  [${f.origin}]`, (f.ms * 1000) / win.requests);
  for (const o of s.origins) if (o.origin === '(idle)') out.delete(o.origin);
  return { out, total: (s.busyMs * 1000) / win.requests, origins: new Map(s.origins.filter((o) => o.origin !== '(idle)').map((o) => [o.origin, (o.ms * 1000) / win.requests])) };
}

export function formatDiff(fileA, fileB, top = 25) {
  const a = perRequest(fileA);
  const b = perRequest(fileB);
  const rows = (ma, mb) => {
    const keys = new Set([...ma.keys(), ...mb.keys()]);
    return [...keys].map((k) => [k, ma.get(k) ?? 0, mb.get(k) ?? 0]).sort((x, y) => Math.abs(y[1] - y[2]) - Math.abs(x[1] - x[2]));
  };
  const lines = [`busy CPU per request: A ${a.total.toFixed(1)} µs, B ${b.total.toFixed(1)} µs (A − B = ${(a.total - b.total).toFixed(1)} µs)`, `  A = ${fileA}`, `  B = ${fileB}`, '', 'By origin (µs per request):  A − B   A   B'];
  for (const [k, x, y] of rows(a.origins, b.origins)) lines.push(`  ${(x - y >= 0 ? '+' : '') + (x - y).toFixed(2)}`.padEnd(12) + `${x.toFixed(2).padStart(8)} ${y.toFixed(2).padStart(8)}  ${k}`);
  lines.push('', `Largest differences by function (µs per request):  A − B   A   B`);
  for (const [k, x, y] of rows(a.out, b.out).slice(0, top)) lines.push(`  ${(x - y >= 0 ? '+' : '') + (x - y).toFixed(2)}`.padEnd(12) + `${x.toFixed(2).padStart(8)} ${y.toFixed(2).padStart(8)}  ${k}`);
  return lines.join('\n');
}

export function formatSummary(s, title = 'profile') {
  const lines = [];
  lines.push(`${title}: ${s.totalMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (not idle)`);
  lines.push('');
  lines.push('Self time by origin (% of busy):');
  for (const o of s.origins) lines.push(`  ${(Number.isFinite(o.pctBusy) ? o.pctBusy.toFixed(1) + ' %' : '   —').padStart(7)}  ${o.ms.toFixed(0).padStart(7)} ms  ${o.origin}`);
  lines.push('');
  lines.push('Top functions by self time (% of busy):');
  for (const f of s.functions) lines.push(`  ${f.pctBusy.toFixed(1).padStart(5)} %  ${f.ms.toFixed(0).padStart(6)} ms  ${f.fn}  ${f.where}  [${f.origin}]`);
  if (s.own.length) {
    lines.push('');
    lines.push("naftiko-run's own functions by inclusive time (self + everything they call, % of busy):");
    for (const f of s.own) lines.push(`  ${f.pctBusy.toFixed(1).padStart(5)} %  ${f.ms.toFixed(0).padStart(6)} ms  ${f.fn}  ${f.where}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, diff: { type: 'string' } } });
  if (values.diff) {
    process.stdout.write(formatDiff(positionals[0], values.diff, Number(values.top ?? 25)) + '\n');
    process.exit(0);
  }
  for (const file of positionals) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')), {
      top: Number(values.top ?? 25),
      ...(values.from ? { from: Number(values.from) } : {}),
      ...(values.to ? { to: Number(values.to) } : {}),
    });
    process.stdout.write(formatSummary(s, file) + '\n\n');
  }
}
