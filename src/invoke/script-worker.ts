/**
 * The code of the worker_threads worker that runs orchestration `script` steps (FEATURES §5).
 *
 * It is a plain string, started with `new Worker(WORKER_SOURCE, { eval: true })`, so there is no worker
 * file to locate: it works the same from src/ under vitest, from tsc's dist/ and from the esbuild bundle,
 * and no transform (bundler renames, coverage counters, `__name` helpers) can reach into it. It is
 * `String.raw`, so backslashes stay as written; it must not contain a backtick or a dollar-brace.
 *
 * Protocol (host → worker): `{ type: 'run', id, sources: [{file, code}], context: <JSON string>,
 * timeoutMs, maxResultChars }`. Worker → host: `{ type: 'ready' }` once, then per run
 * `{ type: 'result', id, ok: true, json }` or `{ type: 'result', id, ok: false, kind: 'failed' |
 * 'timeout', message, file?, line?, column? }`.
 *
 * Inside the worker, each run gets a fresh `vm` context:
 * - created with `vm.constants.DONT_CONTEXTIFY` (an ordinary global, no host sandbox object behind it), so
 *   `this.constructor` is the sandbox's own `Object`;
 * - `codeGeneration: { strings: false, wasm: false }`: no `eval`, `new Function`, or wasm compilation in
 *   the sandbox, which also closes the `constructor.constructor('return …')` route even if a function
 *   were reached;
 * - `microtaskMode: 'afterEvaluate'`: promise jobs run inside the same timeout as the script;
 * - the `context` is passed as a JSON string and parsed and deep-frozen by code running in the sandbox
 *   realm, so no host object is ever reachable from the script;
 * - `import()` is answered by an `importModuleDynamically` callback that leaves it pending for ever
 *   (Node's default answer is a rejection with a host-realm error, a way out of the sandbox); that callback
 *   needs `--experimental-vm-modules`, which the host passes in the worker's `execArgv`;
 * - the result is `JSON.stringify`-ed by sandbox code under the timeout; only strings leave the context.
 *   Thrown values are described (name, message, stack) by sandbox code under a short timeout too, so a
 *   throwing getter or a Proxy cannot hang or confuse the worker outside the timeout.
 * What scripts see: the JavaScript built-ins, `context` (frozen, non-writable), `result` (a writable
 * global, initially undefined; a top-level `let result` works too), V8's own `console` (writes nowhere),
 * and one internal binding, `__naftiko$`. No require, process, module, import(), timers, fetch,
 * queueMicrotask, Buffer, eval or Function from strings. An unhandled promise rejection fails the call.
 */
