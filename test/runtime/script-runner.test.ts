/**
 * The JavaScript sandbox of orchestration `script` steps (FEATURES §5): results, context, errors, limits
 * (timeout, watchdog, memory), what the sandbox cannot reach, concurrency, abort and close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ScriptError, ScriptRunner, type ScriptSource } from '../../src/invoke/script-runner.js';

const main = (code: string, file = 'main.js'): ScriptSource[] => [{ file, code }];
const LIMITS = { timeoutMs: 2_000 };

async function failure(p: Promise<unknown>): Promise<ScriptError> {
  const outcome = await p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (outcome.ok) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.v)}`);
  expect(outcome.e).toBeInstanceOf(ScriptError);
  return outcome.e as ScriptError;
}

describe('ScriptRunner', () => {
  let runner: ScriptRunner;
  beforeAll(() => {
    runner = new ScriptRunner();
  });
  afterAll(async () => {
    await runner.close();
  });

  describe('results', () => {
    it('returns an assigned object, array, number, string and boolean', async () => {
      expect(await runner.run(main('result = { a: 1, b: [1, "x", { c: null }] }'), {}, LIMITS)).toEqual({ a: 1, b: [1, 'x', { c: null }] });
      expect(await runner.run(main('result = [3, 2, 1].sort()'), {}, LIMITS)).toEqual([1, 2, 3]);
      expect(await runner.run(main('result = 6 * 7'), {}, LIMITS)).toBe(42);
      expect(await runner.run(main('result = "text"'), {}, LIMITS)).toBe('text');
      expect(await runner.run(main('result = false'), {}, LIMITS)).toBe(false);
    });

    it('is null when the script never assigns result', async () => {
      expect(await runner.run(main('const x = 1 + 1;'), {}, LIMITS)).toBeNull();
      expect(await runner.run([], {}, LIMITS)).toBeNull();
    });

    it('is JSON-cloned: functions and undefined dropped, NaN/Infinity null, dates as strings', async () => {
      const r = await runner.run(
        main('result = { f() {}, u: undefined, n: NaN, i: -Infinity, d: new Date(0), arr: [undefined, () => 1, 2], m: new Map([[1, 2]]) }'),
        {},
        LIMITS,
      );
      expect(r).toEqual({ n: null, i: null, d: '1970-01-01T00:00:00.000Z', arr: [null, null, 2], m: {} });
      expect(await runner.run(main('result = () => 1'), {}, LIMITS)).toBeNull();
    });

    it('reads a result declared with let, and one assigned in strict mode', async () => {
      expect(await runner.run(main('let result = { lexical: true };'), {}, LIMITS)).toEqual({ lexical: true });
      expect(await runner.run(main('"use strict"; result = 3;'), {}, LIMITS)).toBe(3);
    });

    it('runs promise jobs before reading result', async () => {
      expect(await runner.run(main('(async () => { const v = await Promise.resolve(20); result = v + 1; })();'), {}, LIMITS)).toBe(21);
    });

    it('fails when the result cannot be converted to JSON (BigInt, cycle)', async () => {
      const big = await failure(runner.run(main('result = { n: 1n }'), {}, LIMITS));
      expect(big.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(big.message).toMatch(/^the result cannot be converted to JSON: TypeError: .*BigInt/);
      const cyc = await failure(runner.run(main('const o = {}; o.o = o; result = o;'), {}, LIMITS));
      expect(cyc.message).toMatch(/cannot be converted to JSON.*circular/i);
    });

    it('fails when the result is larger than maxResultChars', async () => {
      const small = new ScriptRunner({ maxResultChars: 100 });
      try {
        expect(await small.run(main('result = "x".repeat(50)'), {}, LIMITS)).toBe('x'.repeat(50));
        const e = await failure(small.run(main('result = "x".repeat(500)'), {}, LIMITS));
        expect(e.code).toBe('NR_ERR_SCRIPT_FAILED');
        expect(e.message).toContain('too large');
      } finally {
        await small.close();
      }
    });
  });

  describe('context', () => {
    const ctx = { 'get-orders': { orders: [{ amount: 10 }, { amount: 32.5 }] }, inputs: { id: 'x' }, flag: true };

    it('is visible as a global, a copy of the data', async () => {
      const r = await runner.run(
        main(`const orders = context['get-orders'].orders;
result = { totalAmount: orders.reduce((s, o) => s + o.amount, 0), orderCount: orders.length, id: context.inputs.id, flag: context.flag };`),
        ctx,
        LIMITS,
      );
      expect(r).toEqual({ totalAmount: 42.5, orderCount: 2, id: 'x', flag: true });
    });

    it('is deeply frozen: sloppy writes are ignored, and the caller object is untouched', async () => {
      const input = { a: 1, nested: { b: [1, 2] } };
      const r = await runner.run(
        main(`context.a = 2; context.nested.b.push; context.nested.c = 3; delete context.a; context = 5;
try { context.nested.b.push(3) } catch (e) { var pushError = e.constructor.name }
result = { context, frozen: Object.isFrozen(context) && Object.isFrozen(context.nested) && Object.isFrozen(context.nested.b), pushError };`),
        input,
        LIMITS,
      );
      expect(r).toEqual({ context: { a: 1, nested: { b: [1, 2] } }, frozen: true, pushError: 'TypeError' });
      expect(input).toEqual({ a: 1, nested: { b: [1, 2] } });
    });

    it('throws on writes in strict mode (the step fails)', async () => {
      const e = await failure(runner.run(main('"use strict"; context.nested.b = 1;'), { nested: { b: 0 } }, LIMITS));
      expect(e.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(e.message).toMatch(/^TypeError: Cannot assign to read only property 'b'/);
      const g = await failure(runner.run(main('"use strict"; context = 1;'), {}, LIMITS));
      expect(g.message).toMatch(/^TypeError: Cannot assign to read only property 'context'/);
    });

    it('holds JSON only (undefined context is null; a BigInt context is refused)', async () => {
      expect(await runner.run(main('result = context'), undefined, LIMITS)).toBeNull();
      expect(await runner.run(main('result = context'), { d: new Date(0), f: () => 1 }, LIMITS)).toEqual({ d: '1970-01-01T00:00:00.000Z' });
      const e = await failure(runner.run(main('result = 1'), { n: 1n }, LIMITS));
      expect(e.message).toContain('not JSON data');
    });

    it('is not shared between calls, nor are globals', async () => {
      await runner.run(main('globalThis.leak = 1; var v = 2; result = 0;'), { first: true }, LIMITS);
      expect(await runner.run(main('result = [typeof leak, typeof v, context]'), { second: true }, LIMITS)).toEqual(['undefined', 'undefined', { second: true }]);
    });
  });

  describe('dependencies', () => {
    it('are evaluated first, in order, sharing globals with the main file', async () => {
      const r = await runner.run(
        [
          { file: 'lib/a.js', code: 'var order = ["a"]; function double(x) { return x * 2; }' },
          { file: 'lib/b.js', code: 'order.push("b"); const triple = (x) => x * 3;' },
          { file: 'main.js', code: 'order.push("main"); result = { order, v: double(triple(context.n)) };' },
        ],
        { n: 2 },
        LIMITS,
      );
      expect(r).toEqual({ order: ['a', 'b', 'main'], v: 12 });
    });
  });

  describe('errors', () => {
    it('a thrown Error fails with its message and location, no host stack', async () => {
      const e = await failure(runner.run(main('const x = 1;\nthrow new Error("boom: " + x);'), {}, LIMITS));
      expect(e.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(e.message).toBe('boom: 1 (at main.js:2:7)');
      expect(e.location).toEqual({ file: 'main.js', line: 2, column: 7 });
      expect(e.message).not.toMatch(/node:|worker|runInContext/);
    });

    it('names the error type when it is not a plain Error, and the dependency file it came from', async () => {
      const e = await failure(
        runner.run(
          [
            { file: 'lib/util.js', code: 'function pick(o) {\n  return o.missing.deeper;\n}' },
            { file: 'main.js', code: 'result = pick({});' },
          ],
          {},
          LIMITS,
        ),
      );
      expect(e.message).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'deeper'\) \(at lib\/util\.js:2:20\)$/);
      expect(e.location).toEqual({ file: 'lib/util.js', line: 2, column: 20 });
    });

    it('a syntax error fails with the file and line, before any file runs', async () => {
      const e = await failure(runner.run([{ file: 'dep.js', code: 'result = "dep ran";' }, { file: 'main.js', code: 'let a = 1;\nlet b = ;' }], {}, LIMITS));
      expect(e.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(e.message).toBe("SyntaxError: Unexpected token ';' (at main.js:2)");
      expect(e.location).toEqual({ file: 'main.js', line: 2, column: 0 });
    });

    it('thrown non-errors are described', async () => {
      expect((await failure(runner.run(main('throw "plain text"'), {}, LIMITS))).message).toBe('plain text');
      expect((await failure(runner.run(main('throw { code: 7 }'), {}, LIMITS))).message).toBe('{"code":7}');
      expect((await failure(runner.run(main('throw 42'), {}, LIMITS))).message).toBe('42');
      expect((await failure(runner.run(main('throw Symbol("s")'), {}, LIMITS))).message).toBe('Symbol(s)');
    });

    it('a hostile thrown value (looping Proxy, throwing getters) fails promptly without hanging the worker', async () => {
      const t0 = Date.now();
      const e = await failure(runner.run(main('throw new Proxy({}, { get() { while (true) {} }, getPrototypeOf() { while (true) {} } })'), {}, LIMITS));
      expect(e.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(e.message).toContain('could not be read');
      expect(Date.now() - t0).toBeLessThan(1_500);
      const g = await failure(runner.run(main('throw { get message() { throw new Error("no") }, get name() { return "Custom" } }'), {}, LIMITS));
      expect(g.message).toBe('Custom: the script failed');
      expect(await runner.run(main('result = "still serving"'), {}, LIMITS)).toBe('still serving');
    });

    it('a fake timeout error thrown by the script is a failure, not a timeout', async () => {
      const e = await failure(runner.run(main('throw Object.assign(new Error("fake"), { code: "ERR_SCRIPT_EXECUTION_TIMEOUT" })'), {}, LIMITS));
      expect(e.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(e.message).toContain('fake');
    });

    it('an unhandled promise rejection fails the call, and does not leak into the next one', async () => {
      const e = await failure(runner.run(main('(async () => { result = 1; throw new RangeError("async boom"); })();'), {}, LIMITS));
      expect(e.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(e.message).toMatch(/^unhandled promise rejection: RangeError: async boom \(at main\.js:1:/);
      expect(await runner.run(main('Promise.reject(new Error("x")).catch(() => {}); result = "handled";'), {}, LIMITS)).toBe('handled');
      expect(await runner.run(main('result = "next"'), {}, LIMITS)).toBe('next');
    });

    it('long messages are clipped', async () => {
      const e = await failure(runner.run(main('throw new Error("x".repeat(100000))'), {}, LIMITS));
      expect(e.message.length).toBeLessThan(5_000);
    });
  });

  describe('limits', () => {
    it('while(true){} times out near the timeout, and the runner keeps serving', async () => {
      const t0 = Date.now();
      const e = await failure(runner.run(main('while (true) {}'), {}, { timeoutMs: 300 }));
      const took = Date.now() - t0;
      expect(e.code).toBe('NR_ERR_SCRIPT_TIMEOUT');
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(300 + 1_000);
      expect(await runner.run(main('result = "after"'), {}, LIMITS)).toBe('after');
    });

    it('a promise loop times out too (microtasks run under the timeout)', async () => {
      const e = await failure(runner.run(main('(async () => { while (true) { await null; } })();'), {}, { timeoutMs: 300 }));
      expect(e.code).toBe('NR_ERR_SCRIPT_TIMEOUT');
      expect(await runner.run(main('result = 1'), {}, LIMITS)).toBe(1);
    });

    it('the timeout covers all files together', async () => {
      const spin = '{ const end = Date.now() + 200; while (Date.now() < end) {} }';
      const e = await failure(runner.run([{ file: 'a.js', code: spin }, { file: 'b.js', code: spin }, { file: 'c.js', code: spin }], {}, { timeoutMs: 450 }));
      expect(e.code).toBe('NR_ERR_SCRIPT_TIMEOUT');
    });

    it('the host watchdog stops a worker stuck in native code and replaces it', async () => {
      const quick = new ScriptRunner({ watchdogMarginMs: 0, maxWorkers: 1 });
      try {
        expect(await quick.run(main('result = "warm"'), {}, LIMITS)).toBe('warm');
        const t0 = Date.now();
        // One fill + indexOf over 2e7 doubles runs in builtins that do not check for interrupts (~100+ ms).
        const e = await failure(quick.run(main('const a = new Array(2e7).fill(1.5); while (true) a.indexOf(0);'), {}, { timeoutMs: 20, memoryMb: 512 }));
        expect(e.code).toBe('NR_ERR_SCRIPT_TIMEOUT');
        expect(e.message).toContain('was stopped');
        expect(Date.now() - t0).toBeLessThan(1_000);
        expect(await quick.run(main('result = "replaced"'), {}, LIMITS)).toBe('replaced');
      } finally {
        await quick.close();
      }
    });

    it('a memory bomb fails with MEMORY (or TIMEOUT), never crashes, and the next call works', async () => {
      const e = await failure(runner.run(main('const a = []; while (true) a.push(new Array(1e6).fill(1));'), {}, { timeoutMs: 5_000 }));
      expect(['NR_ERR_SCRIPT_MEMORY', 'NR_ERR_SCRIPT_TIMEOUT']).toContain(e.code);
      expect(await runner.run(main('result = context.n + 1'), { n: 1 }, LIMITS)).toBe(2);
    });

    it('the heap cap is per call when limits.memoryMb is given', async () => {
      const mem = new ScriptRunner({ memoryMb: 256, maxWorkers: 1 });
      try {
        const grow = 'const a = []; for (let i = 0; i < 12; i++) a.push(new Array(1e6).fill(i)); result = a.length;'; // ~96 MB
        expect(await mem.run(main(grow), {}, { timeoutMs: 10_000 })).toBe(12);
        const e = await failure(mem.run(main(grow), {}, { timeoutMs: 10_000, memoryMb: 32 }));
        expect(e.code).toBe('NR_ERR_SCRIPT_MEMORY');
        expect(e.message).toContain('32 MB');
        expect(await mem.run(main(grow), {}, { timeoutMs: 10_000 })).toBe(12);
      } finally {
        await mem.close();
      }
    });

    it('a stack overflow is a plain failure', async () => {
      const e = await failure(runner.run(main('function f() { return f() + 1; } f();'), {}, LIMITS));
      expect(e.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(e.message).toContain('RangeError: Maximum call stack size exceeded');
    });

    it('the main thread stays responsive while a script spins', async () => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      try {
        await failure(runner.run(main('while (true) {}'), {}, { timeoutMs: 400 }));
      } finally {
        clearInterval(timer);
      }
      expect(ticks).toBeGreaterThan(15);
    });

    it('rejects bad limits and sources', async () => {
      await expect(runner.run(main('1'), {}, { timeoutMs: 0 })).rejects.toBeInstanceOf(RangeError);
      await expect(runner.run(main('1'), {}, { timeoutMs: Number.NaN })).rejects.toBeInstanceOf(RangeError);
      await expect(runner.run(main('1'), {}, { timeoutMs: 100, memoryMb: 2 })).rejects.toBeInstanceOf(RangeError);
      await expect(runner.run([{ file: 'x.js' } as unknown as ScriptSource], {}, LIMITS)).rejects.toBeInstanceOf(TypeError);
      expect(() => new ScriptRunner({ maxWorkers: 0 })).toThrow(RangeError);
    });
  });

  describe('sandbox', () => {
    const isProcess = `(p) => p !== null && p !== undefined && (typeof p.exit === 'function' || (typeof p.env === 'object' && p.env !== null) || typeof p.binding === 'function')`;

    it('has no process, require, module, fetch, timers, queueMicrotask or Buffer', async () => {
      const names = ['process', 'require', 'module', 'exports', '__filename', 'fetch', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'Buffer', 'structuredClone', 'XMLHttpRequest', 'WebSocket'];
      const r = (await runner.run(main(`result = {}; for (const n of ${JSON.stringify(names)}) result[n] = typeof globalThis[n];`), {}, LIMITS)) as Record<string, string>;
      expect(r).toEqual(Object.fromEntries(names.map((n) => [n, 'undefined'])));
      const direct = await runner.run(main('result = [typeof process, typeof require, typeof fetch, typeof setTimeout]'), {}, LIMITS);
      expect(direct).toEqual(['undefined', 'undefined', 'undefined', 'undefined']);
    });

    it("console is V8's inert built-in one (no stdout), so debug logging does not fail", async () => {
      const r = await runner.run(main('console.log("hello"); console.error("oops"); result = [typeof console.log, typeof console._stdout]'), {}, LIMITS);
      expect(r).toEqual(['function', 'undefined']);
    });

    it('constructor chains, eval and Function cannot produce a process object', async () => {
      const r = await runner.run(
        main(`const isProcess = ${isProcess};
const probes = {
  thisCtor: () => this.constructor.constructor('return process')(),
  contextCtor: () => context.constructor.constructor('return process')(),
  contextNestedCtor: () => context.list.constructor.constructor('return process')(),
  globalCtor: () => globalThis.constructor.constructor('return process')(),
  fn: () => Function('return process')(),
  asyncFn: () => (async function () {}).constructor('return process')(),
  eval: () => eval('process'),
  indirectEval: () => (0, eval)('process'),
  errorCtor: () => new Error('x').constructor.constructor('return process')(),
  protoCtor: () => Object.getPrototypeOf(context).constructor.constructor('return process')(),
};
result = {};
for (const [k, f] of Object.entries(probes)) {
  try { const p = f(); result[k] = isProcess(p) ? 'ESCAPED' : typeof p; } catch (e) { result[k] = 'threw ' + e.constructor.name; }
}
result.ownObject = this.constructor === Object && context.constructor === Object;`),
        { list: [1] },
        LIMITS,
      );
      const values = Object.entries(r as Record<string, unknown>);
      for (const [k, v] of values) {
        if (k === 'ownObject') expect(v).toBe(true);
        else expect(v, k).toMatch(/^threw (EvalError|ReferenceError)$/);
      }
    });

    it('import() never yields a module or a host object', async () => {
      const r = await runner.run(
        main(`const isProcess = ${isProcess};
result = { then: 'pending', awaited: 'pending' };
import('fs').then((m) => { result.then = 'GOT MODULE ' + typeof m.readFileSync; }, (e) => {
  try { result.then = isProcess(e.constructor.constructor('return process')()) ? 'ESCAPED' : 'rejected'; } catch (x) { result.then = 'rejected safely'; }
});
(async () => {
  try { await import('node:child_process'); result.awaited = 'GOT CHILD_PROCESS'; }
  catch (e) { try { result.awaited = isProcess(e.constructor.constructor('return process')()) ? 'ESCAPED' : 'rejected'; } catch (x) { result.awaited = 'rejected safely'; } }
})();`),
        {},
        LIMITS,
      );
      // It stays pending: Node's own rejection would be a host-realm error (a way to the worker's process).
      expect(r).toEqual({ then: 'pending', awaited: 'pending' });
      // The worker is still healthy, and nothing from that import reaches the next call.
      expect(await runner.run(main('result = "ok"'), {}, LIMITS)).toBe('ok');
    });

    it('stack-trace callsites expose no host this or function', async () => {
      const r = await runner.run(
        main(`const isProcess = ${isProcess};
let found = [];
Error.prepareStackTrace = (e, frames) => {
  for (const f of frames) {
    for (const get of ['getThis', 'getFunction']) {
      let v; try { v = f[get](); } catch (x) { continue; }
      if (v === undefined || v === globalThis) continue;
      try { const p = v.constructor.constructor('return process')(); if (isProcess(p)) found.push('ESCAPED via ' + get); } catch (x) { /* blocked */ }
      try { if (isProcess(v.process) || isProcess(v.global && v.global.process)) found.push('ESCAPED via ' + get + '.process'); } catch (x) { /* none */ }
      found.push(get + ':' + typeof v + ':' + (f.getFileName() || ''));
    }
  }
  return 'stack';
};
function inner() { return new Error('x').stack; }
inner();
result = found;`),
        {},
        LIMITS,
      );
      // Only the sandbox's own frames may yield a this/function (main.js); none may escape.
      for (const entry of r as string[]) {
        expect(entry).not.toContain('ESCAPED');
        expect(entry).toMatch(/:main\.js$/);
      }
    });

    it('wasm compilation and code generation from strings are disabled', async () => {
      const r = await runner.run(
        main(`result = {};
