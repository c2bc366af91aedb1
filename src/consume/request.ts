/**
 * Consumed operation + arguments → the upstream HTTP request (SEMANTICS §4). Everything that does not
 * depend on the call (URL parsing, parameter grouping) is done once in `prepareRequest`.
 */
import type { BoundVariable, ConsumedApi, ConsumedOperation, ConsumedParameter, HttpMethod, RequestBodySpec } from '../spec/model.js';
import { compileTemplate, renderTemplate, soleReference, type Template } from '../spec/template.js';
import { InvokeError, badInput } from './errors.js';
import { prepareAuthentication, type ApplyAuth, type SessionContext } from './auth.js';
import type { UpstreamSession } from './session.js';
import { variableSource } from '../spec/binds.js';
import { headerValueProblem } from './header-value.js';

export interface UpstreamRequest {
  readonly origin: string;
  /** path and query, encoded */
  readonly path: string;
  readonly method: HttpMethod;
  readonly headers: Record<string, string>;
  readonly body?: string | FormData;
  /**
   * `METHOD origin/path` for messages: bind values are shown as `{{NAME}}`, never rendered (a token in
   * a path must not reach a caller's error), and the query is left out.
   */
  readonly label: string;
  /** the consumes namespace, for metrics and traces */
  readonly namespace: string;
  /** adds the credential per attempt (digest, OAuth2), answering one 401 */
  readonly session?: UpstreamSession;
}

export interface PreparedRequest {
  readonly api: ConsumedApi;
  readonly operation: ConsumedOperation;
  /** parsed once when baseUri has no `{{…}}` */
  readonly staticBase?: { origin: string; basePath: string };
  readonly query: readonly ConsumedParameter[];
  readonly headers: readonly ConsumedParameter[];
  readonly cookies: readonly ConsumedParameter[];
  readonly bodyParams: readonly ConsumedParameter[];
  readonly applyAuth: ApplyAuth;
  /** an inline `body: {type: json}`, its `{{…}}` strings compiled once */
  readonly jsonBody?: JsonRenderer;
}

/** Values a call can draw on: its arguments (after `with`), then bind variables. */
export interface CallScope {
  readonly args: ReadonlyMap<string, unknown>;
  readonly variables: ReadonlyMap<string, BoundVariable>;
}

export function prepareRequest(api: ConsumedApi, operation: ConsumedOperation, variables: ReadonlyMap<string, BoundVariable>, sessions: SessionContext): PreparedRequest {
  const by = (where: string) => operation.parameters.filter((p) => p.in === where);
  const base = api.baseUri.refs.length === 0 ? splitBase(api.baseUri.source) : undefined;
  return {
    api, operation,
    ...(base ? { staticBase: base } : {}),
    query: by('query'), headers: by('header'), cookies: by('cookie'), bodyParams: by('body'),
    applyAuth: prepareAuthentication(api, variables, sessions, new Set(by('header').map((p) => p.name.toLowerCase()))),
    ...(operation.body?.type === 'json' ? { jsonBody: compileJsonData(operation.body.data) } : {}),
  };
}

function splitBase(uri: string): { origin: string; basePath: string } {
  const u = new URL(uri);
  return { origin: u.origin, basePath: u.pathname.replace(/\/+$/, '') };
}

export function buildUpstreamRequest(plan: PreparedRequest, scope: CallScope): UpstreamRequest {
  const { api, operation } = plan;
  const lookup = (ref: string): string | undefined => {
    const v = scope.args.get(ref);
    if (v !== undefined && v !== null) return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return scope.variables.get(ref)?.value;
  };
  const render = (t: Template, what: string, encode?: (s: string) => string): string => {
    const r = renderTemplate(t, lookup, encode);
    if (r.ok) return r.value;
    throw missingValue(r.missing, what, scope);
  };

  // server-side values draw on binds only: a caller's input never chooses the upstream host (probe F10)
  const base = plan.staticBase ?? splitBase(renderServerSide(api.baseUri, `${api.namespace} baseUri`, scope));
  let path = base.basePath + renderPath(operation, lookup, scope);

  let qs = '';
  const addQuery = (name: string, value: string) => {
    qs += (qs === '' ? '' : '&') + encodeURIComponent(name) + '=' + encodeURIComponent(value);
  };
  for (const p of plan.query) {
    const v = paramValue(p, scope, render);
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) addQuery(p.name, scalarText(item));
    else addQuery(p.name, scalarText(v));
  }

  const headers: Record<string, string> = Object.create(null);
  const invalid: { name: string; reason: string }[] = [];
  for (const p of plan.headers) {
    const v = paramValue(p, scope, render);
    if (v === undefined) continue;
    const text = scalarText(v);
    const problem = headerValueProblem(text);
    if (problem) invalid.push({ name: p.name, reason: problem });
    else headers[p.name.toLowerCase()] = text;
  }
  if (plan.cookies.length) {
    const cookies = plan.cookies
      .map((p) => [p.name, paramValue(p, scope, render)] as const)
      .filter(([, v]) => v !== undefined)
      .map(([n, v]) => `${n}=${encodeURIComponent(scalarText(v))}`);
    if (cookies.length) headers.cookie = cookies.join('; ');
  }
  if (invalid.length) throw badInput(invalid);

  const body = buildBody(plan, scope, render, headers);
  const authQuery = plan.applyAuth(headers, operation.ref);
  if (authQuery) addQuery(authQuery.name, authQuery.value);

  if (qs) path += (path.includes('?') ? '&' : '?') + qs;
  const label = `${operation.method} ${plan.staticBase ? plan.staticBase.origin + plan.staticBase.basePath : api.baseUri.source}${pathLabel(operation, scope)}`;
  const session = plan.applyAuth.session;
  return { origin: base.origin, path: path || '/', method: operation.method, headers, ...(body !== undefined ? { body } : {}), label, namespace: api.namespace, ...(session ? { session } : {}) };
}

