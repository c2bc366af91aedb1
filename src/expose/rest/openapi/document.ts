/**
 * The OpenAPI 3.1 document of one REST adapter, built from the model: what the adapter serves at
 * /openapi.json and what `naftiko-run export openapi` prints. Inputs are described as the adapter reads
 * them (path, query, header, cookie, JSON body), credentials as security schemes, answers as the
 * adapter gives them: the mapped or declared output, the upstream's answer passed through, and the
 * problem+json errors naftiko-run makes itself.
 */
import type { InboundAuthentication, CapabilityModel, ExposedInput, ExposedOperation, ForwardSpec, RestAdapter } from '../../../spec/model.js';
import { outputMayHoldNulls, outputNodeOf, outputSchema } from '../../output-schema.js';
import { credentialPlaces } from '../../inbound-auth.js';
import { isLoopback } from '../../local-origin.js';
import { forwardMethods } from '../forward-routes.js';
import { PROBLEM_SCHEMA, problemComponents, problemRefs, type ProblemResponse } from './problems.js';
import { VERSION } from '../../../version.js';

export interface OpenApiOptions {
  /** `servers[0].url`; default the adapter's own address and port */
  readonly serverUrl?: string;
  /** the address the adapter listens on (`--host`); default its own: a loopback one answers 403 to foreign Host/Origin */
  readonly host?: string;
}

type Json = Record<string, unknown>;

const INBOUND_SCHEME = 'inbound';
const AUTHORIZATION_SCHEME = 'authorizationHeader';

export function openApiDocument(info: CapabilityModel['info'], adapter: RestAdapter, options: OpenApiOptions = {}): Json {
  const host = options.host ?? adapter.address;
  const ctx: Context = { adapter, loopback: isLoopback(host), schemes: {}, operationIds: new Set() };
  if (adapter.authentication) ctx.schemes[INBOUND_SCHEME] = inboundScheme(adapter.namespace, adapter.authentication);

  const paths: Record<string, Record<string, Json>> = {};
  const add = (path: string, method: string, operation: Json) => ((paths[path] ??= {})[method.toLowerCase()] = operation);
  for (const op of adapter.operations) add(openApiPath(op.path!), op.method!, operationObject(ctx, op));
  for (const spec of adapter.forwards) {
    for (const method of forwardMethods(spec)) add(forwardPath(spec), method, forwardObject(ctx, spec, method));
  }

  const description = [adapter.description ?? info.description, `Served by naftiko-run ${VERSION} from the capability's REST adapter "${adapter.namespace}".`]
    .filter(Boolean).join('\n\n');
  return {
    openapi: '3.1.0',
    info: { title: info.label ?? adapter.namespace, version: 'unversioned', description },
    servers: [{ url: options.serverUrl ?? defaultServerUrl(adapter, host), description: `REST adapter ${adapter.namespace}` }],
    paths: sortKeys(paths),
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      responses: problemComponents(),
      ...(Object.keys(ctx.schemes).length ? { securitySchemes: ctx.schemes } : {}),
    },
  };
}

