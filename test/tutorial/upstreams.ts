/**
 * Mock upstreams for the tutorial capabilities, built at test start from the two OpenAPI files in
 * `tutorial/upstreams/` (the reference's Microcks mocks). Nothing is hand-copied: every route, example
 * body, status and content type comes from the parsed OpenAPI document.
 *
 * Dispatching follows what Microcks does with `x-microcks-operation`:
 * - `URI_PARTS` with rules `a && b`: the criteria is `/a=<value>/b=<value>` built from the path params;
 * - `URI_PARAMS` with rules `a && b`: the criteria is `?a=<value>&b=<value>` from the query params that
 *   are present (an absent one is left out);
 * - `FALLBACK` (rules are JSON `{dispatcher, dispatcherRules, fallback}`): the inner dispatcher, and the
 *   example named `fallback` when its criteria names no example;
 * - `SCRIPT`: only the `return 'name'` form (the tutorial's only script) is understood; anything else
 *   uses the fallback;
 * - no dispatcher: the operation's first example.
 * The criteria string is the example's name. An example is looked up across every response of the
 * operation, so the status is the key of the response that holds it. When nothing matches, the first
 * example of a documented 404 response is answered (Microcks would send an empty 404).
 *
 * Response templating (Microcks `{{ … }}` in example strings): `request.body/<json pointer>`,
 * `request.params[<query>]`, `request.path/<n>` and `request.headers[<name>]`; an unknown expression
 * renders as the empty string.
 *
 * Security: the document's `security` requirement with its `securitySchemes` is enforced for presence
 * only — a `bearer` scheme needs `Authorization: Bearer <non-empty>`, an `apiKey` scheme in `header` the
 * named header, non-empty. A request without it is recorded and answered 401 (a body made up by the
 * mock, not from the OpenAPI file). The credential *values* are asserted by the tests, on the record.
 * `requireAuth = false` turns the check off (the registry documents a public tier without a token).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Recorded } from '../runtime/helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** the read-only shared material (tutorial, fixtures, FEATURES.md) */
export const SHARED = process.env.NAFTIKO_SHARED ?? path.resolve(HERE, '../../../shared/naftiko');
export const TUTORIAL = path.join(SHARED, 'tutorial');
export const REGISTRY_OPENAPI = path.join(TUTORIAL, 'upstreams/naftiko-shipyard-maritime-registry-api.yaml');
export const DOCKYARD_OPENAPI = path.join(TUTORIAL, 'upstreams/naftiko-shipyard-legacy-dockyard-api.yaml');

// ───────────────────────────── the OpenAPI model ─────────────────────────────

type Json = any;

interface Example {
  readonly name: string;
  readonly status: number;
  readonly contentType: string;
  readonly value: unknown;
}

interface Route {
  readonly method: string;
  readonly template: string;
  readonly operationId: string;
  readonly regex: RegExp;
  readonly pathParams: readonly string[];
  readonly dispatcher: string | undefined;
  readonly dispatcherRules: string | undefined;
  /** every example of every response, in document order */
  readonly examples: readonly Example[];
}

type Security =
  | { readonly type: 'bearer' }
  | { readonly type: 'apiKey'; readonly header: string };

export interface MockApi {
  readonly title: string;
  readonly routes: readonly Route[];
  /** all of them must be present; empty when the document has no `security` */
  readonly security: readonly Security[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses an OpenAPI 3 file into the routes and examples the mock answers. */
export function readOpenApi(file: string): MockApi {
  const doc = parseYaml(readFileSync(file, 'utf8')) as Json;
  const routes: Route[] = [];
  for (const [template, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op) continue;
      const pathParams: string[] = [];
      const regex = new RegExp(
        '^' +
          template
            .split(/(\{[^}]+\})/)
            .map((part) => {
              const m = /^\{([^}]+)\}$/.exec(part);
              if (!m) return escapeRegex(part);
              pathParams.push(m[1]!);
              return '([^/]+)';
            })
            .join('') +
          '/?$',
      );
      const examples: Example[] = [];
      for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
        for (const [contentType, media] of Object.entries<Json>(response?.content ?? {})) {
          for (const [name, ex] of Object.entries<Json>(media?.examples ?? {})) {
            examples.push({ name, status: Number(status), contentType, value: ex?.value });
          }
        }
      }
      const x = op['x-microcks-operation'] as Json;
      routes.push({
        method: method.toUpperCase(), template, operationId: op.operationId, regex, pathParams,
        dispatcher: x?.dispatcher, dispatcherRules: x?.dispatcherRules, examples,
      });
    }
  }
  const schemes = (doc.components?.securitySchemes ?? {}) as Record<string, Json>;
  const security: Security[] = [];
  for (const requirement of (doc.security ?? []) as Json[]) {
    for (const name of Object.keys(requirement ?? {})) {
      const s = schemes[name];
      if (s?.type === 'http' && String(s.scheme).toLowerCase() === 'bearer') security.push({ type: 'bearer' });
      else if (s?.type === 'apiKey' && s.in === 'header') security.push({ type: 'apiKey', header: String(s.name) });
    }
  }
  return { title: String(doc.info?.title ?? path.basename(file)), routes, security };
}

