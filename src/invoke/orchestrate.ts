/**
 * The orchestration engine (FEATURES §3–§6): the steps of a REST operation, MCP tool or aggregate
 * function, compiled once and run per call. Consecutive GET call steps that read none of each
 * other's outputs start together; the first failing step (in declaration order) ends the run with its
 * own status and body, and no step after it is sent.
 */
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { BoundVariable, CallStep, ConsumedApi, ConsumedOutputParameter, ScriptStep, Step, StepsHandler } from '../spec/model.js';
import { compileJsonPath } from '../spec/json-path.js';
import { compileOutput, coerceScalar } from '../consume/shape.js';
import { InvokeError } from '../consume/errors.js';
import { discardBody } from '../consume/send.js';
import { safeHeaders } from '../consume/safe-headers.js';
import { prepareCall, type CallDeps, type ConsumedCall, type SentCall } from './consumed-call.js';
import { compileExpr, type Evaluator, type RunScope } from './evaluate.js';
import { runLookup } from './lookup.js';
import { ScriptError, type ScriptRunner } from './script-runner.js';
import type { BoundInvocation, InvokeResult } from './invoker.js';
import { childAbort, type CallSignal, type LogListener } from '../consume/call-signal.js';

export interface OrchestrationDeps extends Omit<CallDeps, 'baseUriOverride'> {
  readonly apis: ReadonlyMap<string, ConsumedApi>;
  readonly baseUriOverrides?: ReadonlyMap<string, string>;
  /** the script sandbox, created on first use */
  readonly scripts: () => ScriptRunner;
  readonly stepObserver?: StepObserver;
}

/**
 * Wraps the run of each step (a span and a duration per step); `run` must be called once, with the
 * step's signal (the given one, or a child carrying the step's span), and its result returned.
 */
export interface StepObserver {
  step<T>(
    step: { kind: 'call' | 'lookup' | 'script'; index: number; name: string; namespace?: string; detail: string; language?: string },
    signal: CallSignal | undefined,
    run: (signal: CallSignal | undefined) => Promise<T>,
  ): Promise<T>;
}

type CompiledStep =
  | { readonly kind: 'call'; readonly step: CallStep; readonly call: ConsumedCall; readonly args: readonly (readonly [string, Evaluator])[]; readonly project: (v: unknown) => unknown }
  | { readonly kind: 'lookup'; readonly name: string; readonly index: string; readonly match: string; readonly value: Evaluator; readonly fields: readonly string[] }
  | { readonly kind: 'script'; readonly step: ScriptStep; readonly args: readonly (readonly [string, Evaluator])[] };

