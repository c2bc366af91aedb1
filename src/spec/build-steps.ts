/**
 * `steps` + `mappings` of a REST operation, MCP tool or aggregate function → a StepsHandler
 * (FEATURES §3–§6): every reference checked at load, step dependencies computed, scripts read.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type {
  BoundVariable, ConsumedOperation, OutputNode, ParamType, Step, StepArgument, StepMapping, StepsHandler, ValueExpr,
} from './model.js';
import { BuildContext, list, str, type Raw } from './context.js';
import { parseValueExpr, stepsRead, type ExprScope } from './value-expr.js';
import { buildOutputShape, checkOutputPaths } from './build-output.js';
import { jsonPathProblem } from './json-path.js';
import { resolveLocation } from './locations.js';

/** `management.scripting` of the control adapter: defaults and limits for script steps. */
export interface ScriptingSettings {
  readonly enabled?: boolean;
  readonly defaultLocation?: string;
  readonly defaultLanguage?: string;
  readonly timeout?: number;
  readonly allowedLanguages?: readonly string[];
}

export const DEFAULT_SCRIPT_TIMEOUT_MS = 10_000;

export interface StepsScope {
  readonly ctx: BuildContext;
  readonly operations: ReadonlyMap<string, ConsumedOperation>;
  readonly variables: ReadonlyMap<string, BoundVariable>;
  readonly scripting: ScriptingSettings;
}

/** An input the orchestration reads, for when the operation declares none (inferred inputs). */
export interface InputUse {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie' | 'body';
  readonly type: ParamType;
  readonly description?: string;
  readonly required: boolean;
}

export interface BuiltSteps {
  readonly handler: StepsHandler;
  /** inputs referenced by name (`ns.x`, `{{x}}`) and consumed parameters the implicit pass-through fills */
  readonly inputUses: readonly InputUse[];
  /** every input reference, with where it is, for the unknown-input check */
  readonly inputRefs: readonly { name: string; pointer: string }[];
}