type Render = (t: Template, what: string, encode?: (s: string) => string) => string;

function renderServerSide(t: Template, what: string, scope: CallScope): string {
  const r = renderTemplate(t, (ref) => scope.variables.get(ref)?.value);
  if (r.ok) return r.value;
  throw missingValue(r.missing, what, scope);
}

/**
 * Path placeholders become one encoded segment each; an empty value, `.` or `..` is refused, since it
 * would name another resource once a server or proxy normalises the path (probe F2, F3).
 */
/** The operation's path for messages: the caller's values filled in, bind variables named, not shown. */
function pathLabel(operation: ConsumedOperation, scope: CallScope): string {
  let out = '';
  for (const part of operation.path.parts) {
    if (typeof part === 'string') out += part;
    else {
      const v = scope.args.get(part.ref);
      out += v !== undefined && v !== null ? encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : String(v)) : `{{${part.ref}}}`;
    }
  }
  return out;
}

function renderPath(operation: ConsumedOperation, lookup: (ref: string) => string | undefined, scope: CallScope): string {
  const r = renderTemplate(operation.path, lookup, (v, ref) => {
    if (v === '' || v === '.' || v === '..') {
      throw badInput([{ name: ref, reason: v === '' ? 'must not be empty: it fills a path segment' : `must not be "${v}": a dot segment would change the upstream path` }]);
    }
    return encodeURIComponent(v);
  });
  if (r.ok) return r.value;
  throw missingValue(r.missing, `${operation.ref} path`, scope);
}

function paramValue(p: ConsumedParameter, scope: CallScope, render: Render): unknown {
  if (p.serverSide) return p.value ? renderServerSide(p.value, `${p.in} parameter ${p.name}`, scope) : undefined;
  const arg = scope.args.get(p.name);
  if (arg !== undefined && arg !== null) return arg;
  if (p.value) return typedTemplateValue(p.value, scope) ?? render(p.value, `${p.in} parameter ${p.name}`);
  return undefined;
}

