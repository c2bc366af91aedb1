/** The consumes `baseUri` from `servers` (3.x) or `schemes`/`host`/`basePath` (2.0). */
import { pointerOf } from '../../spec/diagnostics.js';
import type { ReadSpec } from './read.js';
import type { ImportWarnings } from './warnings.js';
import type { BindVariable } from './security.js';

export interface BaseUri {
  readonly uri: string;
  /** set when the description gives no usable server: the host comes from this variable */
  readonly variable?: BindVariable;
  /** the other servers listed, for a comment */
  readonly others: readonly string[];
}

const USABLE = /^https?:\/\/[^/{}]+(\/[^{}]*)?$/;

export function baseUri(spec: ReadSpec, prefix: string, namespace: string, warnings: ImportWarnings): BaseUri {
  const candidates = spec.version === '2.0' ? swaggerServer(spec.doc) : serverUrls(spec.doc);
  const pointer = spec.version === '2.0' ? (spec.doc.host !== undefined ? '/host' : '') : spec.doc.servers !== undefined ? '/servers/0/url' : '';
  const [first, ...others] = candidates;
  if (first !== undefined && USABLE.test(first)) return { uri: first.replace(/\/+$/, ''), others };
  const name = `${prefix}_HOST`;
  const why = first === undefined ? 'the description names no server' : `its first server "${first}" is not an absolute http(s) URL`;
  warnings.add('NR_WARN_IMPORT_NO_SERVER', pointer, `${why}: baseUri is "https://{{${name}}}"; set ${name} to the API's host[:port][/base-path], or serve with --base-uri ${namespace}=URL`);
  return { uri: `https://{{${name}}}`, variable: { name, comment: 'the upstream host[:port][/base-path] (the description names no usable server)' }, others: candidates.slice(first === undefined ? 0 : 1) };
}

function serverUrls(doc: Record<string, any>): string[] {
  const servers: unknown[] = Array.isArray(doc.servers) ? doc.servers : [];
  return servers.flatMap((s) => {
    if (!s || typeof s !== 'object' || typeof (s as any).url !== 'string') return [];
    const server = s as { url: string; variables?: Record<string, { default?: unknown }> };
    // `{var}` takes its default, as the OpenAPI spec says a client does when nothing else is chosen
    return [server.url.replace(/\{([^{}]+)\}/g, (m, v: string) => {
      const d = server.variables?.[v]?.default;
      return d === undefined ? m : String(d);
    })];
  });
}

function swaggerServer(doc: Record<string, any>): string[] {
  if (typeof doc.host !== 'string' || doc.host === '') return [];
  const schemes: string[] = Array.isArray(doc.schemes) ? doc.schemes : [];
  const scheme = schemes.includes('https') ? 'https' : schemes[0] ?? 'https';
  const basePath = typeof doc.basePath === 'string' ? doc.basePath : '';
  return [`${scheme}://${doc.host}${basePath}`];
}

/** Path- and operation-level `servers` would need a consumes entry of their own: reported, not followed. */
export function warnLocalServers(node: Record<string, any>, path: (string | number)[], warnings: ImportWarnings): void {
  if (Array.isArray(node.servers) && node.servers.length > 0) {
    warnings.add('NR_WARN_IMPORT_OPERATION_SERVERS', pointerOf([...path, 'servers']), 'servers given here are not used: every operation is called on the baseUri of the document\'s first server');
  }
}
