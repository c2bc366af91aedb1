/**
 * `capability.exposes[]` → REST operations and MCP tools: `call` targets resolved, `with` parsed, inputs
 * declared or inferred (SEMANTICS §3), outputs compiled (§5), and the semantic checks of §1.
 */
import type {
  BoundVariable, InboundAuthentication, ConsumedApi, ForwardSpec, ConsumedOperation, ExposedAdapter, ExposedInput, ExposedOperation, HttpMethod,
  OperationHandler, ParamType, ToolHints, WithArgument, WithSource,
} from './model.js';
import { compileTemplate, renderTemplate } from './template.js';
import { BuildContext, list, str, type Raw } from './context.js';
import { buildOutputShape, buildNamed, checkOutputPaths, isStaticOutput } from './build-output.js';
import { buildSteps, type ScriptingSettings } from './build-steps.js';
import { buildAuth } from './build-consumes.js';
import { buildResourceServer } from './build-resource-server.js';
import { buildSkillAdapter } from './build-skill.js';
import { buildControlAdapter, CONTROL_NAMESPACE } from './build-control.js';
import { buildMcpPrompts, buildMcpResources } from './build-mcp-resources.js';
import { buildRateLimit } from './build-extensions.js';

export const DEFAULT_ADDRESS = '127.0.0.1';

interface Scope {
  readonly ctx: BuildContext;
  readonly operations: ReadonlyMap<string, ConsumedOperation>;
  readonly apis: ReadonlyMap<string, ConsumedApi>;
  readonly variables: ReadonlyMap<string, BoundVariable>;
  readonly functions: ReadonlyMap<string, Raw>;
  readonly scripting: ScriptingSettings;
}

export function buildExposes(
  ctx: BuildContext, entries: Raw[], basePointer: string, apis: readonly ConsumedApi[],
  variables: ReadonlyMap<string, BoundVariable>, aggregates: Raw[],
): ExposedAdapter[] {
  const operations = new Map<string, ConsumedOperation>();
  for (const api of apis) for (const op of api.operations.values()) operations.set(op.ref, op);
  const control = entries.find((e) => e.type === 'control');
  const scripting = ((control?.management as Raw | undefined)?.scripting ?? {}) as ScriptingSettings;
  const scope: Scope = { ctx, operations, apis: new Map(apis.map((a) => [a.namespace, a])), variables, functions: indexFunctions(aggregates), scripting };
  const adapters: ExposedAdapter[] = [];
  const deferred: (() => void)[] = [];
  const namespaces = new Map<string, string>();
  entries.forEach((raw, i) => {
    const pointer = `${basePointer}/${i}`;
    const namespace = raw.type === 'control' ? CONTROL_NAMESPACE : String(raw.namespace);
    const first = namespaces.get(namespace);
    if (first && raw.type === 'control') ctx.error('NR_ERR_SECOND_CONTROL', `${pointer}/type`, `a capability has at most one control adapter; the first is at ${first}`);
    else if (first) ctx.error('NR_ERR_DUPLICATE_NAMESPACE', `${pointer}/namespace`, `exposes namespace "${namespace}" is already declared at ${first}`);
    namespaces.set(namespace, raw.type === 'control' ? `${pointer}/type` : `${pointer}/namespace`);
    const common = {
      namespace,
      address: str(raw.address) ?? DEFAULT_ADDRESS,
      pointer,
      ...(str(raw.description) !== undefined ? { description: str(raw.description)! } : {}),
    };
    const authentication = raw.authentication !== undefined ? inboundAuth(scope, raw, pointer, namespace) : undefined;
    if (authentication) (common as { authentication?: InboundAuthentication }).authentication = authentication;
    if (raw.type === 'skill') {
      deferred.push(() => adapters.splice(i, 0, buildSkillAdapter(ctx, raw, pointer, common, adapters)));
    } else if (raw.type === 'rest') {
      adapters.push({ ...common, type: 'rest', port: raw.port as number, ...buildRest(scope, raw, pointer, namespace) });
    } else if (raw.type === 'mcp') {
      const transport = raw.transport === 'stdio' ? 'stdio' : 'http';
      const tools = buildTools(scope, raw, pointer, namespace);
      const resources = buildMcpResources(ctx, raw, pointer, variables, (res, at, id, declared) =>
        buildOperation(scope, res, at, { id, adapter: namespace, name: String(res.name), aliases: ['tools', 'mcp', namespace], declared, placeholders: [], isRest: false }));
      const prompts = buildMcpPrompts(ctx, raw, pointer);
      adapters.push({ ...common, type: 'mcp', transport, ...(typeof raw.port === 'number' ? { port: raw.port } : {}), tools, resources, prompts });
    } else if (raw.type === 'control') {
      adapters.push(buildControlAdapter(ctx, raw, common, variables));
    }
  });
  // skills refer to their sibling adapters, so they are built once those exist (in declaration order)
  for (const build of deferred) build();
  checkPorts(ctx, adapters);
  return adapters;
}

