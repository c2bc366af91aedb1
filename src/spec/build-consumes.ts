/** `capability.consumes[]` → ConsumedApi models (SEMANTICS §1, §4). */
import type { Authentication, ConsumedApi, ConsumedOperation, ConsumedParameter, HttpMethod, OutputFormat, ParamLocation, ParamType, RequestBodySpec, BoundVariable } from './model.js';
import { compileTemplate, type Template } from './template.js';
import { BuildContext, list, str, type Raw } from './context.js';
import { flushImported, type ConsumesSource } from './imports.js';
import { resolveLocation } from './locations.js';
import { buildResponseCache } from './build-extensions.js';

export function buildConsumes(ctx: BuildContext, sources: readonly ConsumesSource[], variables: ReadonlyMap<string, BoundVariable>): ConsumedApi[] {
  const apis: ConsumedApi[] = [];
  const seen = new Map<string, string>();
  for (const source of sources) {
    const { raw } = source;
    const namespace = String(raw.namespace);
    const first = seen.get(namespace);
    const here = source.importedAt ? `${source.importedAt.pointer}` : `${source.pointer}/namespace`;
    if (first) ctx.error('NR_ERR_DUPLICATE_NAMESPACE', here, `consumes namespace "${namespace}" is already declared at ${first}${source.importedAt ? ' (after import; rename one with "as")' : ''}`);
    seen.set(namespace, source.importedAt ? `${here} (imported)` : here);
    apis.push(buildApi(source.ctx, raw, source.pointer, variables));
  }
  flushImported(ctx, sources);
  return apis;
}

/** Consumed `in: environment` parameters: the process environment variable of that name, usable as {{name}} (FEATURES §17). */
export function environmentParameters(sources: readonly ConsumesSource[], env: Readonly<Record<string, string | undefined>>): BoundVariable[] {
  const out = new Map<string, BoundVariable>();
  const visit = (params: unknown) => {
    for (const p of list(params)) {
      if (p.in !== 'environment' || typeof p.name !== 'string' || out.has(p.name)) continue;
      const value = env[p.name];
      out.set(p.name, { name: p.name, namespace: 'environment', source: p.name, value: value === undefined || value === '' ? undefined : value });
    }
  };
  for (const { raw } of sources) {
    visit(raw.inputParameters);
    for (const res of list(raw.resources)) {
      visit(res.inputParameters);
      for (const op of list(res.operations)) visit(op.inputParameters);
    }
  }
  return [...out.values()];
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
  const apiParams = buildParams(ctx, list(raw.inputParameters), `${pointer}/inputParameters`, variables, true).map((p) => ({ ...p, serverSide: true }));
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
      const format = (str(op.outputRawFormat) ?? 'json').toLowerCase() as OutputFormat;
      const outputSchema = buildOutputSchema(ctx, format, str(op.outputSchema), `${opPointer}/outputSchema`);
      const method = (str(op.method) ?? 'GET') as HttpMethod;
      const cache = buildResponseCache(ctx, op, method, opPointer);
      operations.set(name, {
        ref: `${namespace}.${name}`,
        namespace,
        resource: String(res.name),
        name,
        method,
        ...(description !== undefined ? { description } : {}),
        path,
        parameters: mergeParams(apiParams, resourceParams, opParams),
        outputRawFormat: format,
        ...(outputSchema !== undefined ? { outputSchema } : {}),
        outputParameters: list(op.outputParameters).map((p) => ({ name: String(p.name), type: String(p.type), value: String(p.value) })),
        ...(body !== undefined ? { body } : {}),
        ...(cache ? { cache } : {}),
        pointer: opPointer,
      });
    });
  });
  const description = str(raw.description);
  return { namespace, ...(description !== undefined ? { description } : {}), baseUri, ...(authentication ? { authentication } : {}), parameters: apiParams, operations, pointer };
}

/** avro/protobuf need their schema file (checked now, parsed when calls are prepared); html/markdown take a selector/heading. */
function buildOutputSchema(ctx: BuildContext, format: OutputFormat, raw: string | undefined, pointer: string): string | undefined {
  if (format !== 'avro' && format !== 'protobuf') return raw;
  if (raw === undefined) {
    // the reference engine's own avro/protobuf fixtures omit it: pass-through still works, decoding cannot
    ctx.warn('NR_WARN_OUTPUT_SCHEMA_MISSING', pointer.replace(/\/outputSchema$/, '/outputRawFormat'), `outputRawFormat ${format} without "outputSchema" (the ${format === 'avro' ? '.avsc' : '.proto'} file that describes the body): the body passes through, but mapped outputs and steps over it answer 501`);
    return undefined;
  }
  const [file, fragment] = format === 'protobuf' ? splitFragment(raw) : [raw, undefined];
  const where = resolveLocation(file, ctx.dir, { base: 'capability-first', plainPaths: true });
  if (!where.ok) {
    ctx.error('NR_ERR_OUTPUT_SCHEMA', pointer, where.reason);
    return undefined;
  }
  if (!where.exists) {
    ctx.error('NR_ERR_OUTPUT_SCHEMA', pointer, `schema file ${where.tried.join(' / ')} does not exist`);
    return undefined;
  }
  return fragment !== undefined ? `${where.path}#${fragment}` : where.path;
}

