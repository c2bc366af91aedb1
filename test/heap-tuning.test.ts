import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const withoutSetting = () => {
  const env = { ...process.env };
  delete env.NAFTIKO_RUN_HEAP_GROWTH_PERCENT;
  return env;
};

// Each case runs the built module in a child process and records the V8 flags it sets.
const probe = (env: Record<string, string>, execArgv: string[] = []) =>
  spawnSync(process.execPath, [...execArgv, '--input-type=module', '-e', `
    import { tuneHeap } from ${JSON.stringify(new URL('../dist/cli/heap-tuning.js', import.meta.url).href)};
    import v8 from 'node:v8';
    const calls = [];
    const original = v8.setFlagsFromString;
    v8.setFlagsFromString = (f) => { calls.push(f); return original(f); };
    tuneHeap(process.env);
    console.log(JSON.stringify(calls));
  `], { env: { ...withoutSetting(), ...env }, encoding: 'utf8' });

describe('heap growth cap', () => {
  it('is 100 % by default', () => {
    expect(JSON.parse(probe({}).stdout)).toEqual(['--heap-growing-percent=100']);
  });
  it('follows NAFTIKO_RUN_HEAP_GROWTH_PERCENT, and 0 leaves V8 alone', () => {
    expect(JSON.parse(probe({ NAFTIKO_RUN_HEAP_GROWTH_PERCENT: '50' }).stdout)).toEqual(['--heap-growing-percent=50']);
    expect(JSON.parse(probe({ NAFTIKO_RUN_HEAP_GROWTH_PERCENT: '0' }).stdout)).toEqual([]);
  });
  it('leaves a flag given to node alone', () => {
    expect(JSON.parse(probe({}, ['--heap-growing-percent=30']).stdout)).toEqual([]);
  });
});