// ───────────────────────────── dispatching ─────────────────────────────

interface Matched {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
}

function match(api: MockApi, method: string, pathname: string): Matched | 'no-method' | undefined {
  let pathMatched = false;
  for (const route of api.routes) {
    const m = route.regex.exec(pathname);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
    const params: Record<string, string> = {};
    route.pathParams.forEach((p, i) => (params[p] = decodeURIComponent(m[i + 1]!)));
    return { route, params };
  }
  return pathMatched ? 'no-method' : undefined;
}

function ruleNames(rules: string): string[] {
  return rules.split('&&').map((s) => s.trim()).filter(Boolean);
}

/** The example name the dispatcher picks, or undefined when it names none. */
function criteria(dispatcher: string | undefined, rules: string | undefined, params: Record<string, string>, query: URLSearchParams): string | undefined {
  switch (dispatcher) {
    case 'URI_PARTS':
      return ruleNames(rules ?? '').map((p) => `/${p}=${params[p] ?? ''}`).join('');
    case 'URI_PARAMS': {
      const parts = ruleNames(rules ?? '').filter((p) => query.has(p)).map((p) => `${p}=${query.get(p)}`);
      return parts.length ? `?${parts.join('&')}` : '';
    }
    case 'SCRIPT': {
      const m = /^\s*return\s+['"]([^'"]*)['"]\s*;?\s*$/.exec(rules ?? '');
      return m?.[1];
    }
    default:
      return undefined;
  }
}

function pickExample(route: Route, params: Record<string, string>, query: URLSearchParams): Example | undefined {
  const byName = (name: string | undefined) => (name === undefined ? undefined : route.examples.find((e) => e.name === name));
  if (route.dispatcher === 'FALLBACK') {
    const inner = JSON.parse(route.dispatcherRules ?? '{}') as { dispatcher?: string; dispatcherRules?: string; fallback?: string };
    return byName(criteria(inner.dispatcher, inner.dispatcherRules, params, query)) ?? byName(inner.fallback);
  }
  if (route.dispatcher === undefined) return route.examples[0];
  return byName(criteria(route.dispatcher, route.dispatcherRules, params, query));
}

function pointer(doc: unknown, ptr: string): unknown {
  let node: unknown = doc;
  for (const raw of ptr.split('/').filter((s) => s !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function renderTemplates(value: unknown, req: Recorded): unknown {
  if (typeof value === 'string') {
    return value.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_all, expr: string) => {
      let out: unknown;
      let m: RegExpExecArray | null;
      if ((m = /^request\.body(\/.*)?$/.exec(expr))) {
        let body: unknown;
        try {
          body = JSON.parse(req.body);
        } catch {
          body = undefined;
        }
        out = m[1] ? pointer(body, m[1]) : req.body;
      } else if ((m = /^request\.params\[['"]?([^\]'"]+)['"]?\]$/.exec(expr))) out = req.query.get(m[1]!) ?? undefined;
      else if ((m = /^request\.headers\[['"]?([^\]'"]+)['"]?\]$/.exec(expr))) out = req.headers[m[1]!.toLowerCase()];
      else if ((m = /^request\.path\/(\d+)$/.exec(expr))) out = req.path.split('/').filter(Boolean)[Number(m[1])];
      if (out === undefined || out === null) return '';
      return typeof out === 'string' ? out : JSON.stringify(out);
    });
  }
  if (Array.isArray(value)) return value.map((v) => renderTemplates(v, req));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplates(v, req)]));
  }
  return value;
}

