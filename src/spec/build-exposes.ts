/**
 * `capability.exposes[]` → REST operations and MCP tools: `call` targets resolved, `with` parsed, inputs
 * declared or inferred (SEMANTICS §3), outputs compiled (§5), and the semantic checks of §1.
 */
import type {
  BoundVariable, ConsumedApi, ConsumedOperation, ExposedAdapter, ExposedInput, ExposedOperation, HttpMethod,
  OperationHandler, ParamType, ToolHints, WithArgument, WithSource,
} from './model.js';
import { compileTemplate } from './template.js';
import { BuildContext, list, str, type Raw } from './context.js';
import { buildOutputShape, buildNamed, checkOutputPaths, isStaticOutput } from './build-output.js';
import { DECODED_FORMATS } from './model.js';

export const DEFAULT_ADDRESS = '127.0.0.1';

interface Scope {
  readonly ctx: BuildContext;
  readonly operations: ReadonlyMap<string, ConsumedOperation>;
  readonly apis: ReadonlyMap<string, ConsumedApi>;
  readonly variables: ReadonlyMap<string, BoundVariable>;
  readonly functions: ReadonlyMap<string, Raw>;
}

export function buildExposes(
  ctx: BuildContext, entries: Raw[], basePointer: string, apis: readonly ConsumedApi[],
  variables: ReadonlyMap<string, BoundVariable>, aggregates: Raw[],
): ExposedAdapter[] {
  const operations = new Map<string, ConsumedOperation>();
  for (const api of apis) for (const op of api.operations.values()) operations.set(op.ref, op);
  const scope: Scope = { ctx, operations, apis: new Map(apis.map((a) => [a.namespace, a])), variables, functions: indexFunctions(aggregates) };
  const adapters: ExposedAdapter[] = [];
  const namespaces = new Map<string, string>();
  entries.forEach((raw, i) => {
    const pointer = `${basePointer}/${i}`;
    const namespace = String(raw.namespace);
    const first = namespaces.get(namespace);
    if (first) ctx.error('NR_ERR_DUPLICATE_NAMESPACE', `${pointer}/namespace`, `exposes namespace "${namespace}" is already declared at ${first}`);
    namespaces.set(namespace, `${pointer}/namespace`);
    const common = {
      namespace,
      address: str(raw.address) ?? DEFAULT_ADDRESS,
      pointer,
      ...(str(raw.description) !== undefined ? { description: str(raw.description)! } : {}),
    };
    if (raw.authentication !== undefined) {
      ctx.warn('NR_WARN_INBOUND_AUTH_UNSUPPORTED', `${pointer}/authentication`, `inbound authentication on an exposed adapter is not enforced yet: "${namespace}" accepts every caller`);
    }
    if (raw.type === 'rest') {
      adapters.push({ ...common, type: 'rest', port: raw.port as number, ...buildRest(scope, raw, pointer, namespace) });
    } else if (raw.type === 'mcp') {
      const transport = raw.transport === 'stdio' ? 'stdio' : 'http';
      const tools = buildTools(scope, raw, pointer, namespace);
      adapters.push({ ...common, type: 'mcp', transport, ...(typeof raw.port === 'number' ? { port: raw.port } : {}), tools });
    } else {
      ctx.warn('NR_WARN_ADAPTER_UNSUPPORTED', `${pointer}/type`, `"${String(raw.type)}" adapters are loaded but not served yet`);
      adapters.push({ ...common, type: raw.type as 'skill' | 'control', ...(typeof raw.port === 'number' ? { port: raw.port } : {}) });
    }
  });
  checkPorts(ctx, adapters);
  return adapters;
}

function indexFunctions(aggregates: Raw[]): Map<string, Raw> {
  const out = new Map<string, Raw>();
  for (const agg of aggregates) for (const fn of list(agg.functions)) out.set(`${String(agg.namespace)}.${String(fn.name)}`, fn);
  return out;
}