/** Inbound `authentication` (FEATURES §10): its secrets must be declared binds; an unset one fails closed. */
function inboundAuth(scope: Scope, raw: Raw, pointer: string, namespace: string): InboundAuthentication | undefined {
  if (raw.type === 'mcp' && raw.transport === 'stdio') {
    scope.ctx.warn('NR_WARN_INBOUND_AUTH_IGNORED', `${pointer}/authentication`, `authentication on a stdio MCP adapter is ignored: the process that starts "${namespace}" is its only client`);
    return undefined;
  }
  if ((raw.authentication as Raw).type === 'oauth2') return buildResourceServer(scope.ctx, raw.authentication as Raw, `${pointer}/authentication`, namespace);
  const auth = buildAuth(scope.ctx, raw.authentication as Raw, `${pointer}/authentication`, scope.variables, 'inbound');
  if (auth.type === 'oauth2') return undefined;
  const secrets = auth.type === 'bearer' ? [auth.token] : auth.type === 'apikey' ? [auth.value] : auth.type === 'basic' || auth.type === 'digest' ? [auth.username, auth.password] : [];
  const unset = secrets.flatMap((t) => t.refs).filter((r) => scope.variables.has(r) && scope.variables.get(r)!.value === undefined);
  if (unset.length) {
    scope.ctx.warn('NR_WARN_INBOUND_SECRET_UNSET', `${pointer}/authentication`, `${unset.map((r) => `{{${r}}}`).join(', ')} is unset: adapter "${namespace}" refuses every request until it is set (fail closed)`);
  }
  return auth;
}

function indexFunctions(aggregates: Raw[]): Map<string, Raw> {
  const out = new Map<string, Raw>();
  for (const agg of aggregates) for (const fn of list(agg.functions)) out.set(`${String(agg.namespace)}.${String(fn.name)}`, fn);
  return out;
}

function buildRest(scope: Scope, raw: Raw, pointer: string, namespace: string) {
  const operations: ExposedOperation[] = [];
  const forwards: ForwardSpec[] = [];
  const routes = new Map<string, string>();
  list(raw.resources).forEach((res, r) => {
    const resPointer = `${pointer}/resources/${r}`;
    const path = String(res.path);
    if (res.forward) forwards.push(buildForward(scope, res, resPointer));
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
      // with an unknown call target, the inputs could not be inferred: a missing placeholder is a
      // consequence of NR_ERR_UNKNOWN_CALL, not a second problem
      const call = str(op.call);
      const callUnknown = call !== undefined && !scope.operations.has(call);
      for (const ph of callUnknown ? [] : placeholders) {
        if (!built.inputs.some((i) => i.name === ph && i.in === 'path')) {
          scope.ctx.error('NR_ERR_PATH_PLACEHOLDER', `${resPointer}/path`, `path placeholder {${ph}} of ${method} ${path} has no input parameter; declare one with "in: path" or pass it with "with: {…: rest.${ph}}"`);
        }
      }
      operations.push({ ...built, method, path });
    });
  });
  return { operations, forwards };
}