function serialize(example: Example, req: Recorded): string {
  const value = renderTemplates(example.value, req);
  if (/json/i.test(example.contentType)) return JSON.stringify(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function missingCredential(api: MockApi, req: Recorded): string | undefined {
  for (const s of api.security) {
    if (s.type === 'bearer') {
      const auth = req.headers.authorization;
      if (typeof auth !== 'string' || !/^Bearer\s+\S+/i.test(auth)) return 'Authorization: Bearer <token>';
    } else {
      const v = req.headers[s.header.toLowerCase()];
      if (typeof v !== 'string' || v.trim() === '') return s.header;
    }
  }
  return undefined;
}

// ───────────────────────────── the server ─────────────────────────────

export interface MockRecorded extends Recorded {
  /** operationId of the matched route, if any */
  readonly operationId?: string;
  /** name of the example answered, if any */
  readonly example?: string;
  readonly status: number;
}

export interface MockUpstream {
  readonly api: MockApi;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly requests: MockRecorded[];
  /** the recorded requests to one operation */
  calls(operationId: string): MockRecorded[];
  /**
   * Enforce the document's security requirement (default true). Off only for a capability that
   * predates authentication (tutorial step 2): the registry's public tier answers without a token.
   */
  requireAuth: boolean;
  close(): Promise<void>;
}

export async function startMockUpstream(openApiFile: string): Promise<MockUpstream> {
  const api = readOpenApi(openApiFile);
  const requests: MockRecorded[] = [];
  const state = { requireAuth: true };
  const xmlish = api.routes.some((r) => r.examples.some((e) => /xml/i.test(e.contentType)));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const base: Recorded = {
        method: req.method ?? '',
        url,
        path: q < 0 ? url : url.slice(0, q),
        query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const send = (status: number, contentType: string | undefined, body: string, extra: Partial<MockRecorded> = {}) => {
        requests.push({ ...base, ...extra, status });
        res.writeHead(status, contentType ? { 'content-type': contentType } : {});
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      const errorBody = (code: string, message: string): [string, string] =>
        xmlish
          ? ['application/xml', `<error><code>${code}</code><message>${message}</message></error>`]
          : ['application/json', JSON.stringify({ error: code, message })];

      const m = match(api, base.method, base.path);
      if (m === undefined) return send(404, ...errorBody('no_route', `mock: no path ${base.path}`));
      if (m === 'no-method') return send(405, ...errorBody('method_not_allowed', `mock: no ${base.method} ${base.path}`));
      const missing = state.requireAuth ? missingCredential(api, base) : undefined;
      if (missing) return send(401, ...errorBody('unauthorized', `mock: missing ${missing}`), { operationId: m.route.operationId });
      const example = pickExample(m.route, { ...m.params }, base.query);
      if (example) {
        return send(example.status, example.contentType, serialize(example, base), { operationId: m.route.operationId, example: example.name });
      }
      const notFound = m.route.examples.find((e) => e.status === 404);
      if (notFound) return send(404, notFound.contentType, serialize(notFound, base), { operationId: m.route.operationId, example: notFound.name });
      return send(404, undefined, '', { operationId: m.route.operationId });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    api,
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (operationId) => requests.filter((r) => r.operationId === operationId),
    get requireAuth() {
      return state.requireAuth;
    },
    set requireAuth(on: boolean) {
      state.requireAuth = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ShipyardUpstreams {
  /** the maritime registry (JSON, bearer) */
  readonly registry: MockUpstream;
  /** the legacy dockyard (XML, X-Dock-Key) */
  readonly legacy: MockUpstream;
  /** forget every recorded request */
  reset(): void;
  close(): Promise<void>;
}

export async function startShipyardUpstreams(): Promise<ShipyardUpstreams> {
  const [registry, legacy] = await Promise.all([startMockUpstream(REGISTRY_OPENAPI), startMockUpstream(DOCKYARD_OPENAPI)]);
  return {
    registry,
    legacy,
    reset: () => {
      registry.requests.length = 0;
      legacy.requests.length = 0;
    },
    close: async () => {
      await Promise.all([registry.close(), legacy.close()]);
    },
  };
}
