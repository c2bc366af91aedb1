/**
 * `GET /openapi.json`, `GET /openapi.yaml` and `GET /docs` on a REST adapter. The capability's own
 * routes win: when one of them would answer any of these URLs, the set moves under `/_naftiko`, and
 * when that is taken too it is not served (a warning says which).
 */
import type { FastifyInstance } from 'fastify';
import { dump } from 'js-yaml';
import type { CapabilityModel, RestAdapter } from '../../../spec/model.js';
import type { Diagnostic } from '../../../spec/diagnostics.js';
import { toFastifyPath } from '../routes.js';
import { openApiDocument } from './document.js';
import { DOCS_ASSETS, DOCS_CSP, docsAsset, docsHtml, type DocsAsset } from './docs-page.js';

const PREFIXES = ['', '/_naftiko'] as const;

export interface DocsPlacement {
  /** '' or '/_naftiko'; undefined when every place is taken */
  readonly prefix: string | undefined;
  readonly warnings: readonly Diagnostic[];
}

/** The URLs the docs routes answer under `prefix`. */
export function docsUrls(prefix: string): string[] {
  return [`${prefix}/openapi.json`, `${prefix}/openapi.yaml`, `${prefix}/docs`, ...DOCS_ASSETS.map((a) => `${prefix}/docs/${a}`)];
}

export function placeDocs(adapter: RestAdapter, file: string): DocsPlacement {
  const routes = [
    ...adapter.operations.map((op) => ({ match: pathMatcher(op.path!, adapter.forwards.some((f) => f.wildcard && f.path === op.path)), what: `operation ${op.method} ${op.path}`, pointer: op.pointer })),
    ...adapter.forwards.map((f) => ({ match: forwardMatcher(f.prefix, f.wildcard), what: `forward ${f.path}`, pointer: f.pointer })),
  ];
  const clash = (prefix: string) => {
    for (const url of docsUrls(prefix)) {
      const route = routes.find((r) => r.match(url));
      if (route) return { url, ...route };
    }
    return undefined;
  };
  const first = clash(PREFIXES[0]);
  if (!first) return { prefix: PREFIXES[0], warnings: [] };
  const warn = (code: string, message: string): Diagnostic => ({ severity: 'warning', code, file, line: 0, column: 0, pointer: first.pointer, message });
  const second = clash(PREFIXES[1]);
  if (!second) {
    return { prefix: PREFIXES[1], warnings: [warn('NR_WARN_DOCS_ROUTE_MOVED', `the ${first.what} of REST adapter "${adapter.namespace}" answers ${first.url}: the OpenAPI document and docs page are served under ${PREFIXES[1]} instead (${PREFIXES[1]}/openapi.json, ${PREFIXES[1]}/docs)`)] };
  }
  return { prefix: undefined, warnings: [warn('NR_WARN_DOCS_ROUTE_SKIPPED', `the capability's routes of REST adapter "${adapter.namespace}" answer ${first.url} and ${second.url}: no OpenAPI document or docs page is served (\`naftiko-run export openapi\` still writes the document)`)] };
}

/** Whether an operation path (`/x/{id}`; with `rest` its `{path}` takes the rest of the URL) matches a URL. */
function pathMatcher(path: string, rest: boolean): (url: string) => boolean {
  const fastify = toFastifyPath(path);
  const source = fastify.split('/').map((segment) => {
    if (!segment.startsWith(':')) return escape(segment);
    return rest && segment === ':path' ? '.*' : '[^/]+';
  }).join('/');
  const re = new RegExp(`^${source}$`);
  return (url) => re.test(url);
}

function forwardMatcher(prefix: string, wildcard: boolean): (url: string) => boolean {
  return (url) => url === (prefix || '/') || (wildcard && url.startsWith(`${prefix}/`));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface DocsRouteOptions {
  readonly prefix: string;
  readonly info: CapabilityModel['info'];
  /** the address served on: a loopback one answers 403 to foreign Host/Origin (documented) */
  readonly host: string;
}

/** Registers the docs routes; their route config carries `publicDocs` (no inbound credential needed to read them). */
export function registerDocsRoutes(app: FastifyInstance, adapter: RestAdapter, options: DocsRouteOptions): void {
  const { prefix } = options;
  let json: string | undefined;
  let yaml: string | undefined;
  // built on first request: most starts never serve it; a relative server URL is right whatever name reached us
  const doc = () => openApiDocument(options.info, adapter, { serverUrl: '/', host: options.host });
  const config = { publicDocs: true };
  app.get(`${prefix}/openapi.json`, { config }, async (_req, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-cache').send((json ??= JSON.stringify(doc(), null, 2))));
  app.get(`${prefix}/openapi.yaml`, { config }, async (_req, reply) =>
    reply.header('content-type', 'application/yaml; charset=utf-8').header('cache-control', 'no-cache').send((yaml ??= dump(doc(), { noRefs: true, lineWidth: -1 }))));
  const page = docsHtml(options.info.label ?? adapter.namespace, prefix);
  app.get(`${prefix}/docs`, { config }, async (_req, reply) => secured(reply).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(page));
  for (const name of DOCS_ASSETS) {
    app.get(`${prefix}/docs/${name}`, { config }, async (_req, reply) => {
      const asset = await docsAsset(name as DocsAsset);
      return secured(reply).header('content-type', asset.type).header('cache-control', name === 'init.js' ? 'no-cache' : 'public, max-age=86400').send(asset.body);
    });
  }
}

function secured<R extends { header(k: string, v: string): R }>(reply: R): R {
  return reply.header('content-security-policy', DOCS_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
}
