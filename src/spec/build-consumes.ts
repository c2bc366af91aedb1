/** `capability.consumes[]` → ConsumedApi models (SEMANTICS §1, §4). */
import type { Authentication, ConsumedApi, ConsumedOperation, ConsumedParameter, HttpMethod, OutputFormat, ParamLocation, ParamType, RequestBodySpec, BoundVariable } from './model.js';
import { compileTemplate, type Template } from './template.js';
import { BuildContext, list, str, type Raw } from './context.js';

export function buildConsumes(ctx: BuildContext, entries: Raw[], basePointer: string, variables: ReadonlyMap<string, BoundVariable>): ConsumedApi[] {
  const apis: ConsumedApi[] = [];
  const seen = new Map<string, string>();
  entries.forEach((raw, i) => {
    const pointer = `${basePointer}/${i}`;
    if (raw.location !== undefined) {
      ctx.warn('NR_WARN_IMPORT_UNSUPPORTED', pointer, `imported consumes ("location: ${String(raw.location)}") are not loaded yet; calls into "${String(raw.as ?? raw.import)}" will fail validation`);
      return;
    }
    const namespace = String(raw.namespace);
    const first = seen.get(namespace);
    if (first) ctx.error('NR_ERR_DUPLICATE_NAMESPACE', `${pointer}/namespace`, `consumes namespace "${namespace}" is already declared at ${first}`);
    seen.set(namespace, `${pointer}/namespace`);
    apis.push(buildApi(ctx, raw, pointer, variables));
  });
  return apis;
}

function buildApi(ctx: BuildContext, raw: Raw, pointer: string, variables: ReadonlyMap<string, BoundVariable>): ConsumedApi {
  const namespace = String(raw.namespace);
  const baseUriText = String(raw.baseUri);
  if (baseUriText.endsWith('/')) {
    ctx.error('NR_ERR_BASE_URI', `${pointer}/baseUri`, `baseUri must not end with "/", got ${JSON.stringify(baseUriText)}; resource paths carry the separator`);
  }
  const baseUri = compileTemplate(baseUriText);
  requireVariables(ctx, baseUri, `${pointer}/baseUri`, variables);
  const authentication = raw.authentication ? buildAuth(ctx, raw.authentication as Raw, `${pointer}/authentication`, variables) : undefined;
  const apiParams = buildParams(ctx, list(raw.inputParameters), `${pointer}/inputParameters`, variables, true);
  const operations = new Map<string, ConsumedOperation>();
  list(raw.resources).forEach((res, r) => {
    const resPointer = `${pointer}/resources/${r}`;
    const resourceParams = buildParams(ctx, list(res.inputParameters), `${resPointer}/inputParameters`, variables, false);
    const pathText = String(res.path);
    const path = compileTemplate(pathText.startsWith('/') || pathText === '' ? pathText : '/' + pathText, { pathPlaceholders: true });
    list(res.operations).forEach((op, o) => {
      const opPointer = `${resPointer}/operations/${o}`;
      const name = String(op.name);
      if (operations.has(name)) {
        ctx.error('NR_ERR_DUPLICATE_OPERATION', `${opPointer}/name`, `operation "${name}" is already declared in namespace "${namespace}" at ${operations.get(name)!.pointer}; call targets must be unique`);
        return;
      }
      const opParams = buildParams(ctx, list(op.inputParameters), `${opPointer}/inputParameters`, variables, false);
      const description = str(op.description);
      const body = op.body === undefined ? undefined : buildBody(op.body);
      operations.set(name, {
        ref: `${namespace}.${name}`,
        namespace,
        resource: String(res.name),
        name,
        method: (str(op.method) ?? 'GET') as HttpMethod,
        ...(description !== undefined ? { description } : {}),
        path,
        parameters: mergeParams(apiParams, resourceParams, opParams),
        outputRawFormat: (str(op.outputRawFormat) ?? 'json') as OutputFormat,
        outputParameters: list(op.outputParameters).map((p) => ({ name: String(p.name), type: String(p.type), value: String(p.value) })),
        ...(body !== undefined ? { body } : {}),
        pointer: opPointer,
      });
    });
  });
  const description = str(raw.description);
  return { namespace, ...(description !== undefined ? { description } : {}), baseUri, ...(authentication ? { authentication } : {}), operations, pointer };
}