export function buildSteps(scope: StepsScope, raw: Raw, pointer: string, aliases: readonly string[]): BuiltSteps {
  const { ctx } = scope;
  const rawSteps = list(raw.steps);
  const names = rawSteps.map((s) => String(s.name));
  const steps: Step[] = [];
  const uses = new Map<string, InputUse>();
  const inputRefs: { name: string; pointer: string }[] = [];
  const bindNamespaces = new Set([...scope.variables.values()].map((v) => v.namespace));
  const seen = new Map<string, string>();

  const parse = (value: unknown, at: string, before: number, allowLastCall: boolean): ValueExpr => {
    const exprScope: ExprScope = { aliases, steps: names, before, allowLastCall };
    const parsed = parseValueExpr(value, exprScope);
    if (!parsed.ok) {
      ctx.error('NR_ERR_STEP_REFERENCE', at, parsed.reason);
      return { kind: 'literal', value: null };
    }
    const e = parsed.expr;
    if (e.kind === 'step' || e.kind === 'last-call') {
      const problem = jsonPathProblem(e.path);
      if (problem) ctx.error('NR_ERR_JSONPATH', at, `JSONPath ${JSON.stringify(value)} ${problem}`);
    }
    if (e.kind === 'input') inputRefs.push({ name: e.name, pointer: at });
    if (e.kind === 'template') {
      for (const ref of e.template.refs) {
        const head = ref.split('.')[0]!;
        if (names.slice(0, before).includes(head) || scope.variables.has(ref)) continue;
        if (names.includes(head)) ctx.error('NR_ERR_STEP_REFERENCE', at, `{{${ref}}} reads step "${head}", which runs later; a step can only read the steps before it`);
        else if (ref.includes('.') && bindNamespaces.has(head)) ctx.error('NR_ERR_UNDECLARED_VARIABLE', at, `{{${ref}}}: binds "${head}" declares no key "${ref.slice(head.length + 1)}"`);
        else if (!ref.includes('.')) addUse(uses, { name: ref, in: 'query', type: 'string', required: true });
      }
    }
    return e;
  };

  rawSteps.forEach((s, i) => {
    const at = `${pointer}/steps/${i}`;
    const name = names[i]!;
    if (seen.has(name)) ctx.error('NR_ERR_DUPLICATE_STEP', `${at}/name`, `step "${name}" is already declared at ${seen.get(name)}; step names must be unique`);
    seen.set(name, `${at}/name`);
    if (bindNamespaces.has(name)) ctx.error('NR_ERR_DUPLICATE_STEP', `${at}/name`, `step "${name}" has the name of a binds namespace; {{${name}.X}} would be ambiguous: rename the step`);
    const dependsOn = new Set<number>();
    const readStep = (e: ValueExpr) => stepsRead(e, names.slice(0, i)).forEach((n) => dependsOn.add(names.indexOf(n)));
    const args = (w: unknown, wPointer: string): StepArgument[] =>
      Object.entries((w && typeof w === 'object' ? w : {}) as Record<string, unknown>).map(([target, v]) => {
        const value = parse(v, `${wPointer}/${escapePointer(target)}`, i, false);
        readStep(value);
        return { target, value };
      });

    switch (s.type) {
      case 'call': {
        const call = String(s.call);
        const operation = scope.operations.get(call);
        if (!operation) {
          if (!ctx.unresolvedNamespaces.has(call.split('.')[0]!)) ctx.error('NR_ERR_UNKNOWN_CALL', `${at}/call`, `step "${name}" calls "${call}", which names no consumed operation${known(scope.operations.keys())}`);
          return;
        }
        const withArgs = args(s.with, `${at}/with`);
        inferFromCall(scope, operation, withArgs, uses);
        steps.push({ kind: 'call', name, operation, with: withArgs, dependsOn: [...dependsOn], pointer: at });
        return;
      }
      case 'lookup': {
        const index = String(s.index);
        const indexAt = names.indexOf(index);
        const indexStep = steps.find((x) => x.name === index);
        if (indexAt < 0 || indexAt >= i) ctx.error('NR_ERR_STEP_REFERENCE', `${at}/index`, `lookup "${name}" indexes "${index}", which is not an earlier step (earlier: ${names.slice(0, i).join(', ') || 'none'})`);
        else if (indexStep && indexStep.kind === 'lookup') ctx.error('NR_ERR_STEP_REFERENCE', `${at}/index`, `lookup "${name}" indexes "${index}", a lookup; the index must be a call or script step`);
        else dependsOn.add(indexAt);
        const match = str(s.match) ?? '';
        if (match === '') ctx.error('NR_ERR_SCHEMA', `${at}/match`, 'a lookup needs "match": the field of each index entry to compare');
        const lookupValue = parse(s.lookupValue, `${at}/lookupValue`, i, false);
        readStep(lookupValue);
        const fields = Array.isArray(s.outputParameters) ? s.outputParameters.map((f) => String(typeof f === 'object' && f ? (f as Raw).name : f)) : [];
        if (fields.length === 0) ctx.warn('NR_WARN_LOOKUP_NO_FIELDS', `${at}`, `lookup "${name}" lists no outputParameters: each match is kept whole`);
        steps.push({ kind: 'lookup', name, index, match, lookupValue, fields, dependsOn: [...dependsOn], pointer: at });
        return;
      }
      case 'script': {
        for (let d = 0; d < i; d++) dependsOn.add(d);
        const script = buildScript(scope, s, at, name);
        const withArgs = args(s.with, `${at}/with`);
        if (script) steps.push({ kind: 'script', name, ...script, with: withArgs, dependsOn: [...dependsOn], pointer: at });
        return;
      }
      default:
        ctx.error('NR_ERR_SCHEMA', `${at}/type`, `unknown step type ${JSON.stringify(s.type)}; expected call, lookup or script`);
    }
  });

  const declaredOutput = orchestratedOutput(raw.outputParameters);
  const mappings: StepMapping[] = list(raw.mappings).map((m, i) => {
    const at = `${pointer}/mappings/${i}`;
    const targetName = String(m.targetName ?? m.target ?? '');
    const target = targetName.split('.').filter((p) => p !== '');
    if (target.length === 0) ctx.error('NR_ERR_SCHEMA', at, 'a mapping needs "targetName": the output field it writes');
    const value = parse(m.value, `${at}/value`, names.length, true);
    if (value.kind === 'last-call' && !steps.some((st) => st.kind === 'call')) ctx.error('NR_ERR_STEP_REFERENCE', `${at}/value`, `${JSON.stringify(m.value)} names no step, and there is no call step whose output it could read`);
    const type = declaredOutput ? scalarTypeAt(declaredOutput, target) : undefined;
    return { target, value, ...(type ? { type } : {}) };
  });

  const mapped = list(raw.outputParameters).some((p) => p.mapping !== undefined || (typeof p.value === 'string' && p.value.startsWith('$')));
  if (mapped) checkOutputPaths(ctx, raw.outputParameters, `${pointer}/outputParameters`);
  if (mappings.length === 0 && !steps.some((s) => s.kind === 'call')) {
    ctx.error('NR_ERR_STEP_RESULT', pointer, 'an orchestration without "mappings" answers with its last call step, but it has no call step: add mappings');
  }
  const initial = Object.entries((raw.with && typeof raw.with === 'object' ? raw.with : {}) as Record<string, unknown>).map(([target, v]) => ({
    target,
    value: parse(v, `${pointer}/with/${escapePointer(target)}`, 0, false),
  }));
  for (const name of names) {
    if (list(raw.inputParameters).some((p) => p.name === name)) ctx.warn('NR_WARN_STEP_SHADOWS_INPUT', pointer, `step "${name}" has the name of an input: {{${name}}} means the input, $.${name} the step`);
  }
  const handler: StepsHandler = {
    kind: 'steps',
    initial,
    steps,
    mappings,
    output: mapped ? buildOutputShape(raw.outputParameters) : { kind: 'passthrough' },
    ...(declaredOutput && !mapped ? { declaredOutput } : {}),
  };
  return { handler, inputUses: [...uses.values()], inputRefs };
}