/** `resources[].forward` (FEATURES §7): `{path}` as the last segment matches the rest of the URL. */
function buildForward(scope: Scope, res: Raw, pointer: string): ForwardSpec {
  const fwd = res.forward as Raw;
  const path = String(res.path);
  const target = String(fwd.targetNamespace);
  if (!scope.apis.has(target)) scope.ctx.error('NR_ERR_UNKNOWN_NAMESPACE', `${pointer}/forward/targetNamespace`, `forward target "${target}" is not a consumes namespace${known(scope.apis.keys())}`);
  const normalized = path.startsWith('/') ? path : `/${path}`;
  const tail = /\/\{\{?\s*path\s*\}?\}$/.exec(normalized);
  const placeholders = pathPlaceholders(normalized);
  const wildcard = tail !== null;
  if (placeholders.length > (wildcard ? 1 : 0)) {
    scope.ctx.error('NR_ERR_FORWARD_PATH', `${pointer}/path`, `a forward resource path may only end with the {path} placeholder, which takes the rest of the URL; got ${JSON.stringify(path)}`);
  }
  if (!wildcard) scope.ctx.warn('NR_WARN_FORWARD_NO_PATH', `${pointer}/path`, `forward resource ${JSON.stringify(path)} has no {path} placeholder: only that exact path is forwarded, to the bare baseUri of "${target}"`);
  if (fwd.trustedHeaders === undefined) scope.ctx.warn('NR_WARN_FORWARD_NO_TRUSTED_HEADERS', `${pointer}/forward`, 'forward has no trustedHeaders: no caller header is forwarded upstream');
  const prefix = (wildcard ? normalized.slice(0, tail!.index) : normalized).replace(/\/+$/, '');
  return {
    path,
    prefix,
    wildcard,
    targetNamespace: target,
    trustedHeaders: (Array.isArray(fwd.trustedHeaders) ? fwd.trustedHeaders : []).map((h) => String(h).toLowerCase()),
    operationMethods: list(res.operations).map((o) => ((str(o.method) ?? 'GET').toUpperCase() as HttpMethod)),
    pointer,
  };
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
  const merged: Raw = { ...fn, ...raw, [AGGREGATE]: ref.slice(0, ref.indexOf('.')) };
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

/** marks a raw operation merged from an aggregate function: its namespace is an input prefix too */
const AGGREGATE = '\u0000aggregate';

/** Inputs an orchestration reads, when it declares none; REST path placeholders are path inputs. */
function orchestratedInputs(built: ReturnType<typeof buildSteps>, frame: OperationFrame): DraftInput[] {
  const out = new Map<string, DraftInput>();
  for (const ph of frame.placeholders) out.set(ph, { name: ph, in: 'path', type: 'string', required: true, credential: false });
  for (const use of built.inputUses) {
    if (out.has(use.name)) continue;
    out.set(use.name, {
      name: use.name,
      in: frame.isRest ? (use.in === 'body' ? 'body' : use.in === 'header' || use.in === 'cookie' ? use.in : 'query') : use.in,
      type: use.type,
      ...(use.description !== undefined ? { description: use.description } : {}),
      required: use.required,
      credential: false,
    });
  }
  return [...out.values()];
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
  // an aggregate function's own namespace names its inputs too, in `with` as in steps
  const aliases = typeof raw[AGGREGATE] === 'string' ? [...frame.aliases, raw[AGGREGATE] as string] : frame.aliases;
  const withArgs = parseWith(raw.with, aliases);
  const call = str(raw.call);
  let target: ConsumedOperation | undefined;
  if (call !== undefined) {
    target = scope.operations.get(call);
    if (!target && !ctx.unresolvedNamespaces.has(call.split('.')[0]!)) ctx.error('NR_ERR_UNKNOWN_CALL', `${pointer}/call`, `call "${call}" names no consumed operation${nearestCall(call, scope.operations)}`);
  }
  const declaredInputs = frame.declared.map((p) => declaredInput(scope, p, frame));
  const orchestration = !target && raw.steps !== undefined ? buildSteps(scope, raw, pointer, aliases) : undefined;
  let inputs = declaredInputs.length > 0 || (!target && !orchestration) ? declaredInputs : target ? inferInputs(scope, target, withArgs, raw.with === undefined, frame) : orchestratedInputs(orchestration!, frame);
  markCredentials(scope, inputs, target, withArgs);
  if (orchestration) {
    const names = new Set(inputs.map((i) => i.name));
    for (const ref of orchestration.inputRefs) {
      if (!names.has(ref.name)) scope.ctx.error('NR_ERR_UNKNOWN_INPUT', ref.pointer, `"${ref.name}" names no input parameter of ${frame.id} (inputs: ${[...names].join(', ') || 'none'})`);
    }
  }
  for (const input of inputs) {
    if (scope.variables.has(input.name) && input.constant === undefined) {
      scope.ctx.warn('NR_WARN_INPUT_SHADOWS_VARIABLE', pointer, `input "${input.name}" of ${frame.id} has the name of a bind variable: in this operation's own templates {{${input.name}}} is the caller's value; server-side values (baseUri, authentication, adapter-wide parameters) always use the variable. Rename one of them`);
    }
  }

  checkOutputPaths(ctx, raw.outputParameters, `${pointer}/outputParameters`);
  let handler: OperationHandler;
  if (target) {
    const output = buildOutputShape(raw.outputParameters);
    handler = { kind: 'call', operation: target, with: withArgs, withImplicit: raw.with === undefined, output };
    checkArguments(scope, target, withArgs, inputs, raw.with === undefined, pointer, frame);
  } else if (orchestration) {
    handler = orchestration.handler;
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
  const rateLimit = buildRateLimit(raw);
  return {
    id: frame.id,
    adapter: frame.adapter,
    name: frame.name,
    ...(label !== undefined ? { label } : {}),
    ...(description !== undefined ? { description } : {}),
    inputs,
    inputsInferred: declaredInputs.length === 0,
    handler,
    ...(rateLimit ? { rateLimit } : {}),
    pointer,
  };
}

type DraftInput = ExposedInput;

function declaredInput(scope: Scope, p: Raw, frame: OperationFrame): DraftInput {
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
    ...(p.value !== undefined && !(value !== undefined && value.startsWith('$')) ? { constant: constantValue(scope, p.value) } : {}),
    credential: false,
  };
}

/** A declared input `value` that is not a JSONPath: a constant, its {{VAR}} binds rendered now (FEATURES §17). */
function constantValue(scope: Scope, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const r = renderTemplate(compileTemplate(text), (ref) => scope.variables.get(ref)?.value);
  return r.ok ? r.value : text;
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
    for (const p of target.parameters) if (p.value === undefined && p.in !== 'environment' && !p.serverSide) add(p.name, p.name);
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