function buildRest(scope: Scope, raw: Raw, pointer: string, namespace: string) {
  const operations: ExposedOperation[] = [];
  const forwards: { path: string; targetNamespace: string; pointer: string }[] = [];
  const routes = new Map<string, string>();
  list(raw.resources).forEach((res, r) => {
    const resPointer = `${pointer}/resources/${r}`;
    const path = String(res.path);
    if (res.forward) {
      const target = String((res.forward as Raw).targetNamespace);
      if (!scope.apis.has(target)) scope.ctx.error('NR_ERR_UNKNOWN_NAMESPACE', `${resPointer}/forward/targetNamespace`, `forward target "${target}" is not a consumes namespace${known(scope.apis.keys())}`);
      forwards.push({ path, targetNamespace: target, pointer: resPointer });
    }
    const placeholders = pathPlaceholders(path);
    list(res.operations).forEach((rawOp, o) => {
      const opPointer = `${resPointer}/operations/${o}`;
      const op = withRef(scope, rawOp, opPointer);
      const method = (str(op.method) ?? 'GET') as HttpMethod;
      const routeKey = `${method} ${path.replace(/\{\{?[^}]+\}?\}/g, '{}')}`;
      if (routes.has(routeKey)) scope.ctx.error('NR_ERR_DUPLICATE_ROUTE', `${opPointer}/method`, `${method} ${path} is already declared at ${routes.get(routeKey)}`);
      routes.set(routeKey, opPointer);
      const declared = [...list(res.inputParameters), ...list(op.inputParameters)];
      const name = str(op.name) ?? `${method.toLowerCase()}-${String(res.name ?? r)}`;
      const built = buildOperation(scope, op, opPointer, {
        id: `rest:${method} ${path}`, adapter: namespace, name, aliases: ['rest', namespace], declared, placeholders, isRest: true,
      });
      for (const ph of placeholders) {
        if (!built.inputs.some((i) => i.name === ph && i.in === 'path')) {
          scope.ctx.error('NR_ERR_PATH_PLACEHOLDER', `${resPointer}/path`, `path placeholder {${ph}} of ${method} ${path} has no input parameter; declare one with "in: path" or pass it with "with: {…: rest.${ph}}"`);
        }
      }
      operations.push({ ...built, method, path });
    });
  });
  return { operations, forwards };
}

function buildTools(scope: Scope, raw: Raw, pointer: string, namespace: string): ExposedOperation[] {
  const tools: ExposedOperation[] = [];
  const names = new Map<string, string>();
  list(raw.tools).forEach((rawTool, t) => {
    const toolPointer = `${pointer}/tools/${t}`;
    const tool = withRef(scope, rawTool, toolPointer);
    const name = String(tool.name);
    if (names.has(name)) scope.ctx.error('NR_ERR_DUPLICATE_TOOL', `${toolPointer}/name`, `tool "${name}" is already declared at ${names.get(name)}`);
    names.set(name, toolPointer);
    const built = buildOperation(scope, tool, toolPointer, {
      id: `mcp:${name}`, adapter: namespace, name, aliases: ['tools', 'mcp', namespace], declared: list(tool.inputParameters), placeholders: [], isRest: false,
    });
    const hints = buildHints(tool);
    tools.push({ ...built, ...(hints ? { hints } : {}) });
  });
  return tools;
}

/** `ref: aggregate.function`: the function's fields, overridden by the operation's own. */
function withRef(scope: Scope, raw: Raw, pointer: string): Raw {
  const ref = str(raw.ref);
  if (ref === undefined) return raw;
  const fn = scope.functions.get(ref);
  if (!fn) {
    scope.ctx.error('NR_ERR_UNKNOWN_REF', `${pointer}/ref`, `ref "${ref}" names no aggregate function${known(scope.functions.keys())}`);
    return raw;
  }
  const merged: Raw = { ...fn, ...raw };
  if (fn.semantics) {
    // hints derived from the function's semantics; the operation's own hints override them one by one
    const s = fn.semantics as Raw;
    const derived = {
      ...(typeof s.safe === 'boolean' ? { readOnly: s.safe } : {}),
      ...(s.safe === true ? { destructive: false } : {}),
      ...(typeof s.idempotent === 'boolean' ? { idempotent: s.idempotent } : {}),
    };
    merged.hints = { ...derived, ...((raw.hints as Raw | undefined) ?? {}) };
  }
  delete merged.ref;
  delete merged.semantics;
  return merged;
}

interface OperationFrame {
  readonly id: string;
  readonly adapter: string;
  readonly name: string;
  /** prefixes that make a `with` value an input reference */
  readonly aliases: readonly string[];
  readonly declared: Raw[];
  /** REST path placeholders of the exposed path */
  readonly placeholders: readonly string[];
  readonly isRest: boolean;
}