export const WORKER_SOURCE: string = String.raw`'use strict';
(function naftikoScriptWorker() {
  'use strict';
  const { parentPort } = require('node:worker_threads');
  const vm = require('node:vm');
  const { isProxy } = require('node:util').types;
  const { performance } = require('node:perf_hooks');
  const proc = process;
  const hostErrorPrototype = Error.prototype;
  const getPrototypeOf = Object.getPrototypeOf;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const MESSAGE_MAX = 4096;
  const DESCRIBE_MS = 100;
  const RESULT_FLOOR_MS = 20;
  const CACHE_MAX = 128;

  // Runs INSIDE each sandbox (its source is compiled there); it may only use the sandbox's own globals.
  function sandboxApi() {
    'use strict';
    const g = globalThis;
    const parse = JSON.parse;
    const stringify = JSON.stringify;
    const freeze = Object.freeze;
    const isFrozen = Object.isFrozen;
    const keys = Object.keys;
    const defineProperty = Object.defineProperty;
    const toText = String;
    const SandboxTypeError = TypeError;
    let held;
    let initialised = false;
    function deepFreeze(root) {
      const stack = [root];
      while (stack.length > 0) {
        const v = stack.pop();
        if (v !== null && typeof v === 'object' && !isFrozen(v)) {
          freeze(v);
          const ks = keys(v);
          for (let i = 0; i < ks.length; i++) stack.push(v[ks[i]]);
        }
      }
      return root;
    }
    function text(v) {
      try {
        return typeof v === 'string' ? v : toText(v);
      } catch (e) {
        return '';
      }
    }
    return freeze({
      init(json) {
        if (initialised) throw new SandboxTypeError('already initialised');
        initialised = true;
        defineProperty(g, 'context', { value: deepFreeze(parse(json)), writable: false, enumerable: true, configurable: false });
        g.result = undefined;
      },
      hold(v) {
        held = v;
      },
      promisePrototype: Promise.prototype,
      describe() {
        const e = held;
        held = undefined;
        const out = { __proto__: null, name: '', message: '', stack: '' };
        if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
          try { const n = e.name; if (typeof n === 'string') out.name = n; } catch (x) { /* unreadable */ }
          try { const m = e.message; if (m !== undefined) out.message = text(m); } catch (x) { /* unreadable */ }
          try { const s = e.stack; if (typeof s === 'string') out.stack = s; } catch (x) { /* unreadable */ }
          if (out.name === '' && out.message === '') {
            try { const j = stringify(e); out.message = typeof j === 'string' ? j : text(e); } catch (x) { out.message = text(e); }
          }
        } else {
          out.message = text(e);
        }
        return stringify(out);
      },
      finish(v) {
        const s = stringify(v);
        return typeof s === 'string' ? s : 'null';
      },
    });
  }

  const BOOTSTRAP = new vm.Script('"use strict"; const __naftiko$ = (' + sandboxApi.toString() + ')(); __naftiko$;', { filename: 'naftiko:bootstrap' });
  const FINISH = new vm.Script('(() => { let r; try { r = result; } catch (e) { r = undefined; } return __naftiko$.finish(r); })()', { filename: 'naftiko:result' });
  const DESCRIBE = new vm.Script('__naftiko$.describe()', { filename: 'naftiko:error' });
  const CONTEXT_GLOBAL = vm.constants !== undefined ? vm.constants.DONT_CONTEXTIFY : undefined;

  let current = null;

  // import() stays pending for ever. (Without this callback, Node rejects it with a host-realm error,
  // whose constructor chain leads to the worker's own Function and process. Any rejection, even with a
  // sandbox-realm error, would only settle after the run has ended, so pending costs nothing.)
  function importModuleDynamically() {
    return new Promise(() => {});
  }

  // Only the current run's own promises count (a promise's prototype tells its realm).
  proc.on('unhandledRejection', (reason, promise) => {
    const run = current;
    if (run === null || run.rejected !== undefined || isProxy(promise)) return;
    if (getPrototypeOf(promise) === run.api.promisePrototype) run.rejected = { reason };
  });

  const cache = new Map();
  function compile(source) {
    const key = source.file + '\u0000' + source.code;
    let script = cache.get(key);
    if (script !== undefined) {
      cache.delete(key);
    } else {
      script = new vm.Script(source.code, { filename: source.file, importModuleDynamically });
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value);
    }
    cache.set(key, script);
    return script;
  }

  function clip(s) {
    return s.length > MESSAGE_MAX ? s.slice(0, MESSAGE_MAX) + '…' : s;
  }

  function isHostError(e) {
    if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return false;
    let p = e;
    for (let i = 0; i < 64; i++) {
      if (isProxy(p)) return false;
      p = getPrototypeOf(p);
      if (p === null) return false;
      if (p === hostErrorPrototype) return true;
    }
    return false;
  }

  // vm's timeout error is made in the sandbox realm; read its code without running sandbox code (no
  // Proxy, own data property only), and only believe it once the deadline has passed.
  function isTimeout(e, deadline) {
    if (e === null || typeof e !== 'object' || isProxy(e)) return false;
    const d = getOwnPropertyDescriptor(e, 'code');
    return d !== undefined && d.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT' && performance.now() >= deadline - 1;
  }

  // The first stack frame that points into one of the run's files.
  function locate(stack, files) {
    const lines = stack.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^\s*at (?:.*? \()?(.+):(\d+):(\d+)\)?$/.exec(lines[i]);
      if (m !== null && files.indexOf(m[1]) !== -1) return { file: m[1], line: Number(m[2]), column: Number(m[3]) };
    }
    return undefined;
  }

  function failure(prefix, name, message, where) {
    const label = name !== '' && name !== 'Error' ? name + ': ' : '';
    const body = label + (message !== '' ? message : 'the script failed');
    const out = { ok: false, kind: 'failed', message: clip(prefix + body + (where !== undefined ? ' (at ' + where.file + ':' + where.line + ':' + where.column + ')' : '')) };
    if (where !== undefined) { out.file = where.file; out.line = where.line; out.column = where.column; }
    return out;
  }

  const TIMEOUT = { ok: false, kind: 'timeout', message: 'the script did not finish within its timeout' };

  function compileFailure(e, source) {
    const message = isHostError(e) && typeof e.message === 'string' ? e.message : 'the script could not be compiled';
    const name = isHostError(e) && typeof e.name === 'string' ? e.name : 'SyntaxError';
    let where;
    const stack = isHostError(e) && typeof e.stack === 'string' ? e.stack : '';
    const first = stack.split('\n')[0];
    const prefix = source.file + ':';
    if (first.startsWith(prefix) && /^\d+$/.test(first.slice(prefix.length))) where = { file: source.file, line: Number(first.slice(prefix.length)), column: 0 };
    const out = failure('', name, message, undefined);
    if (where !== undefined) { out.message = clip(out.message + ' (at ' + where.file + ':' + where.line + ')'); out.file = where.file; out.line = where.line; }
    return out;
  }

  // A value the sandbox threw (or a host error raised while running it), as a run outcome.
  function thrown(run, e, prefix) {
    if (isTimeout(e, run.deadline)) return TIMEOUT;
    if (isHostError(e)) return failure(prefix, typeof e.name === 'string' ? e.name : '', typeof e.message === 'string' ? e.message : '', undefined);
    let described;
    try {
      run.api.hold(e);
      const json = DESCRIBE.runInContext(run.ctx, { timeout: DESCRIBE_MS, displayErrors: false });
      described = typeof json === 'string' ? JSON.parse(json) : undefined;
    } catch (x) {
      described = undefined;
    }
    if (described === undefined || described === null) return failure(prefix, '', 'the script threw a value that could not be read', undefined);
    const name = typeof described.name === 'string' ? described.name : '';
    const message = typeof described.message === 'string' ? described.message : '';
    const stack = typeof described.stack === 'string' ? described.stack : '';
    return failure(prefix, name, message, locate(stack, run.files));
  }

  function execute(msg) {
    const deadline = performance.now() + msg.timeoutMs;
    const remaining = () => Math.ceil(deadline - performance.now());
    const scripts = [];
    for (let i = 0; i < msg.sources.length; i++) {
      try {
        scripts.push(compile(msg.sources[i]));
      } catch (e) {
        return compileFailure(e, msg.sources[i]);
      }
    }
    const ctx = vm.createContext(CONTEXT_GLOBAL !== undefined ? CONTEXT_GLOBAL : {}, {
      name: 'naftiko-script',
      codeGeneration: { strings: false, wasm: false },
      microtaskMode: 'afterEvaluate',
    });
    const api = BOOTSTRAP.runInContext(ctx, { displayErrors: false });
    api.init(msg.context);
    const run = { ctx, api, deadline, files: msg.sources.map((s) => s.file), rejected: undefined };
    current = run;
    for (let i = 0; i < scripts.length; i++) {
      const left = remaining();
      if (left <= 0) return TIMEOUT;
      try {
        scripts[i].runInContext(ctx, { timeout: left, displayErrors: false });
      } catch (e) {
        return thrown(run, e, '');
      }
    }
    let json;
    try {
      json = FINISH.runInContext(ctx, { timeout: Math.max(remaining(), RESULT_FLOOR_MS), displayErrors: false });
    } catch (e) {
      const outcome = thrown(run, e, 'the result cannot be converted to JSON: ');
      return outcome;
    }
    if (typeof json !== 'string') return failure('', '', 'the result cannot be converted to JSON', undefined);
    if (json.length > msg.maxResultChars) {
      return failure('', '', 'the result is too large (' + json.length + ' characters of JSON; the limit is ' + msg.maxResultChars + ')', undefined);
    }
    return { ok: true, json };
  }

  parentPort.on('message', (msg) => {
    if (msg === null || typeof msg !== 'object' || msg.type !== 'run') return;
    let outcome;
    try {
      outcome = execute(msg);
    } catch (e) {
      outcome = failure('', '', 'the script runner failed: ' + (isHostError(e) && typeof e.message === 'string' ? e.message : 'unknown error'), undefined);
    }
    // Unhandled rejections are reported after the current callback returns, before immediates.
    setImmediate(() => {
      const run = current;
      current = null;
      if (outcome.ok && run !== null && run.rejected !== undefined) {
        outcome = thrown(run, run.rejected.reason, 'unhandled promise rejection: ');
      }
      parentPort.postMessage(Object.assign({ type: 'result', id: msg.id }, outcome));
    });
  });

  parentPort.postMessage({ type: 'ready' });
})();
`;
