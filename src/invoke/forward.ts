/**
 * REST `forward` (FEATURES §7(d)): a reverse proxy of the rest of the URL to a consumed API. Compiled
 * once per forward resource, like a call: the base URI, the consumes-level parameters and the credential
 * come from binds, which are fixed once loaded. The caller's method, raw path, raw query and body go
 * through; of its headers only the trusted ones do; the consumes credential always wins.
 */
import { outgoingHeaders } from '../observe/request-id.js';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Authentication, BoundVariable, ConsumedApi, ConsumedParameter, ForwardSpec } from '../spec/model.js';
import { renderTemplate, staticTemplate, type Template } from '../spec/template.js';
import { variableSource } from '../spec/binds.js';
import type { UpstreamPools } from '../consume/pools.js';
import { attemptOnce, DEFAULT_DEADLINE_MS, limitedStream, type Timeouts } from '../consume/send.js';
import { prepareAuthentication } from '../consume/auth.js';
import { sendWithSession } from '../consume/session.js';
import { headerValueProblem } from '../consume/header-value.js';
import { InvokeError } from '../consume/errors.js';
import { safeHeaders } from '../consume/safe-headers.js';
import type { InvokeResult } from './invoker.js';
import type { CallSignal } from '../consume/call-signal.js';

export interface ForwardRequest {
  readonly method: string;
  /** the raw, still percent-encoded path after the resource prefix, without its leading '/'; '' when none */
  readonly rest: string;
  /** the raw query string, without '?'; '' when none */
  readonly rawQuery: string;
  /** query parameters of the caller's that are not forwarded (the adapter's own API key) */
  readonly dropQuery?: ReadonlySet<string>;
  /** the caller's headers (`headersDistinct` keeps every value of a repeated header) */
  readonly headers: IncomingHttpHeaders | NodeJS.Dict<string[]>;
  /** the unread request body; ignored for GET and HEAD */
  readonly body?: Readable;
  readonly signal?: CallSignal;
}

export type ForwardInvocation = (req: ForwardRequest) => Promise<InvokeResult>;

export interface ForwardDeps {
  readonly pools: UpstreamPools;
  readonly timeouts: Timeouts;
  readonly variables: ReadonlyMap<string, BoundVariable>;
  /** `--base-uri NAMESPACE=URL` for the target namespace */
  readonly baseUriOverride?: string;
  /** a forwarded request body past this many bytes fails with 413 */
  readonly maxRequestBytes: number;
}

/** Hop-by-hop and connection-management headers (RFC 9110 §7.6.1), never forwarded even when trusted. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade', 'host', 'expect', 'http2-settings']);
/** Sent only with a body, and then always (they describe the body, not the caller). */
const BODY_HEADERS = new Set(['content-type', 'content-length']);

interface Base {
  readonly origin: string;
  readonly path: string;
  readonly query: string;
}

/** Everything a forwarded request adds from the capability, rendered once from binds. */
interface Fixed {
  readonly base: Base;
  readonly headers: readonly (readonly [string, string])[];
  readonly query: string;
  readonly cookie: string;
}