/** What a call step left behind: its stored output, and its answer for a run without mappings. */
interface CallAnswer {
  readonly decoded: unknown;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

type Outcome = { readonly ok: true; readonly output: unknown; readonly answer?: CallAnswer } | { readonly ok: false; readonly failure: InvokeResult | InvokeError };

export function bindSteps(opId: string, handler: StepsHandler, deps: OrchestrationDeps): BoundInvocation {
  const variables = deps.variables;
  const compiled = handler.steps.map((s) => compileStep(s, deps, variables));
  const waves = planWaves(handler.steps);
  const initial = handler.initial.map((a) => [a.target, compileExpr(a.value, variables)] as const);
  const mappings = handler.mappings.map((m) => ({ target: m.target, value: compileExpr(m.value, variables), type: m.type }));
  const map = handler.output.kind === 'mapped' ? compileOutput(handler.output.root) : undefined;

  return async (callerInputs, signal) => {
    let inputs: Readonly<Record<string, unknown>> = callerInputs;
    if (initial.length) {
      const first: RunScope = { inputs: callerInputs, outputs: new Map(), lastCall: undefined };
      const extra: Record<string, unknown> = { ...callerInputs };
      for (const [target, ev] of initial) {
        const v = ev(first);
        if (v !== undefined) extra[target] = v;
      }
      inputs = extra;
    }
    const outputs = new Map<string, unknown>();
    let last: CallAnswer | undefined;
    const scope = (): RunScope => ({ inputs, outputs, lastCall: last?.decoded });
    const progress = signal?.onProgress;
    let finished = 0;

    for (const wave of waves) {
      const s = scope();
      let outcomes: Outcome[];
      if (wave.length === 1) {
        // one step alone runs on the caller's signal; steps that run together each get one, so a failure can cancel the rest
        outcomes = [await runStep(compiled[wave[0]!]!, s, signal, deps, wave[0]!)];
      } else {
        const links = wave.map(() => childAbort(signal));
        const pending = wave.map((index, k) =>
          runStep(compiled[index]!, s, links[k]!.child, deps, index).then((o) => {
            // a failure cancels the steps declared after it; the ones before it still decide the answer
            if (!o.ok) for (let j = k + 1; j < wave.length; j++) links[j]!.child.abort();
            return o;
          }),
        );
        outcomes = await Promise.all(pending);
        for (const l of links) l.detach();
      }
      for (let k = 0; k < wave.length; k++) {
        const o = outcomes[k]!;
        if (!o.ok) {
          if (o.failure instanceof InvokeError) throw o.failure;
          return o.failure;
        }
        outputs.set(handler.steps[wave[k]!]!.name, o.output);
        if (o.answer) last = o.answer;
        progress?.(++finished, handler.steps.length, `step "${handler.steps[wave[k]!]!.name}" done`);
      }
    }

    if (mappings.length > 0) {
      const s = scope();
      const value: Record<string, unknown> = {};
      for (const m of mappings) {
        let v = m.value(s);
        if (v === undefined) v = null;
        if (m.type) v = coerceScalar(m.type, v);
        setNested(value, m.target, v);
      }
      return { kind: 'value', status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, value };
    }
    if (!last) throw new InvokeError('NR_ERR_INTERNAL', 500, 'Internal error', `${opId}: the orchestration ran no call step`);
    if (map) return { kind: 'value', status: last.status, headers: { ...last.headers, 'content-type': 'application/json; charset=utf-8' }, value: map(last.decoded, inputs) };
    return { kind: 'stream', status: last.status, headers: last.headers, body: Readable.from([last.body]) as Readable & AsyncIterable<Buffer> };
  };
}

/**
 * Consecutive GET call steps that do not read each other run together; every other step runs alone,
 * in order, so a step with effects (POST, PUT, PATCH, DELETE) is never sent before the steps declared
 * ahead of it have succeeded.
 */
export function planWaves(steps: readonly Step[]): number[][] {
  const reads = (s: Step) => s.kind === 'call' && s.operation.method === 'GET';
  const waves: number[][] = [];
  let current: number[] = [];
  steps.forEach((step, i) => {
    const joins = reads(step) && current.length > 0 && current.every((j) => reads(steps[j]!) && !step.dependsOn.includes(j));
    if (!joins && current.length) {
      waves.push(current);
      current = [];
    }
    current.push(i);
    if (!reads(step)) {
      waves.push(current);
      current = [];
    }
  });
  if (current.length) waves.push(current);
  return waves;
}

function compileStep(step: Step, deps: OrchestrationDeps, variables: ReadonlyMap<string, BoundVariable>): CompiledStep {
  const args = (list: CallStep['with']) => list.map((a) => [a.target, compileExpr(a.value, variables)] as const);
  switch (step.kind) {
    case 'call': {
      const api = deps.apis.get(step.operation.namespace)!;
      const override = deps.baseUriOverrides?.get(api.namespace);
      const call = prepareCall(api, step.operation, { ...deps, ...(override !== undefined ? { baseUriOverride: override } : {}) }, true);
      return { kind: 'call', step, call, args: args(step.with), project: projector(step.operation.outputParameters) };
    }
    case 'lookup':
      return { kind: 'lookup', name: step.name, index: step.index, match: step.match, value: compileExpr(step.lookupValue, variables), fields: step.fields };
    case 'script':
      return { kind: 'script', step, args: args(step.with) };
  }
}

function runStep(c: CompiledStep, scope: RunScope, signal: CallSignal | undefined, deps: OrchestrationDeps, position: number): Promise<Outcome> {
  const log = signal?.onLog;
  return log ? runStepLogged(c, scope, signal, deps, position, log) : runStepObserved(c, scope, signal, deps, position);
}

/** The step told to the caller's MCP log (`logging/setLevel`, or a 2026-07-28 request's `logLevel`): started, then done or failed. */
async function runStepLogged(c: CompiledStep, scope: RunScope, signal: CallSignal | undefined, deps: OrchestrationDeps, position: number, log: LogListener): Promise<Outcome> {
  const name = c.kind === 'lookup' ? c.name : c.step.name;
  const about = c.kind === 'call' ? { step: name, call: c.step.operation.ref } : { step: name, kind: c.kind };
  log('debug', `step ${name}`, { ...about, event: 'started' });
  const t0 = performance.now();
  try {
    const o = await runStepObserved(c, scope, signal, deps, position);
    const ms = Math.round(performance.now() - t0);
    if (o.ok) log('info', `step ${name}`, { ...about, event: 'done', ...(o.answer ? { status: o.answer.status } : {}), ms });
    else log('error', `step ${name}`, { ...about, event: 'failed', ms, ...(o.failure instanceof InvokeError ? { code: o.failure.code, detail: o.failure.detail } : { status: o.failure.status }) });
    return o;
  } catch (e) {
    log('error', `step ${name}`, { ...about, event: 'failed', ms: Math.round(performance.now() - t0) });
    throw e;
  }
}

function runStepObserved(c: CompiledStep, scope: RunScope, signal: CallSignal | undefined, deps: OrchestrationDeps, position: number): Promise<Outcome> {
  if (!deps.stepObserver) return runStepUnobserved(c, scope, signal, deps);
  const about = c.kind === 'call'
    ? { kind: c.kind, index: position, name: c.step.name, namespace: c.step.operation.namespace, detail: c.step.operation.ref }
    : c.kind === 'lookup'
      ? { kind: c.kind, index: position, name: c.name, detail: c.match }
      : { kind: c.kind, index: position, name: c.step.name, detail: c.step.sources.at(-1)?.file ?? c.step.name, language: c.step.language };
  return deps.stepObserver.step(about, signal, (s) => runStepUnobserved(c, scope, s, deps));
}

async function runStepUnobserved(c: CompiledStep, scope: RunScope, signal: CallSignal | undefined, deps: OrchestrationDeps): Promise<Outcome> {
  try {
    switch (c.kind) {
      case 'call':
        return await runCall(c, scope, signal);
      case 'lookup':
        return { ok: true, output: runLookup(scope.outputs.get(c.index), c.match, c.value(scope), c.fields) };
      case 'script':
        return { ok: true, output: await runScript(c, scope, signal, deps) };
    }
  } catch (e) {
    if (!(e instanceof InvokeError)) throw e;
    const name = c.kind === 'lookup' ? c.name : c.step.name;
    if (!e.step) {
      e.step = { name, ...(c.kind === 'call' ? { call: c.step.operation.ref } : {}) };
      e.message = `Step "${name}"${c.kind === 'call' ? ` (${c.step.operation.ref})` : ''}: ${e.message}`;
    }
    return { ok: false, failure: e };
  }
}

async function runCall(c: Extract<CompiledStep, { kind: 'call' }>, scope: RunScope, signal: CallSignal | undefined): Promise<Outcome> {
  const args = new Map<string, unknown>(Object.entries(scope.inputs));
  for (const [target, ev] of c.args) {
    const v = ev(scope);
    if (v !== undefined) args.set(target, v);
  }
  let sent: SentCall;
  try {
    sent = await c.call.send(args, signal);
  } catch (e) {
    // a value the step takes from an earlier step's answer is the upstream's fault, not the caller's
    if (e instanceof InvokeError && e.code === 'NR_ERR_BAD_INPUT' && e.invalidParams.every((p) => !(p.name in scope.inputs) && c.args.some(([t]) => t === p.name))) {
      throw new InvokeError('NR_ERR_STEP_ARGUMENT', 502, 'Step argument unusable', `the request could not be built from earlier steps' answers: ${e.detail}`);
    }
    throw e;
  }
  const status = sent.response.statusCode;
  const headers = safeHeaders(sent.response.headers, false);
  if (status === 204 || status === 304) discardBody(sent.response.body as unknown as NodeJS.ReadableStream);
  const body = status === 204 || status === 304 ? Buffer.alloc(0) : await c.call.read(sent);
  if (status < 200 || status >= 300) {
    const step = { name: c.step.name, call: c.step.operation.ref };
    return { ok: false, failure: { kind: 'stream', status, headers, body: Readable.from([body]) as Readable & AsyncIterable<Buffer>, step } };
  }
  const decoded = body.length === 0 ? null : c.call.decode(body, sent);
  return { ok: true, output: c.project(decoded), answer: { decoded, status, headers, body } };
}

async function runScript(c: Extract<CompiledStep, { kind: 'script' }>, scope: RunScope, signal: CallSignal | undefined, deps: OrchestrationDeps): Promise<unknown> {
  const { step } = c;
  if (step.language !== 'javascript') {
    throw new InvokeError('NR_ERR_NOT_IMPLEMENTED', 501, 'Not implemented', `script language "${step.language}" is not supported by naftiko-run (JavaScript only)`);
  }
  if (!step.enabled || process.env.NAFTIKO_SCRIPTING === 'false') {
    throw new InvokeError('NR_ERR_SCRIPTING_DISABLED', 503, 'Scripting disabled', `scripting is disabled (${step.enabled ? 'NAFTIKO_SCRIPTING=false' : 'management.scripting.enabled: false'})`);
  }
  const steps = Object.fromEntries(scope.outputs);
  const context: Record<string, unknown> = { ...scope.inputs, ...steps };
  for (const [target, ev] of c.args) {
    const v = ev(scope);
    if (v !== undefined) context[target] = v;
  }
  context.inputs = scope.inputs;
  context.steps = steps;
  try {
    return await deps.scripts().run(step.sources, context, { timeoutMs: step.timeoutMs }, signal);
  } catch (e) {
    if (e instanceof ScriptError) throw new InvokeError(e.code, 500, e.code === 'NR_ERR_SCRIPT_TIMEOUT' ? 'Script timed out' : 'Script failed', e.message);
    throw e;
  }
}

/** The consumed operation's `outputParameters` add projected fields to what a call step stores (FEATURES §3(d)). */
function projector(params: readonly ConsumedOutputParameter[]): (v: unknown) => unknown {
  if (params.length === 0) return (v) => v;
  const fields = params.map((p) => [p.name, compileJsonPath(p.value), p.type] as const);
  const project = (v: unknown): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, at, type] of fields) {
      const x = at(v);
      out[name] = x === undefined ? null : coerceScalar(type, x);
    }
    return out;
  };
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  return (v) => {
    if (Array.isArray(v)) return v.map((el) => (isObject(el) ? { ...el, ...project(el) } : project(el)));
    if (isObject(v)) return { ...v, ...project(v) };
    return project(v);
  };
}

/** Dotted targets create nested objects; a later mapping to the same path overwrites. */
function setNested(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}