try { new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); result.wasm = 'compiled'; } catch (e) { result.wasm = e.constructor.name; }
try { eval('1 + 1'); result.eval = 'ran'; } catch (e) { result.eval = e.constructor.name; }`),
        {},
        LIMITS,
      );
      expect(r).toEqual({ wasm: 'CompileError', eval: 'EvalError' });
    });

    it('Atomics.wait cannot block past the timeout', async () => {
      const e = await failure(runner.run(main('Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);'), {}, { timeoutMs: 200 }));
      expect(e.code).toBe('NR_ERR_SCRIPT_TIMEOUT');
    });
  });

  describe('pool', () => {
    it('runs 10 concurrent calls correctly, on at most maxWorkers workers', async () => {
      const calls = Array.from({ length: 10 }, (_, i) =>
        runner.run(main(`let s = 0; for (let k = 0; k < 1e5; k++) s += k % 3; result = { i: context.i, sq: context.i * context.i, s };`), { i }, LIMITS),
      );
      expect(runner.workerCount).toBeLessThanOrEqual(2);
      const results = await Promise.all(calls);
      expect(results).toEqual(Array.from({ length: 10 }, (_, i) => ({ i, sq: i * i, s: 99999 })));
      expect(runner.workerCount).toBeLessThanOrEqual(2);
      expect(runner.workerCount).toBeGreaterThan(0);
    });

    it('one timing-out call does not spoil concurrent good ones', async () => {
      const bad = failure(runner.run(main('while (true) {}'), {}, { timeoutMs: 300 }));
      const good = Array.from({ length: 5 }, (_, i) => runner.run(main('result = context.i'), { i }, LIMITS));
      expect(await Promise.all(good)).toEqual([0, 1, 2, 3, 4]);
      expect((await bad).code).toBe('NR_ERR_SCRIPT_TIMEOUT');
    });

    it('a warm call is cheap', async () => {
      for (let i = 0; i < 20; i++) await runner.run(main('result = context.x + 1'), { x: i }, LIMITS);
      const n = 100;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await runner.run(main('result = context.x + 1'), { x: i }, LIMITS);
      const perCall = (performance.now() - t0) / n;
      expect(perCall).toBeLessThan(20);
    });
  });

  describe('abort', () => {
    it('an already aborted signal rejects at once with its reason', async () => {
      const ac = new AbortController();
      ac.abort(new Error('gone'));
      await expect(runner.run(main('result = 1'), {}, LIMITS, ac.signal)).rejects.toThrow('gone');
    });

    it('aborting a running call rejects promptly and stops its worker; the runner keeps serving', async () => {
      const ac = new AbortController();
      const t0 = Date.now();
      const p = runner.run(main('while (true) {}'), {}, { timeoutMs: 10_000 }, ac.signal);
      setTimeout(() => ac.abort(new Error('client went away')), 100);
      await expect(p).rejects.toThrow('client went away');
      expect(Date.now() - t0).toBeLessThan(1_500);
      expect(await runner.run(main('result = "alive"'), {}, LIMITS)).toBe('alive');
    });

    it('aborting a queued call removes it without disturbing the running one', async () => {
      const one = new ScriptRunner({ maxWorkers: 1 });
      try {
        const first = one.run(main('const end = Date.now() + 300; while (Date.now() < end) {} result = "first";'), {}, LIMITS);
        const ac = new AbortController();
        const second = one.run(main('result = "second"'), {}, LIMITS, ac.signal);
        ac.abort();
        await expect(second).rejects.toHaveProperty('name', 'AbortError');
        expect(await first).toBe('first');
      } finally {
        await one.close();
      }
    });
  });

  describe('close', () => {
    it('terminates the workers, fails running and queued calls, and refuses new ones', async () => {
      const r = new ScriptRunner({ maxWorkers: 1 });
      expect(await r.run(main('result = 1'), {}, LIMITS)).toBe(1);
      expect(r.workerCount).toBe(1);
      const running = failure(r.run(main('while (true) {}'), {}, { timeoutMs: 10_000 }));
      const queued = failure(r.run(main('result = 2'), {}, LIMITS));
      await new Promise((res) => setTimeout(res, 50));
      const t0 = Date.now();
      await r.close();
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(r.workerCount).toBe(0);
      expect((await running).message).toContain('closed');
      expect((await queued).message).toContain('closed');
      expect((await failure(r.run(main('result = 3'), {}, LIMITS))).message).toContain('closed');
    });
  });
});

describe('ScriptRunner outside vitest', () => {
  it('works from an esbuild bundle run by plain node (no worker file to find)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nr-script-'));
    try {
      const out = path.join(dir, 'entry.mjs');
      const repo = fileURLToPath(new URL('../..', import.meta.url));
      await build({
        stdin: {
          contents: `import { ScriptRunner } from './src/invoke/script-runner.ts';
const r = new ScriptRunner();
const v = await r.run([{ file: 'main.js', code: 'result = { sum: context.a + context.b }' }], { a: 2, b: 3 }, { timeoutMs: 2000 });
let t = 'none';
try { await r.run([{ file: 'main.js', code: 'while (true) {}' }], {}, { timeoutMs: 100 }); } catch (e) { t = e.code; }
await r.close();
process.stdout.write(JSON.stringify({ v, t }));`,
          resolveDir: repo,
          loader: 'ts',
          sourcefile: 'entry.ts',
        },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile: out,
        logLevel: 'silent',
      });
      const stdout = execFileSync(process.execPath, [out], { encoding: 'utf8', timeout: 15_000 });
      expect(JSON.parse(stdout)).toEqual({ v: { sum: 5 }, t: 'NR_ERR_SCRIPT_TIMEOUT' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