export function bindForward(spec: ForwardSpec, api: ConsumedApi, deps: ForwardDeps): ForwardInvocation {
  const fixed = prepareFixed(api, deps);
  const applyAuth = prepareAuthentication(api, deps.variables, { pools: deps.pools, tokenTimeoutMs: deps.timeouts.response });
  const session = applyAuth.session;
  const authRenders = api.authentication !== undefined && credentialRenders(api.authentication, deps.variables);
  const trusted = spec.trustedHeaders.map((h) => h.toLowerCase()).filter((h) => !HOP_BY_HOP.has(h) && !h.startsWith('proxy-') && !BODY_HEADERS.has(h));
  const ref = `forward ${spec.path} → ${api.namespace}`;
  // messages name the base URI as written: a bind value in it is never shown
  const shownBase = deps.baseUriOverride ?? api.baseUri.source;
  const { pools, timeouts, maxRequestBytes } = deps;

  return async (req) => {
    const unsafe = unsafePath(req.rest);
    if (unsafe) throw new InvokeError('NR_ERR_BAD_PATH', 400, 'Bad forward path', `the forwarded path must not contain ${unsafe}`);
    if (fixed instanceof InvokeError) throw fixed;
    const method = req.method.toUpperCase();

    const headers: Record<string, string | string[]> = Object.create(null);
    const nominated = connectionTokens(req.headers.connection);
    for (const name of trusted) {
      const v = req.headers[name];
      if (v !== undefined && !nominated.has(name)) headers[name] = v;
    }
    // A configured credential replaces the caller's; only when there is none may a trusted one travel.
    if (authRenders) delete headers.authorization;

    const hasBody = req.body !== undefined && method !== 'GET' && method !== 'HEAD';
    let tooLarge = false;
    let body: Readable | undefined;
    if (hasBody) {
      const type = first(req.headers['content-type']);
      if (type !== undefined) headers['content-type'] = type;
      const length = first(req.headers['content-length']);
      if (length !== undefined && /^\d+$/.test(length)) {
        if (Number(length) > maxRequestBytes) throw bodyTooLarge(maxRequestBytes);
        headers['content-length'] = length;
      }
      body = Readable.from(limited(req.body!, maxRequestBytes, () => (tooLarge = true)), { objectMode: false });
    }
    // a digest or OAuth2 credential may need the request sent twice: the body is then held, within the limit
    const replayable = session && body ? await readWhole(body) : undefined;

    for (const [name, value] of fixed.headers) headers[name] = value;
    if (fixed.cookie) {
      const caller = headers.cookie;
      headers.cookie = caller === undefined ? fixed.cookie : `${Array.isArray(caller) ? caller.join('; ') : caller}; ${fixed.cookie}`;
    }
    const authQuery = applyAuth(headers as Record<string, string>, ref);

    // the caller's parameters never shadow the server-side ones (most upstreams read the first value)
    const serverSide = new Set([...queryNames(fixed.base.query), ...queryNames(fixed.query), ...(authQuery ? [authQuery.name] : []), ...(req.dropQuery ?? [])]);
    let query = withoutParams(req.rawQuery, serverSide);
    const add = (part: string) => {
      if (part) query += (query === '' ? '' : '&') + part;
    };
    add(fixed.base.query);
    add(fixed.query);
    if (authQuery) add(`${encodeURIComponent(authQuery.name)}=${encodeURIComponent(authQuery.value)}`);
    const path = (fixed.base.path + (req.rest === '' ? '' : `/${req.rest}`) || '/') + (query === '' ? '' : `?${query}`);

    // a forwarded body streams, so it cannot be sent twice: breaker and limit, never a retry
    const target = { origin: fixed.base.origin, method, path, label: `${method} ${shownBase}${req.rest === '' ? '' : `/${req.rest}`}`, namespace: api.namespace };
    const deadlineAt = Date.now() + (timeouts.deadline ?? DEFAULT_DEADLINE_MS);
    const attempt = (authorization: string | undefined) => attemptOnce(pools.upstream(fixed.base.origin), deadlineAt, req.signal, pools.observer, (headersTimeout, extra) =>
      pools.get(fixed.base.origin).request({
        path,
        method: method as Dispatcher.HttpMethod,
        headers: outgoingHeaders(authorization !== undefined ? { ...headers, authorization } : headers, extra, req.signal?.requestId),
        ...(replayable ? { body: replayable } : body ? { body } : {}),
        headersTimeout,
        bodyTimeout: timeouts.body,
        ...(req.signal ? { signal: req.signal as AbortSignal } : {}),
      }), timeouts.response, target);
    let res: Dispatcher.ResponseData;
    try {
      res = session ? await sendWithSession(session, fixed.base.origin, method, path, attempt) : await attempt(undefined);
    } catch (e) {
      if (tooLarge) throw bodyTooLarge(maxRequestBytes);
      throw e;
    }
    const streamed = limitedStream(res.body as unknown as Readable & AsyncIterable<Buffer>, res.headers, maxRequestBytes, target.label);
    return { kind: 'stream', status: res.statusCode, headers: safeHeaders(res.headers, true), body: streamed };
  };
}

/**
 * Why `rest` may not be forwarded, or undefined: a `.`/`..` segment (literal or `%2e`-encoded), a
 * backslash, or an encoded `/` or `\` (which an upstream might decode into a separator).
 */
export function unsafePath(rest: string): string | undefined {
  if (rest.includes('\\')) return 'a backslash';
  if (/%(?:2f|5c)/i.test(rest)) return 'an encoded "/" or "\\" (%2F, %5C)';
  for (const segment of rest.split('/')) {
    // `..;x` is `..` to Tomcat and Jetty (a path parameter after the dots)
    const dots = segment.replace(/%2e/gi, '.').replace(/%3b/gi, ';').split(';')[0];
    if (dots === '.' || dots === '..') return `a "${segment}" segment`;
  }
  return undefined;
}