/** The adapter's URL; a wildcard address is reached as localhost from the same machine. */
export function defaultServerUrl(adapter: RestAdapter, host = adapter.address): string {
  const name = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${adapter.port}`;
}

interface Context {
  readonly adapter: RestAdapter;
  readonly loopback: boolean;
  readonly schemes: Record<string, Json>;
  readonly operationIds: Set<string>;
}

/** `/x/{{id}}` and `/x/{id}` → `/x/{id}`, with a leading `/`. */
export function openApiPath(path: string): string {
  const p = path.replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, '{$1}');
  return p.startsWith('/') ? p : `/${p}`;
}

function forwardPath(spec: ForwardSpec): string {
  if (!spec.wildcard) return spec.prefix === '' ? '/' : spec.prefix;
  return `${spec.prefix}/{path}`;
}

function operationObject(ctx: Context, op: ExposedOperation): Json {
  const places = ctx.adapter.authentication ? credentialPlaces(ctx.adapter.authentication) : undefined;
  const implicit = (i: ExposedInput) => i.credential || op.inputsInferred;
  // what the adapter reads: constants are not the caller's, and the adapter's own credential is never an input
  const visible = op.inputs.filter((i) => {
    if (i.constant !== undefined) return false;
    const header = i.name.toLowerCase();
    if (i.in === 'header' && places && implicit(i) && ((places.usesAuthorization && header === 'authorization') || places.headerKey === header)) return false;
    if (i.in === 'query' && places?.queryKey === i.name) return false;
    return true;
  });
  const authorization = visible.find((i) => i.in === 'header' && i.name.toLowerCase() === 'authorization');
  const restOfPath = ctx.adapter.forwards.some((f) => f.wildcard && f.path === op.path);
  const parameters = visible
    .filter((i) => i.in !== 'body' && !(i.in === 'header' && ['authorization', 'accept', 'content-type'].includes(i.name.toLowerCase())))
    .map((i) => parameterObject(i, restOfPath));
  const body = requestBody(visible.filter((i) => i.in === 'body'));
  const security = securityOf(ctx, authorization);
  const h = op.handler;
  const upstream = h.kind === 'call' || h.kind === 'steps';
  const errors: ProblemResponse[] = [
    'BadRequest',
    ...(ctx.adapter.authentication || op.inputs.some((i) => i.credential) ? ['Unauthorized' as const] : []),
    ...(ctx.loopback ? ['Forbidden' as const] : []),
    ...(body || ['POST', 'PUT', 'PATCH'].includes(op.method!) ? ['PayloadTooLarge' as const, 'UnsupportedMediaType' as const] : []),
    ...(op.rateLimit ? ['TooManyRequests' as const] : []),
    'InternalError',
    ...(h.kind === 'unserved' ? ['NotImplemented' as const] : []),
    ...(upstream ? ['BadGateway' as const] : []),
    'ServiceUnavailable',
    ...(upstream ? ['GatewayTimeout' as const] : []),
  ];
  return {
    operationId: operationId(ctx, op.name || `${op.method!.toLowerCase()}-${op.path}`),
    ...(op.label !== undefined || op.description !== undefined ? { summary: firstLine(op.label ?? op.description!) } : {}),
    ...(op.description !== undefined ? { description: op.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: { ...successResponses(op), ...problemRefs(errors) },
    ...(security ? { security } : {}),
  };
}

function parameterObject(input: ExposedInput, restOfPath: boolean): Json {
  const schema: Json = input.type === 'array' ? { type: 'array', items: { type: 'string' } } : { type: input.type };
  if (input.pattern !== undefined) schema.pattern = input.pattern;
  const wildcard = restOfPath && input.in === 'path' && input.name === 'path';
  const description = [input.description, wildcard ? 'The rest of the path: it may contain `/`.' : undefined,
    input.credential ? "The upstream's credential: used only when the capability's own (bound) credential is unset." : undefined].filter(Boolean).join(' ');
  return {
    name: input.name,
    in: input.in,
    required: input.in === 'path' || (input.required && !input.credential),
    ...(description ? { description } : {}),
    schema,
    // arrays are read comma-separated (`?ids=a,b`) or repeated
    ...(input.type === 'array' && (input.in === 'query' || input.in === 'cookie') ? { style: 'form', explode: false } : {}),
  };
}

/** JSON body inputs: the whole body (one input named `body`) or its fields (by name or by a `$.a.b` path). */
function requestBody(inputs: readonly ExposedInput[]): Json | undefined {
  if (inputs.length === 0) return undefined;
  const required = inputs.some((i) => i.required);
  if (inputs.length === 1 && inputs[0]!.name === 'body') {
    const i = inputs[0]!;
    return { required, ...(i.description ? { description: i.description } : {}), content: { 'application/json': { schema: { type: i.type } } } };
  }
  const root: Json = { type: 'object', properties: {} };
  for (const input of inputs) {
    const path = input.bodyPath !== undefined ? /^\$((?:\.[A-Za-z_$][\w$-]*)+)$/.exec(input.bodyPath)?.[1]?.slice(1).split('.') : undefined;
    const segments = path ?? [input.name];
    let parent = root;
    segments.forEach((segment, n) => {
      const properties = parent.properties as Record<string, Json>;
      if (input.required) parent.required = [...new Set([...((parent.required as string[] | undefined) ?? []), segment])];
      if (n === segments.length - 1) {
        properties[segment] = { type: input.type, ...(input.description ? { description: input.description } : {}), ...(input.pattern ? { pattern: input.pattern } : {}) };
      } else {
        parent = properties[segment] ??= { type: 'object', properties: {} };
      }
    });
  }
  return { required, content: { 'application/json': { schema: root } } };
}

function successResponses(op: ExposedOperation): Json {
  const h = op.handler;
  const node = outputNodeOf(op);
  const schema = node ? outputSchema(node, outputMayHoldNulls(op)) : {};
  const json = (description: string, s: Json) => ({ description, content: { 'application/json': { schema: s } } });
  const passedOn = { description: "The upstream's answer with any other status, passed on as it came: status, body and safe headers" };
  switch (h.kind) {
    case 'mock':
      return { 200: json('The declared outputs', schema) };
    case 'steps':
      return { 200: json(node ? 'The orchestration\'s mapped result' : 'The last call step\'s answer', schema) };
    case 'unserved':
      return {};
    case 'call': {
      if (node) return { '2XX': json("The upstream's successful answer, mapped to the declared outputs (with the upstream's status)", schema), default: passedOn };
      const type = h.operation.outputRawFormat === 'json' ? 'application/json' : '*/*';
      return {
        '2XX': { description: "The upstream's answer, passed through: status, body and safe headers (content-type, etag, location, retry-after…)", content: { [type]: { schema: {} } } },
        default: passedOn,
      };
    }
  }
}

function forwardObject(ctx: Context, spec: ForwardSpec, method: string): Json {
  const trusted = spec.trustedHeaders.filter((h) => !['authorization', 'accept', 'content-type'].includes(h));
  const parameters = [
    ...(spec.wildcard ? [{ name: 'path', in: 'path', required: true, description: `The rest of the path after ${spec.prefix || '/'}, forwarded to ${spec.targetNamespace} (it may contain \`/\`; the prefix itself is served too)`, schema: { type: 'string' } }] : []),
    ...trusted.map((name) => ({ name, in: 'header', required: false, description: 'A trusted header: forwarded upstream as sent', schema: { type: 'string' } })),
  ];
  const authorization = spec.trustedHeaders.includes('authorization') && !(ctx.adapter.authentication && credentialPlaces(ctx.adapter.authentication).usesAuthorization)
    ? { name: 'Authorization', in: 'header' as const, type: 'string' as const, required: false, credential: false, description: 'A trusted header: forwarded upstream as sent' }
    : undefined;
  const security = securityOf(ctx, authorization);
  const takesBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  const errors: ProblemResponse[] = [
    ...(ctx.adapter.authentication ? ['Unauthorized' as const] : []),
    ...(ctx.loopback ? ['Forbidden' as const] : []),
    'BadGateway', 'ServiceUnavailable', 'GatewayTimeout',
  ];
  return {
    operationId: operationId(ctx, `forward-${method.toLowerCase()}-${spec.prefix || 'root'}`),
    summary: `Forwarded to ${spec.targetNamespace}`,
    description: `A reverse proxy: the request (method, ${spec.wildcard ? 'the rest of the path, ' : ''}query string${takesBody ? ', body' : ''}${spec.trustedHeaders.length ? `, and the trusted headers ${spec.trustedHeaders.join(', ')}` : ''}) goes to the consumed API \`${spec.targetNamespace}\` and its answer streams back.`,
    ...(parameters.length ? { parameters } : {}),
    ...(takesBody ? { requestBody: { required: false, content: { '*/*': { schema: {} } } } } : {}),
    responses: { default: { description: "The upstream's answer, streamed back: status, body and safe headers" }, ...problemRefs(errors) },
    ...(security ? { security } : {}),
  };
}