/** A call step receives every input by name: the consumed parameters it does not get from `with` or binds are inputs too. */
function inferFromCall(scope: StepsScope, op: ConsumedOperation, withArgs: readonly StepArgument[], uses: Map<string, InputUse>): void {
  const given = new Set(withArgs.map((a) => a.target));
  for (const a of withArgs) {
    if (a.value.kind !== 'input') continue;
    const p = op.parameters.find((x) => x.name === a.target);
    addUse(uses, { name: a.value.name, in: restIn(p?.in), type: p?.type ?? 'string', ...(p?.description !== undefined ? { description: p.description } : {}), required: p?.required ?? true });
  }
  for (const a of withArgs) {
    if (a.value.kind !== 'template') continue;
    const p = op.parameters.find((x) => x.name === a.target);
    for (const ref of a.value.template.refs) {
      const u = uses.get(ref);
      if (u && p) uses.set(ref, { ...u, type: p.type ?? u.type, ...(p.description !== undefined ? { description: p.description } : {}) });
    }
  }
  for (const p of op.parameters) {
    if (given.has(p.name) || p.serverSide || p.in === 'environment' || p.value !== undefined) continue;
    addUse(uses, { name: p.name, in: restIn(p.in), type: p.type ?? 'string', ...(p.description !== undefined ? { description: p.description } : {}), required: p.required });
  }
  for (const ref of op.path.refs) {
    if (given.has(ref) || scope.variables.has(ref) || op.parameters.some((p) => p.name === ref)) continue;
    addUse(uses, { name: ref, in: 'query', type: 'string', required: true });
  }
}

function restIn(where: string | undefined): InputUse['in'] {
  return where === 'header' || where === 'cookie' || where === 'body' ? where : 'query';
}

function addUse(uses: Map<string, InputUse>, use: InputUse): void {
  if (!uses.has(use.name)) uses.set(use.name, use);
}

