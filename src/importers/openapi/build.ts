/**
 * A dereferenced OpenAPI document → a capability (plain data in output order) and the comments to
 * write beside it: one consumes entry with every operation, a REST adapter mirroring the paths and an
 * MCP adapter with a tool per operation, inputs left to the runtime's inference from the consumed
 * parameters (so the three stay in step when one is edited).
 */
import path from 'node:path';
import { pointerOf } from '../../spec/diagnostics.js';
import { SUPPORTED_VERSIONS } from '../../spec/load.js';
import type { HttpMethod } from '../../spec/model.js';
import { envPrefix, kebab, pathSlug, UniqueNames } from './names.js';
import { operationParameters } from './parameters.js';
import { baseUri, warnLocalServers } from './servers.js';
import { mapSecurity, type BindVariable } from './security.js';
import type { ReadSpec } from './read.js';
import type { ImportWarnings } from './warnings.js';

export interface YamlComment {
  /** path of a mapping key or a sequence item in the capability */
  readonly at: readonly (string | number)[];
  readonly text: string;
}

export interface BuiltCapability {
  readonly capability: Record<string, unknown>;
  readonly comments: readonly YamlComment[];
  readonly namespace: string;
  readonly operations: number;
  readonly variables: readonly BindVariable[];
}

export const REST_PORT = 8080;
export const MCP_PORT = 9090;

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const UNSERVED = ['head', 'options', 'trace'];

/** MCP annotations from what HTTP says of the method (RFC 9110 §9.2): safe, idempotent, or neither. */
export function methodHints(method: HttpMethod): Record<string, boolean> {
  switch (method) {
    case 'GET':
      return { readOnly: true, idempotent: true, openWorld: true };
    case 'PUT':
      return { readOnly: false, idempotent: true, openWorld: true };
    case 'DELETE':
      return { readOnly: false, destructive: true, idempotent: true, openWorld: true };
    default:
      return { readOnly: false, idempotent: false, openWorld: true };
  }
}