function buildOperation(scope: Scope, raw: Raw, pointer: string, frame: OperationFrame): Omit<ExposedOperation, 'method' | 'path' | 'hints'> {
  const { ctx } = scope;
  const withArgs = parseWith(raw.with, frame.aliases);
  const call = str(raw.call);
  let target: ConsumedOperation | undefined;
  if (call !== undefined) {
    target = scope.operations.get(call);
    if (!target) ctx.error('NR_ERR_UNKNOWN_CALL', `${pointer}/call`, `call "${call}" names no consumed operation${nearestCall(call, scope.operations)}`);
  }
  const declaredInputs = frame.declared.map((p) => declaredInput(p, frame));
  const inputs = declaredInputs.length > 0 || !target ? declaredInputs : inferInputs(scope, target, withArgs, raw.with === undefined, frame);
  markCredentials(scope, inputs, target, withArgs);

  checkOutputPaths(ctx, raw.outputParameters, `${pointer}/outputParameters`);
  let handler: OperationHandler;
  if (target) {
    const output = buildOutputShape(raw.outputParameters);
    handler = { kind: 'call', operation: target, with: withArgs, withImplicit: raw.with === undefined, output };
    if (output.kind === 'mapped' && !DECODED_FORMATS.has(target.outputRawFormat)) {
      ctx.warn('NR_WARN_OUTPUT_FORMAT_UNSUPPORTED', `${pointer}/outputParameters`, `${target.ref} answers ${target.outputRawFormat}, which naftiko-run does not decode yet (${[...DECODED_FORMATS].join(', ')}); mapped calls will answer 502`);
    }
    checkArguments(scope, target, withArgs, inputs, raw.with === undefined, pointer, frame);
  } else if (raw.steps !== undefined) {
    handler = { kind: 'unserved', feature: 'steps' };
  } else if (call === undefined && list(raw.outputParameters).length > 0) {
    const shape = buildOutputShape(raw.outputParameters);
    const root = shape.kind === 'mapped' ? shape.root : buildNamed(list(raw.outputParameters));
    if (!isStaticOutput(root)) ctx.error('NR_ERR_MOCK_OUTPUT', `${pointer}/outputParameters`, 'an operation without "call" or "steps" must give every output a static "value" (mock mode)');
    handler = { kind: 'mock', output: root };
  } else {
    handler = { kind: 'unserved', feature: 'none' };
  }
  const label = str(raw.label);
  const description = str(raw.description);
  return {
    id: frame.id,
    adapter: frame.adapter,
    name: frame.name,
    ...(label !== undefined ? { label } : {}),
    ...(description !== undefined ? { description } : {}),
    inputs,
    inputsInferred: declaredInputs.length === 0,
    handler,
    pointer,
  };
}

type DraftInput = ExposedInput;

function declaredInput(p: Raw, frame: OperationFrame): DraftInput {
  const name = String(p.name);
  const where = (str(p.in) ?? (frame.isRest && frame.placeholders.includes(name) ? 'path' : 'query')) as ExposedInput['in'];
  const required = p.required !== undefined ? p.required === true : frame.isRest ? where === 'path' : true;
  const description = str(p.description);
  const value = str(p.value);
  return {
    name,
    in: where,
    type: (str(p.type) ?? 'string') as ParamType,
    ...(description !== undefined ? { description } : {}),
    required,
    ...(str(p.pattern) !== undefined ? { pattern: str(p.pattern)! } : {}),
    ...(value !== undefined && value.startsWith('$') ? { bodyPath: value } : {}),
    credential: false,
  };
}

function parseWith(raw: unknown, aliases: readonly string[]): WithArgument[] {
  if (!raw || typeof raw !== 'object') return [];
  return Object.entries(raw as Record<string, string | number>).map(([target, value]) => ({ target, source: parseWithValue(value, aliases) }));
}

export function parseWithValue(value: string | number, aliases: readonly string[]): WithSource {
  if (typeof value === 'number') return { kind: 'literal', value };
  if (value.includes('{{')) return { kind: 'template', template: compileTemplate(value) };
  // `$this.<adapter-namespace>.<input>`, the reference engine's spelling of an input reference
  if (value.startsWith('$this.')) return parseWithValue(value.slice('$this.'.length), aliases);
  const dot = value.indexOf('.');
  if (dot > 0 && aliases.includes(value.slice(0, dot)) && /^[A-Za-z0-9_*-]+$/.test(value.slice(dot + 1))) return { kind: 'input', name: value.slice(dot + 1) };
  return { kind: 'literal', value };
}

/** SEMANTICS §3: inputs inferred from the consumed parameters the `with` entries feed. */
function inferInputs(scope: Scope, target: ConsumedOperation, withArgs: readonly WithArgument[], implicit: boolean, frame: OperationFrame): DraftInput[] {
  const inputs = new Map<string, DraftInput>();
  const consumedParam = (name: string) => target.parameters.find((p) => p.name === name);
  const placeholders = new Set(target.path.refs);
  const add = (name: string, from: string) => {
    if (inputs.has(name)) return;
    const p = consumedParam(from);
    const consumedIn = p?.in ?? (placeholders.has(from) ? 'path' : 'query');
    let where: ExposedInput['in'] = consumedIn === 'environment' ? 'query' : consumedIn;
    if (frame.isRest) {
      if (frame.placeholders.includes(name)) where = 'path';
      else if (where === 'path') where = 'query';
    }
    inputs.set(name, {
      name,
      in: where,
      type: p?.type ?? (p?.in === 'body' && p.name === 'body' ? 'object' : 'string'),
      ...(p?.description !== undefined ? { description: p.description } : {}),
      required: p ? p.required : true,
      credential: false,
    });
  };
  if (implicit) {
    for (const p of target.parameters) if (p.value === undefined) add(p.name, p.name);
    for (const ref of target.path.refs) if (!scope.variables.has(ref)) add(ref, ref);
  }
  for (const arg of withArgs) {
    if (arg.source.kind === 'input') add(arg.source.name, arg.target);
    else if (arg.source.kind === 'template') for (const ref of arg.source.template.refs) if (!scope.variables.has(ref)) add(ref, arg.target);
  }
  return [...inputs.values()];
}