function queryNames(query: string): string[] {
  return query === '' ? [] : query.split('&').map((part) => decodeName(part.split('=')[0]!));
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** `rawQuery` without the parameters named in `names`, the others kept byte for byte. */
function withoutParams(rawQuery: string, names: ReadonlySet<string>): string {
  if (rawQuery === '' || names.size === 0) return rawQuery;
  return rawQuery.split('&').filter((part) => !names.has(decodeName(part.split('=')[0]!))).join('&');
}

/** The consumes-level `inputParameters` of `api` (server-side values every forwarded request carries). */

function prepareFixed(api: ConsumedApi, deps: ForwardDeps): Fixed | InvokeError {
  const lookup = (ref: string) => deps.variables.get(ref)?.value;
  const render = (t: Template, what: string): string => {
    const r = renderTemplate(t, lookup);
    if (r.ok) return r.value;
    const variable = deps.variables.get(r.missing);
    throw new InvokeError('NR_ERR_VARIABLE_UNSET', 500, 'Bind variable not set',
      `${what} needs {{${r.missing}}}, which is ${variable ? `unset: set ${variableSource(variable)}` : 'not a bind variable'}`);
  };
  try {
    const uri = render(deps.baseUriOverride !== undefined ? staticTemplate(deps.baseUriOverride) : api.baseUri, `${api.namespace} baseUri`);
    const u = new URL(uri);
    const base: Base = { origin: u.origin, path: u.pathname.replace(/\/+$/, ''), query: u.search.slice(1) };
    const headers: [string, string][] = [];
    const query: string[] = [];
    const cookies: string[] = [];
    for (const p of api.parameters) {
      if (p.value === undefined) continue;
      const value = render(p.value, `${api.namespace} ${p.in} parameter ${p.name}`);
      if (p.in === 'header') {
        if (headerValueProblem(value)) {
          throw new InvokeError('NR_ERR_VARIABLE_UNSET', 500, 'Bind variable not usable', `${api.namespace} header parameter ${p.name}: its bound value cannot be sent as a header (${headerValueProblem(value)})`);
        }
        headers.push([p.name.toLowerCase(), value]);
      } else if (p.in === 'query') query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(value)}`);
      else if (p.in === 'cookie') cookies.push(`${p.name}=${encodeURIComponent(value)}`);
    }
    return { base, headers, query: query.join('&'), cookie: cookies.join('; ') };
  } catch (e) {
    if (e instanceof InvokeError) return e;
    return new InvokeError('NR_ERR_VARIABLE_UNSET', 500, 'Bind variable not set', `${api.namespace} baseUri does not render to an absolute URL`);
  }
}

/** Whether the configured credential renders to a value (else a trusted caller credential may pass). */
function credentialRenders(auth: Authentication, variables: ReadonlyMap<string, BoundVariable>): boolean {
  const filled = (t: Template) => {
    const r = renderTemplate(t, (ref) => variables.get(ref)?.value);
    return r.ok && r.value !== '';
  };
  switch (auth.type) {
    case 'bearer':
      return filled(auth.token);
    case 'basic':
    case 'digest':
      return filled(auth.username) && renderTemplate(auth.password, (ref) => variables.get(ref)?.value).ok;
    case 'apikey':
      return filled(auth.value);
    case 'oauth2':
      return auth.client === undefined || (filled((auth.client.tokenEndpoint ?? auth.client.authorizationServerUri)!) && filled(auth.client.clientId) && filled(auth.client.clientSecret));
  }
}

function connectionTokens(v: string | string[] | undefined): ReadonlySet<string> {
  if (v === undefined) return new Set();
  return new Set((Array.isArray(v) ? v.join(',') : v).split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function* limited(body: AsyncIterable<Buffer>, max: number, onExceeded: () => void): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      onExceeded();
      throw bodyTooLarge(max);
    }
    yield chunk;
  }
}

/** `body` is already held to the limit (`limited`): past it, reading throws 413. */
async function readWhole(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function bodyTooLarge(max: number): InvokeError {
  return new InvokeError('NR_ERR_BODY_TOO_LARGE', 413, 'Request body too large', `a forwarded request body may be at most ${max} bytes`);
}