function splitFragment(raw: string): [string, string | undefined] {
  const hash = raw.lastIndexOf('#');
  return hash > 0 ? [raw.slice(0, hash), raw.slice(hash + 1)] : [raw, undefined];
}

function buildParams(ctx: BuildContext, raws: Raw[], pointer: string, variables: ReadonlyMap<string, BoundVariable>, variablesOnly: boolean): ConsumedParameter[] {
  return raws.map((p, i) => {
    const value = p.value === undefined ? undefined : compileTemplate(String(p.value));
    if (value && variablesOnly) {
      requireVariables(ctx, value, `${pointer}/${i}/value`, variables);
      warnBareVariable(ctx, value.source, `${pointer}/${i}/value`, variables);
    }
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

export function buildAuth(ctx: BuildContext, raw: Raw, pointer: string, variables: ReadonlyMap<string, BoundVariable>, side: 'upstream' | 'inbound' = 'upstream'): Authentication {
  const t = (field: string): Template => {
    const text = str(raw[field]) ?? '';
    const tpl = compileTemplate(text);
    requireVariables(ctx, tpl, `${pointer}/${field}`, variables);
    warnBareVariable(ctx, text, `${pointer}/${field}`, variables);
    return tpl;
  };
  switch (raw.type) {
    case 'bearer':
      return { type: 'bearer', token: t('token') };
    case 'basic':
      return { type: 'basic', username: t('username'), password: t('password') };
    case 'digest':
      return { type: 'digest', username: t('username'), password: t('password') };
    case 'apikey':
      return { type: 'apikey', key: str(raw.key) ?? 'X-API-Key', value: t('value'), placement: raw.placement === 'query' ? 'query' : 'header' };
    default:
      // inbound oauth2 is a resource server, built by build-resource-server.ts
      if (side === 'inbound') return { type: 'oauth2', settings: { ...raw } };
      return buildOAuth2Client(ctx, raw, pointer, t);
  }
}

/**
 * Upstream `oauth2` in the naftiko-run client-credentials dialect (FEATURES §12): without a token
 * endpoint, a client id and a secret there is nothing to ask a token with, so calls answer 501.
 */
function buildOAuth2Client(ctx: BuildContext, raw: Raw, pointer: string, t: (field: string) => Template): Authentication {
  const settings = { ...raw };
  const absent = ['clientId', 'clientSecret'].filter((f) => str(raw[f]) === undefined);
  if (str(raw.tokenEndpoint) === undefined && str(raw.authorizationServerUri) === undefined) absent.push('tokenEndpoint');
  if (absent.length) {
    ctx.warn('NR_WARN_OAUTH2_CLIENT_MISSING', pointer, `oauth2 on consumes needs ${absent.map((f) => `"${f}"`).join(', ')} (naftiko-run client-credentials extension); calls through this adapter answer 501`);
    return { type: 'oauth2', settings };
  }
  const endpoint = str(raw.tokenEndpoint) !== undefined ? { tokenEndpoint: t('tokenEndpoint') } : { authorizationServerUri: t('authorizationServerUri') };
  const scopes = Array.isArray(raw.scopes) ? raw.scopes.map(String) : [];
  const audience = str(raw.audience);
  const resource = str(raw.resource);
  return {
    type: 'oauth2', settings,
    client: {
      ...endpoint, clientId: t('clientId'), clientSecret: t('clientSecret'),
      clientAuthMethod: raw.clientAuthMethod === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic',
      scopes,
      ...(audience !== undefined ? { audience } : {}),
      ...(resource !== undefined ? { resource } : {}),
    },
  };
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

/** `token: "REGISTRY_TOKEN"` sends those letters: almost always a forgotten `{{ }}` (the tutorial's step 11 has it). */
function warnBareVariable(ctx: BuildContext, text: string, pointer: string, variables: ReadonlyMap<string, BoundVariable>): void {
  if (text !== '' && !text.includes('{{') && variables.has(text)) {
    ctx.warn('NR_WARN_AUTH_LITERAL_VARIABLE', pointer, `${JSON.stringify(text)} is the name of a bind variable, sent as these literal characters; write "{{${text}}}" to send its value`);
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