/** The header or query parameter that the consumed `authentication` fills is a credential. */
function markCredentials(scope: Scope, inputs: DraftInput[], target: ConsumedOperation | undefined, withArgs: readonly WithArgument[]): void {
  if (!target) return;
  const auth = scope.apis.get(target.namespace)?.authentication;
  if (!auth) return;
  const credentialName = auth.type === 'apikey' ? auth.key.toLowerCase() : 'authorization';
  const credentialIn = auth.type === 'apikey' ? auth.placement : 'header';
  for (const [i, input] of inputs.entries()) {
    const arg = withArgs.find((a) => a.source.kind === 'input' && a.source.name === input.name);
    const consumedName = (arg?.target ?? input.name).toLowerCase();
    const consumed = target.parameters.find((p) => p.name.toLowerCase() === consumedName);
    if (consumedName === credentialName && (consumed?.in ?? input.in) === credentialIn) inputs[i] = { ...input, credential: true };
  }
}

/** Every consumed path placeholder and required parameter must get a value from somewhere. */
function checkArguments(scope: Scope, target: ConsumedOperation, withArgs: readonly WithArgument[], inputs: readonly ExposedInput[], implicit: boolean, pointer: string, frame: OperationFrame): void {
  const provided = new Set(withArgs.map((a) => a.target));
  const inputNames = new Set(inputs.map((i) => i.name));
  if (implicit) for (const n of inputNames) provided.add(n);
  for (const arg of withArgs) {
    if (arg.source.kind === 'input' && !inputNames.has(arg.source.name)) {
      scope.ctx.error('NR_ERR_UNKNOWN_INPUT', `${pointer}/with/${arg.target}`, `"${frame.aliases[0]}.${arg.source.name}" names no input parameter of ${frame.id} (inputs: ${[...inputNames].join(', ') || 'none'})`);
    }
  }
  const declaredParams = new Set(target.parameters.map((p) => p.name));
  for (const ref of target.path.refs) {
    if (declaredParams.has(ref) || scope.variables.has(ref) || provided.has(ref)) continue;
    scope.ctx.error('NR_ERR_PATH_PLACEHOLDER', pointer, `${target.ref} path placeholder {${ref}} gets no value: declare an input parameter "${ref}" on the consumed operation or pass it with "with"`);
  }
}

function buildHints(raw: Raw): ToolHints | undefined {
  const h = raw.hints as Raw | undefined;
  if (!h) return undefined;
  const out: { -readonly [K in keyof ToolHints]: ToolHints[K] } = {};
  for (const k of ['readOnly', 'destructive', 'idempotent', 'openWorld'] as const) if (typeof h[k] === 'boolean') out[k] = h[k] as boolean;
  return out;
}

export function pathPlaceholders(path: string): string[] {
  return [...path.matchAll(/\{\{?\s*([^{}\s]+)\s*\}?\}/g)].map((m) => m[1]!);
}

function checkPorts(ctx: BuildContext, adapters: readonly ExposedAdapter[]): void {
  const seen = new Map<number, ExposedAdapter>();
  for (const a of adapters) {
    if (a.port === undefined) continue;
    const other = seen.get(a.port);
    if (other) ctx.error('NR_ERR_PORT_CONFLICT', `${a.pointer}/port`, `port ${a.port} is already used by adapter "${other.namespace}" (${other.pointer})`);
    else seen.set(a.port, a);
  }
}

function known(keys: Iterable<string>): string {
  const all = [...keys];
  return all.length ? ` (known: ${all.slice(0, 12).join(', ')}${all.length > 12 ? ', …' : ''})` : '';
}

function nearestCall(call: string, operations: ReadonlyMap<string, ConsumedOperation>): string {
  const [ns, name] = call.split('.');
  const sameName = [...operations.values()].filter((o) => o.name === name).map((o) => o.ref);
  if (sameName.length) return ` (did you mean ${sameName.join(' or ')}?)`;
  const inNs = [...operations.values()].filter((o) => o.namespace === ns).map((o) => o.ref);
  if (inNs.length) return ` (namespace "${ns}" has: ${inNs.slice(0, 12).join(', ')})`;
  return known(operations.keys());
}
