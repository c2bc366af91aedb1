/**
 * Smoke test of the benchmark: `node bench/run.js --quick --out FILE` finishes, writes a results table
 * with every row into FILE (never BENCHMARKS.md), and leaves no server process behind. No timing
 * assertions: the numbers of a tiny run on a shared machine mean nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const BENCHMARKS = path.join(ROOT, 'BENCHMARKS.md');

const ROWS = [
  'REST pass-through 1 KB, req/s',
  'REST pass-through 100 KB, req/s',
  'REST pass-through 1 KB, p99 latency',
  'REST pass-through 100 KB, p99 latency',
  'REST mapped 1 KB, req/s',
  'REST mapped 100 KB, req/s',
  'REST pass-through 1 KB with --log-level warn (no access line), req/s',
  'REST pass-through 1 KB with the control adapter on (metrics + traces), req/s',
  'REST pass-through 1 KB with --workers 2, req/s',
  'MCP tools/call 1 KB, 2025-11-25 client (SDK 1.x), calls/s',
  'MCP tools/call 1 KB, 2026-07-28 client (SDK 2.x), calls/s',
  'MCP tools/call 1 KB with bearer auth on, calls/s',
  'MCP tools/call 1 KB with OAuth JWT validation (cached JWKS), calls/s',
  'REST pass-through 1 KB with a rate limit (local store, below the limit), req/s',
  'REST pass-through 1 KB with a rate limit shared through Redis',
  'Cold start, bulksync.yaml',
  'RSS of naftiko-run after the load',
  'RSS growth between the last two load rounds',
  '1,000-operation capability, load + validate',
];

const SIDES = [
  'floor proxy, pass-through 1 KB',
  'naftiko-run, pass-through 1 KB',
  'naftiko-run --log-level warn, pass-through 1 KB',
  'naftiko-run --control-port (metrics + traces), pass-through 1 KB',
  'naftiko-run --workers 2, pass-through 1 KB',
  'floor proxy, pass-through 100 KB',
  'naftiko-run, pass-through 100 KB',
  'parse floor, mapped 1 KB',
  'naftiko-run, mapped 1 KB',
  'parse floor, mapped 100 KB',
  'naftiko-run, mapped 100 KB',
  'naftiko-run --rate-limit (local store, below the limit), pass-through 1 KB',
  'SDK floor server, MCP tools/call 1 KB',
  'naftiko-run, MCP tools/call 1 KB',
  'SDK 2.x floor server, MCP tools/call 1 KB, 2026-07-28 client',
  'naftiko-run, MCP tools/call 1 KB, 2026-07-28 client',
  'naftiko-run, MCP tools/call 1 KB, bearer auth',
  'naftiko-run, MCP tools/call 1 KB, OAuth JWT (cached JWKS)',
];

/** pids of live processes whose environment carries `tag` (Linux /proc; empty elsewhere). */
function processesTagged(tag: string): number[] {
  if (!existsSync('/proc/self/environ')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(tag)) found.push(Number(entry));
    } catch {
      /* gone, or not ours */
    }
  }
  return found;
}

describe('bench/run.js --quick', () => {
  let dir: string;
  let out: string;
  let result: { code: number | null; stdout: string; stderr: string };
  let benchmarksMtime: number | undefined;
  const tag = `NAFTIKO_BENCH_SMOKE=${randomUUID()}`;

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
    dir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    out = path.join(dir, 'results.md');
    benchmarksMtime = existsSync(BENCHMARKS) ? statSync(BENCHMARKS).mtimeMs : undefined;
    const [key, value] = tag.split('=') as [string, string];
    result = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['bench/run.js', '--quick', '--out', out], { cwd: ROOT, env: { ...process.env, [key]: value }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }, 240_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finishes successfully', () => {
    expect(result.code, result.stderr.slice(-4000)).toBe(0);
  });

  it('writes the results section, with every row, into the --out file', () => {
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('<!-- bench:start -->');
    expect(text).toContain('<!-- bench:end -->');
    expect(text).toContain('| Measure | naftiko-run | Reference | Ratio / detail | Target | Result |');
    expect(text).toMatch(/Machine: .+, \d+ cores/);
    expect(text).toContain('Node v');
    expect(text).toContain('`node bench/run.js --quick --out ');
    for (const row of ROWS) {
      const line = text.split('\n').find((l) => l.startsWith(`| ${row}`));
      expect(line, `row "${row}"`).toBeDefined();
      expect(line!.split('|').length, `cells of "${row}"`).toBe(8);
      expect(line, `result of "${row}"`).toMatch(/\| (\*\*met\*\*|\*\*not met\*\*|—|invalid \(errors\)) \|$/);
    }
    for (const side of SIDES) expect(text, `side "${side}"`).toContain(`| ${side} |`);
    // no side of the tiny run saw an error
    expect(text).not.toContain('invalid (errors)');
  });

  it('prints the same table', () => {
    for (const row of ROWS) expect(result.stdout).toContain(`| ${row}`);
  });

  it('leaves BENCHMARKS.md alone', () => {
    expect(existsSync(BENCHMARKS) ? statSync(BENCHMARKS).mtimeMs : undefined).toBe(benchmarksMtime);
  });

  it('leaves no server process behind', async () => {
    const deadline = Date.now() + 5_000;
    let left = processesTagged(tag);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      left = processesTagged(tag);
    }
    expect(left).toEqual([]);
  });
});