/** `"{{x}}"` alone keeps x's own type (number, boolean, object). */
function typedTemplateValue(t: Template, scope: CallScope): unknown {
  const ref = soleReference(t);
  if (ref === undefined) return undefined;
  const v = scope.args.get(ref);
  return v !== undefined && v !== null ? v : undefined;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function buildBody(plan: PreparedRequest, scope: CallScope, render: Render, headers: Record<string, string>): string | FormData | undefined {
  const spec = plan.operation.body;
  if (spec) return renderBodySpec(spec, plan, scope, render, headers);
  if (plan.bodyParams.length === 0) return undefined;
  const whole = plan.bodyParams.find((p) => p.name === 'body');
  let value: unknown;
  if (whole && plan.bodyParams.length === 1) {
    value = scope.args.get('body');
  } else {
    const obj: Record<string, unknown> = {};
    for (const p of plan.bodyParams) {
      const v = paramValue(p, scope, render);
      if (v !== undefined) obj[p.name] = v;
    }
    value = Object.keys(obj).length ? obj : undefined;
  }
  if (value === undefined) return undefined;
  headers['content-type'] ??= 'application/json';
  return JSON.stringify(value);
}

const TEXT_TYPES: Record<string, string> = { text: 'text/plain; charset=utf-8', xml: 'application/xml', sparql: 'application/sparql-query' };

function renderBodySpec(spec: RequestBodySpec, plan: PreparedRequest, scope: CallScope, render: Render, headers: Record<string, string>): string | FormData {
  switch (spec.type) {
    case 'json': {
      headers['content-type'] ??= 'application/json';
      const value = plan.jsonBody!(scope, render);
      return typeof spec.data === 'string' ? (value as string) : JSON.stringify(value);
    }
    case 'text':
    case 'xml':
    case 'sparql':
      headers['content-type'] ??= TEXT_TYPES[spec.type]!;
      return render(spec.data, 'body');
    case 'raw': {
      // JSON when the text itself starts an object or array (a body that is one {{placeholder}} is not)
      const first = spec.data.parts[0];
      if (typeof first === 'string' && /^\s*[[{]/.test(first)) {
        headers['content-type'] ??= 'application/json';
        return renderJsonText(spec.data, scope);
      }
      headers['content-type'] ??= 'text/plain; charset=utf-8';
      return render(spec.data, 'body');
    }
    case 'formUrlEncoded': {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      // a pre-encoded form: each value is encoded, so it cannot add fields (`bob&role=admin`)
      if ('source' in spec.data) return render(spec.data as Template, 'body', (v) => encodeURIComponent(v));
      const form = new URLSearchParams();
      for (const [k, t] of spec.data as ReadonlyMap<string, Template>) form.append(k, render(t, `body field ${k}`));
      return form.toString();
    }
    case 'multipartForm': {
      const form = new FormData();
      for (const part of spec.parts) {
        const value = render(part.value, `body part ${part.name}`);
        if (part.filename !== undefined) form.append(part.name, new Blob([value], { type: part.contentType ?? 'application/octet-stream' }), part.filename);
        else form.append(part.name, value);
      }
      return form;
    }
  }
}

type JsonRenderer = (scope: CallScope, render: Render) => unknown;

/** A string `data` is the JSON text itself, a template rendered as text; anything else is a value. */
function compileJsonData(data: unknown): JsonRenderer {
  if (typeof data !== 'string') return compileJsonBody(data);
  const t = compileTemplate(data);
  return (scope) => renderJsonText(t, scope);
}

/**
 * A JSON body written as text with `{{x}}` placeholders: each value is written as JSON, so it can
 * never add fields or break the document — inside quotes as an escaped string, elsewhere as a JSON
 * value (an array stays an array). An input that was not given is `null` there (`""` inside quotes);
 * an unset bind variable is still an error.
 */
function renderJsonText(t: Template, scope: CallScope): string {
  let out = '';
  let inString = false;
  for (const part of t.parts) {
    if (typeof part === 'string') {
      out += part;
      for (let i = 0; i < part.length; i++) {
        if (inString && part[i] === '\\') i++;
        else if (part[i] === '"') inString = !inString;
      }
      continue;
    }
    let v: unknown = scope.args.get(part.ref);
    if (v === undefined || v === null) {
      const variable = scope.variables.get(part.ref);
      if (variable && variable.value === undefined) throw missingValue(part.ref, 'body', scope);
      v = variable?.value;
    }
    if (inString) out += v === undefined || v === null ? '' : JSON.stringify(typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)).slice(1, -1);
    else out += v === undefined ? 'null' : JSON.stringify(v);
  }
  return out;
}

/**
 * An inline JSON body, compiled once: strings holding `{{…}}` become templates (one that is a single
 * reference keeps its value's type), everything else is returned as is.
 */
function compileJsonBody(data: unknown): JsonRenderer {
  if (typeof data === 'string') {
    if (!data.includes('{{')) return () => data;
    const t = compileTemplate(data);
    return (scope, render) => typedTemplateValue(t, scope) ?? render(t, 'body');
  }
  if (Array.isArray(data)) {
    const items = data.map(compileJsonBody);
    return (scope, render) => items.map((item) => item(scope, render));
  }
  if (data && typeof data === 'object') {
    const fields = Object.entries(data).map(([k, v]) => [k, compileJsonBody(v)] as const);
    return (scope, render) => Object.fromEntries(fields.map(([k, f]) => [k, f(scope, render)]));
  }
  return () => data;
}

function missingValue(ref: string, what: string, scope: CallScope): InvokeError {
  const variable = scope.variables.get(ref);
  if (variable) {
    return new InvokeError('NR_ERR_VARIABLE_UNSET', 500, 'Bind variable not set',
      `${what} needs {{${ref}}}, which is unset: set ${variableSource(variable)}`);
  }
  return badInput([{ name: ref, reason: `required to build the ${what}, but no value was given` }]);
}