/**
 * The adapter's own authentication, and a caller's `Authorization` header the operation reads (OpenAPI
 * describes that header as a security scheme, never as a parameter).
 */
function securityOf(ctx: Context, authorization: Pick<ExposedInput, 'description' | 'required' | 'credential'> | undefined): Json[] | undefined {
  const base: Json = ctx.adapter.authentication ? { [INBOUND_SCHEME]: [] } : {};
  if (!authorization) return ctx.adapter.authentication ? [base] : undefined;
  ctx.schemes[AUTHORIZATION_SCHEME] ??= {
    type: 'apiKey', in: 'header', name: 'Authorization',
    description: authorization.credential
      ? "The upstream's credential, as the whole Authorization header (`Bearer …`): used only when the capability's own (bound) credential is unset"
      : (authorization.description ?? 'The Authorization header, passed to the operation'),
  };
  const withHeader = { ...base, [AUTHORIZATION_SCHEME]: [] };
  return authorization.required && !authorization.credential ? [withHeader] : [withHeader, base];
}

function inboundScheme(namespace: string, auth: InboundAuthentication): Json {
  const description = `What a caller presents to the REST adapter "${namespace}"`;
  switch (auth.type) {
    case 'bearer':
      return { type: 'http', scheme: 'bearer', description };
    case 'basic':
      return { type: 'http', scheme: 'basic', description };
    case 'digest':
      return { type: 'http', scheme: 'digest', description };
    case 'apikey':
      return { type: 'apiKey', in: auth.placement, name: auth.key, description };
    case 'oauth2': {
      // an OAuth 2.1 resource server: the issuer's discovery document tells a client how to get a token
      const discovery = `${auth.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const scopes = auth.scopes.length ? ` (scopes: ${auth.scopes.join(', ')})` : '';
      return { type: 'openIdConnect', openIdConnectUrl: discovery, description: `${description}: a JWT access token of ${auth.issuer} for ${auth.audience}${scopes}` };
    }
  }
}

function operationId(ctx: Context, wanted: string): string {
  const base = wanted.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'operation';
  let id = base;
  for (let n = 2; ctx.operationIds.has(id); n++) id = `${base}-${n}`;
  ctx.operationIds.add(id);
  return id;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