function buildParams(ctx: BuildContext, raws: Raw[], pointer: string, variables: ReadonlyMap<string, BoundVariable>, variablesOnly: boolean): ConsumedParameter[] {
  return raws.map((p, i) => {
    const value = p.value === undefined ? undefined : compileTemplate(String(p.value));
    if (value && variablesOnly) requireVariables(ctx, value, `${pointer}/${i}/value`, variables);
    else if (value) requireQualifiedVariables(ctx, value, `${pointer}/${i}/value`, variables);
    const description = str(p.description);
    return {
      name: String(p.name),
      in: String(p.in) as ParamLocation,
      ...(p.type !== undefined ? { type: p.type as ParamType } : {}),
      ...(description !== undefined ? { description } : {}),
      required: p.required === true || p.in === 'path',
      ...(value ? { value } : {}),
    };
  });
}

/** Operation-level parameters override resource-level, which override adapter-level (same name + in). */
function mergeParams(...levels: ConsumedParameter[][]): ConsumedParameter[] {
  const byKey = new Map<string, ConsumedParameter>();
  for (const level of levels) for (const p of level) byKey.set(`${p.in}\0${p.in === 'header' ? p.name.toLowerCase() : p.name}`, p);
  return [...byKey.values()];
}

function buildAuth(ctx: BuildContext, raw: Raw, pointer: string, variables: ReadonlyMap<string, BoundVariable>): Authentication {
  const t = (field: string): Template => {
    const tpl = compileTemplate(str(raw[field]) ?? '');
    requireVariables(ctx, tpl, `${pointer}/${field}`, variables);
    return tpl;
  };
  switch (raw.type) {
    case 'bearer':
      return { type: 'bearer', token: t('token') };
    case 'basic':
      return { type: 'basic', username: t('username'), password: t('password') };
    case 'digest':
      ctx.warn('NR_WARN_AUTH_UNSUPPORTED', pointer, 'digest upstream authentication is not supported yet; calls through this adapter answer 501');
      return { type: 'digest', username: t('username'), password: t('password') };
    case 'apikey':
      return { type: 'apikey', key: str(raw.key) ?? 'X-API-Key', value: t('value'), placement: raw.placement === 'query' ? 'query' : 'header' };
    default:
      ctx.warn('NR_WARN_AUTH_UNSUPPORTED', pointer, 'oauth2 upstream authentication is not supported yet; calls through this adapter answer 501');
      return { type: 'oauth2', settings: { ...raw } };
  }
}

function buildBody(raw: unknown): RequestBodySpec {
  if (typeof raw === 'string') return { type: 'raw', data: compileTemplate(raw) };
  const b = raw as Raw;
  switch (b.type) {
    case 'json':
      return { type: 'json', data: b.data };
    case 'formUrlEncoded':
      return {
        type: 'formUrlEncoded',
        data: typeof b.data === 'string' ? compileTemplate(b.data) : new Map(Object.entries(b.data as Record<string, string>).map(([k, v]) => [k, compileTemplate(String(v))])),
      };
    case 'multipartForm':
      return {
        type: 'multipartForm',
        parts: list(b.data).map((p) => ({
          name: String(p.name),
          value: compileTemplate(String(p.value)),
          ...(p.filename !== undefined ? { filename: String(p.filename) } : {}),
          ...(p.contentType !== undefined ? { contentType: String(p.contentType) } : {}),
        })),
      };
    default:
      return { type: b.type as 'text' | 'xml' | 'sparql', data: compileTemplate(String(b.data ?? '')) };
  }
}

/** Templates that can only be filled from binds (baseUri, authentication, adapter-wide headers). */
export function requireVariables(ctx: BuildContext, t: Template, pointer: string, variables: ReadonlyMap<string, BoundVariable>): void {
  for (const ref of t.refs) {
    if (!variables.has(ref)) {
      ctx.error('NR_ERR_UNDECLARED_VARIABLE', pointer, `{{${ref}}} is not declared in any binds[].keys${declaredList(variables)}`);
    }
  }
}

/** `{{ns.VAR}}` whose namespace is a bind namespace must name a declared key; bare names may be inputs. */
export function requireQualifiedVariables(ctx: BuildContext, t: Template, pointer: string, variables: ReadonlyMap<string, BoundVariable>): void {
  const namespaces = new Set([...variables.values()].map((v) => v.namespace));
  for (const ref of t.refs) {
    const dot = ref.indexOf('.');
    if (dot > 0 && namespaces.has(ref.slice(0, dot)) && !variables.has(ref)) {
      ctx.error('NR_ERR_UNDECLARED_VARIABLE', pointer, `{{${ref}}}: binds "${ref.slice(0, dot)}" declares no key "${ref.slice(dot + 1)}"${declaredList(variables)}`);
    }
  }
}

function declaredList(variables: ReadonlyMap<string, BoundVariable>): string {
  const names = [...variables.keys()].filter((k) => k.includes('.'));
  return names.length ? ` (declared: ${names.join(', ')})` : ' (no binds are declared)';
}