export function buildCapability(spec: ReadSpec, options: { namespace?: string }, warnings: ImportWarnings): BuiltCapability {
  const { doc } = spec;
  const info: Record<string, any> = doc.info ?? {};
  const title = typeof info.title === 'string' && info.title.trim() ? info.title.trim() : undefined;
  const namespace = options.namespace ?? (kebab(title ?? '') || 'api');
  const prefix = envPrefix(namespace);
  const comments: YamlComment[] = [];

  const base = baseUri(spec, prefix, namespace, warnings);
  const security = mapSecurity(spec, prefix, warnings);

  const operationNames = new UniqueNames();
  const resourceNames = new UniqueNames();
  const routes = new Set<string>();
  const consumedResources: Record<string, unknown>[] = [];
  const restResources: Record<string, unknown>[] = [];
  const tools: Record<string, unknown>[] = [];
  const tags: string[] = Array.isArray(doc.tags) ? doc.tags.flatMap((t: any) => (typeof t?.name === 'string' ? [t.name] : [])) : [];

  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths ?? {})) {
    if (!item || typeof item !== 'object' || path.startsWith('x-')) continue;
    warnLocalServers(item, ['paths', path], warnings);
    for (const m of UNSERVED) {
      if (item[m]) warnings.add('NR_WARN_IMPORT_METHOD', pointerOf(['paths', path, m]), `${m.toUpperCase()} ${path} is not imported: naftiko-run serves GET, POST, PUT, PATCH and DELETE`);
    }
    const consumedOps: Record<string, unknown>[] = [];
    const restOps: Record<string, unknown>[] = [];
    let renamedPath = path;
    for (const method of METHODS) {
      const op = item[method.toLowerCase()];
      if (!op || typeof op !== 'object') continue;
      const at = ['paths', path, method.toLowerCase()];
      warnLocalServers(op, at, warnings);
      for (const t of Array.isArray(op.tags) ? op.tags : []) if (typeof t === 'string' && !tags.includes(t)) tags.push(t);

      const wanted = typeof op.operationId === 'string' && kebab(op.operationId) ? kebab(op.operationId) : kebab(`${method}-${pathSlug(path)}`);
      const name = operationNames.take(wanted);
      if (name !== wanted) warnings.add('NR_WARN_IMPORT_NAME', pointerOf([...at, ...(op.operationId !== undefined ? ['operationId'] : [])]), `operation named "${name}" (not "${wanted}"): names are unique and at most 64 characters`);

      const { params, renamed } = operationParameters({ version: spec.version, path, method: method.toLowerCase(), pathItem: item, operation: op, documentConsumes: doc.consumes, supplies: security.supplies }, warnings);
      for (const [from, to] of renamed) renamedPath = renamedPath.split(`{${from}}`).join(`{${to}}`);

      const summary = text(op.summary);
      const description = text(op.description);
      const deprecated = op.deprecated === true ? 'Deprecated. ' : '';
      consumedOps.push({
        name,
        method,
        ...(summary ?? description ? { description: deprecated + (summary ?? description) } : {}),
        ...(params.length ? { inputParameters: params } : {}),
      });

      const routeKey = `${method} ${path.replace(/\{[^}]*\}/g, '{}')}`;
      if (routes.has(routeKey)) {
        warnings.add('NR_WARN_IMPORT_ROUTE', pointerOf(at), `${method} ${path} is not exposed on REST: another path differs from it only in placeholder names, so they would be one route; it is still an MCP tool`);
      } else {
        routes.add(routeKey);
        restOps.push({ method, name, ...(summary ?? description ? { description: deprecated + (summary ?? description) } : {}), call: `${namespace}.${name}` });
      }
      tools.push({
        name,
        ...(summary ? { label: summary } : {}),
        description: deprecated + (description ?? summary ?? `${method} ${path}`),
        call: `${namespace}.${name}`,
        hints: methodHints(method),
      });
    }
    if (consumedOps.length === 0) continue;
    const resource = resourceNames.take(pathSlug(path));
    consumedResources.push({ name: resource, path: renamedPath.replace(/\{([^{}]+)\}/g, '{{$1}}'), operations: consumedOps });
    if (restOps.length) restResources.push({ name: resource, path: renamedPath, operations: restOps });
  }

  const variables = [...(base.variable ? [base.variable] : []), ...security.variables];
  const consumes: Record<string, unknown> = {
    type: 'http',
    namespace,
    description: [title ?? namespace, typeof info.version === 'string' ? info.version : undefined].filter(Boolean).join(' ') + ` (from ${spec.version === '2.0' ? 'Swagger' : 'OpenAPI'} ${spec.versionText})`,
    baseUri: base.uri,
    ...(security.authentication ? { authentication: security.authentication } : {}),
    ...(security.cookie ? { inputParameters: [security.cookie] } : {}),
    resources: consumedResources,
  };
  const capabilityBody: Record<string, unknown> = {
    consumes: [consumes],
    exposes: [
      ...(restResources.length ? [{ type: 'rest', namespace: `${namespace}-rest`, port: REST_PORT, description: `REST routes for ${title ?? namespace}: one per operation, with the upstream's paths`, resources: restResources }] : []),
      { type: 'mcp', namespace: `${namespace}-mcp`, port: MCP_PORT, description: `MCP tools for ${title ?? namespace}: one per operation`, tools },
    ],
  };
  const bindsNamespace = namespace === 'env' ? 'environment' : 'env'; // namespaces are unique across binds, consumes and exposes
  const capability: Record<string, unknown> = {
    naftiko: SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1],
    info: {
      label: title ?? namespace,
      description: text(info.description) ?? text(info.summary) ?? `${title ?? namespace}, imported from ${path.basename(spec.file)}`,
      ...(tags.length ? { tags } : {}),
    },
    ...(variables.length ? { binds: [{ namespace: bindsNamespace, keys: Object.fromEntries(variables.map((v) => [v.name, v.name])) }] } : {}),
    capability: capabilityBody,
  };

  for (const v of variables) comments.push({ at: ['binds', 0, 'keys', v.name], text: ` ${v.comment}` });
  if (base.variable) comments.push({ at: ['capability', 'consumes', 0, 'baseUri'], text: ` no usable server in the description: set ${base.variable.name}, or serve with --base-uri ${namespace}=URL` });
  else if (base.others.length) comments.push({ at: ['capability', 'consumes', 0, 'baseUri'], text: ` other servers: ${base.others.join(', ')} (--base-uri ${namespace}=URL picks one)` });
  comments.push({ at: ['capability', 'exposes'], text: ' Inputs are inferred from the consumed parameters: edit those, and both adapters follow.' });
  return { capability, comments, namespace, operations: tools.length, variables };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
