import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const withoutSetting = () => {
  const env = { ...process.env };
  delete env.NAFTIKO_RUN_HEAP_GROWTH_PERCENT;
  return env;
};

/**
 * Runs the built module in a child process and records the V8 flags it sets. `storm`: that many full
 * collections (global.gc, a major GC as perf_hooks reports it) right after tuneHeap, then `waitMs`.
 */
const probe = (env: Record<string, string>, { execArgv = [], storm = 0, waitMs = 0, liftMs = 10_000 }: { execArgv?: string[]; storm?: number; waitMs?: number; liftMs?: number } = {}) => {
  const r = spawnSync(process.execPath, ['--expose-gc', ...execArgv, '--input-type=module', '-e', `
    import { tuneHeap } from ${JSON.stringify(new URL('../dist/cli/heap-tuning.js', import.meta.url).href)};
    import v8 from 'node:v8';
    const calls = [];
    const original = v8.setFlagsFromString;
    v8.setFlagsFromString = (f) => { calls.push(f); return original(f); };
    const tuning = tuneHeap(process.env, { liftMs: ${liftMs} });
    const tick = () => new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < ${storm}; i++) { globalThis.gc(); await tick(); }
    await new Promise((r) => setTimeout(r, ${waitMs}));
    tuning.stop();
    console.log(JSON.stringify({ mode: tuning.mode, calls }));
  `], { env: { ...withoutSetting(), ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { mode: string; calls: string[] };
};

describe('heap growth cap', () => {
  it('is 100 % by default', () => {
    expect(probe({})).toEqual({ mode: 'adaptive', calls: ['--heap-growing-percent=100'] });
  });

  it('stays on while major collections are rare', () => {
    expect(probe({}, { storm: 3 }).calls).toEqual(['--heap-growing-percent=100']);
  });

  it('is lifted when it makes V8 collect 4 times within a second, and applied again after the lift', () => {
    expect(probe({}, { storm: 4, waitMs: 50, liftMs: 60_000 }).calls).toEqual(['--heap-growing-percent=100', '--heap-growing-percent=0']);
    expect(probe({}, { storm: 4, waitMs: 600, liftMs: 300 }).calls).toEqual(['--heap-growing-percent=100', '--heap-growing-percent=0', '--heap-growing-percent=100']);
  });

  it('follows NAFTIKO_RUN_HEAP_GROWTH_PERCENT, never lifted, and 0 leaves V8 alone', () => {
    expect(probe({ NAFTIKO_RUN_HEAP_GROWTH_PERCENT: '50' }, { storm: 6 })).toEqual({ mode: 'fixed', calls: ['--heap-growing-percent=50'] });
    expect(probe({ NAFTIKO_RUN_HEAP_GROWTH_PERCENT: '0' }, { storm: 6 })).toEqual({ mode: 'fixed', calls: [] });
  });

  it('leaves a flag given to node alone', () => {
    expect(probe({}, { execArgv: ['--heap-growing-percent=30'], storm: 6 })).toEqual({ mode: 'node-flag', calls: [] });
  });
});