/** Script steps read their files at load (FEATURES §5): JavaScript only; python/groovy are refused at call time. */
function buildScript(scope: StepsScope, s: Raw, at: string, name: string) {
  const { ctx, scripting } = scope;
  const file = str(s.file);
  if (!file) {
    ctx.error('NR_ERR_SCHEMA', at, `script step "${name}" needs "file"`);
    return undefined;
  }
  const language = (str(s.language) ?? scripting.defaultLanguage ?? (file.endsWith('.js') || file.endsWith('.mjs') ? 'javascript' : undefined)) as 'javascript' | 'python' | 'groovy' | undefined;
  if (!language) {
    ctx.error('NR_ERR_SCRIPT', `${at}/language`, `script step "${name}" gives no "language" and no default is set (control adapter management.scripting.defaultLanguage)`);
    return undefined;
  }
  if (scripting.allowedLanguages && scripting.allowedLanguages.length > 0 && !scripting.allowedLanguages.includes(language)) {
    ctx.error('NR_ERR_SCRIPT', `${at}/language`, `script language "${language}" is not in management.scripting.allowedLanguages (${scripting.allowedLanguages.join(', ')})`);
  }
  if (language !== 'javascript') ctx.warn('NR_WARN_SCRIPT_LANGUAGE', `${at}/language`, `script language "${language}" is not supported by naftiko-run (JavaScript only): calls that reach step "${name}" answer 501`);
  if (scripting.enabled === false || process.env.NAFTIKO_SCRIPTING === 'false') {
    ctx.warn('NR_WARN_SCRIPTING_DISABLED', at, `scripting is disabled (${scripting.enabled === false ? 'management.scripting.enabled: false' : 'NAFTIKO_SCRIPTING=false'}): calls that reach step "${name}" answer 503`);
  }
  const location = str(s.location) ?? scripting.defaultLocation;
  if (!location) {
    ctx.error('NR_ERR_SCRIPT', at, `script step "${name}" gives no "location" and no default is set (control adapter management.scripting.defaultLocation)`);
    return undefined;
  }
  const dir = resolveLocation(location, ctx.dir, { base: 'capability-first', plainPaths: true });
  const locationPointer = s.location !== undefined ? `${at}/location` : at;
  if (!dir.ok || !dir.exists) {
    ctx.error('NR_ERR_SCRIPT', locationPointer, dir.ok ? `script folder ${dir.tried.join(' / ')} does not exist` : dir.reason);
    return undefined;
  }
  const read = (rel: string, pointer: string) => {
    const full = safeJoin(dir.path, rel);
    if ('reason' in full) {
      ctx.error('NR_ERR_SCRIPT', pointer, full.reason);
      return undefined;
    }
    try {
      return { file: rel, code: readFileSync(full.path, 'utf8') };
    } catch (e) {
      ctx.error('NR_ERR_SCRIPT', pointer, `cannot read script ${full.path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  };
  const sources = [...list(s.dependencies).map((_, k) => String((s.dependencies as unknown[])[k])).map((d, k) => read(d, `${at}/dependencies/${k}`)), read(file, `${at}/file`)];
  if (sources.some((x) => x === undefined)) return undefined;
  const timeoutMs = typeof scripting.timeout === 'number' && scripting.timeout > 0 ? scripting.timeout : DEFAULT_SCRIPT_TIMEOUT_MS;
  return { language, sources: sources as { file: string; code: string }[], timeoutMs, enabled: scripting.enabled !== false };
}

/** `rel` under `dir`: plain segments only, and no symlink may lead outside. */
function safeJoin(dir: string, rel: string): { path: string } | { reason: string } {
  const segments = rel.split(/[\\/]/);
  if (segments.some((seg) => !/^[a-zA-Z0-9._-]+$/.test(seg) || seg === '.' || seg === '..')) return { reason: `script path ${JSON.stringify(rel)} must be plain segments (letters, digits, . _ -) without "." or ".."` };
  const full = path.join(dir, ...segments);
  try {
    const real = realpathSync(full);
    const root = realpathSync(dir);
    if (real !== root && !real.startsWith(root + path.sep)) return { reason: `script ${JSON.stringify(rel)} resolves outside its folder ${dir}` };
    if (!statSync(real).isFile()) return { reason: `script ${full} is not a file` };
    return { path: real };
  } catch {
    return { reason: `script file ${full} does not exist` };
  }
}

/** Orchestrated `outputParameters` ({name, type}, `items` as a list of named fields): declarative, for outputSchema and coercion. */
export function orchestratedOutput(rawParams: unknown): OutputNode | undefined {
  const params = list(rawParams);
  if (params.length === 0 || params.some((p) => p.name === undefined)) return undefined;
  return { kind: 'named', fields: new Map(params.map((p) => [String(p.name), declaredNode(p)])) };
}

function declaredNode(p: Raw): OutputNode {
  switch (p.type) {
    case 'array': {
      const items = p.items;
      if (Array.isArray(items)) return { kind: 'array', items: { kind: 'object', properties: new Map((items as Raw[]).map((f, i) => [String(f.name ?? `field${i}`), declaredNode(f)])) } };
      if (items && typeof items === 'object') return { kind: 'array', items: declaredNode(items as Raw) };
      return { kind: 'array' };
    }
    case 'object':
      return { kind: 'object', properties: new Map(Object.entries((p.properties ?? {}) as Record<string, Raw>).map(([k, v]) => [k, declaredNode(v)])) };
    default:
      return { kind: 'scalar', type: (['number', 'integer', 'boolean'].includes(String(p.type)) ? p.type : 'string') as 'string' };
  }
}

function scalarTypeAt(node: OutputNode, target: readonly string[]): string | undefined {
  let cur: OutputNode | undefined = node;
  for (const key of target) {
    if (!cur) return undefined;
    cur = cur.kind === 'named' ? cur.fields.get(key) : cur.kind === 'object' ? cur.properties.get(key) : undefined;
  }
  return cur?.kind === 'scalar' ? cur.type : undefined;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function known(keys: Iterable<string>): string {
  const all = [...keys];
  return all.length ? ` (known: ${all.slice(0, 12).join(', ')}${all.length > 12 ? ', …' : ''})` : '';
}
