/**
 * Security schemes → the consumes `authentication` (one per consumes entry) with every secret a bind
 * variable read from the environment; never a literal value.
 */
import { pointerOf } from '../../spec/diagnostics.js';
import type { ReadSpec } from './read.js';
import type { ImportWarnings } from './warnings.js';

export interface BindVariable {
  readonly name: string;
  /** what the variable holds, written beside it */
  readonly comment: string;
}

export interface MappedSecurity {
  readonly authentication?: Record<string, unknown>;
  /** an apiKey sent in a cookie: an adapter-wide cookie parameter (authentication has no cookie placement) */
  readonly cookie?: Record<string, unknown>;
  readonly variables: readonly BindVariable[];
  /** the scheme chosen (its name), for the warnings about the others */
  readonly scheme?: string;
  /** operation parameters the authentication already sends (`header:x-api-key`, `query:api_key`) */
  readonly supplies: ReadonlySet<string>;
}

export function mapSecurity(spec: ReadSpec, prefix: string, warnings: ImportWarnings): MappedSecurity {
  const schemes: Record<string, any> = (spec.version === '2.0' ? spec.doc.securityDefinitions : spec.doc.components?.securitySchemes) ?? {};
  const schemesPointer = spec.version === '2.0' ? ['securityDefinitions'] : ['components', 'securitySchemes'];
  const chosen = chooseScheme(spec, schemes, warnings);
  if (!chosen) return { variables: [], supplies: new Set() };
  const s = schemes[chosen] ?? {};
  const at = pointerOf([...schemesPointer, chosen]);
  const source = `security scheme "${chosen}"`;
  const type = String(s.type ?? '');
  const scheme = String(s.scheme ?? '').toLowerCase();
  const variable = (suffix: string, what: string): BindVariable => ({ name: `${prefix}_${suffix}`, comment: `${what} (${source})` });

  if ((type === 'http' && scheme === 'bearer') || type === 'oauth2' || type === 'openIdConnect') {
    const v = variable(type === 'http' ? 'TOKEN' : 'ACCESS_TOKEN', type === 'http' ? 'the bearer token' : 'an OAuth 2 access token');
    if (type !== 'http') warnings.add('NR_WARN_IMPORT_AUTH', at, `${type} is imported as a bearer token from ${v.name}: naftiko-run does not run the ${type === 'oauth2' ? 'OAuth 2 flows' : 'OpenID Connect flow'}; obtain a token and set the variable`);
    return { authentication: { type: 'bearer', token: `{{${v.name}}}` }, variables: [v], scheme: chosen, supplies: new Set(['header:authorization']) };
  }
  if (type === 'basic' || (type === 'http' && scheme === 'basic')) {
    const u = variable('USERNAME', 'the basic-auth user name');
    const p = variable('PASSWORD', 'the basic-auth password');
    return { authentication: { type: 'basic', username: `{{${u.name}}}`, password: `{{${p.name}}}` }, variables: [u, p], scheme: chosen, supplies: new Set(['header:authorization']) };
  }
  if (type === 'apiKey' && typeof s.name === 'string') {
    const v = variable('API_KEY', `the API key sent as ${s.in} "${s.name}"`);
    if (s.in === 'header' || s.in === 'query') {
      return { authentication: { type: 'apikey', key: s.name, value: `{{${v.name}}}`, placement: s.in }, variables: [v], scheme: chosen, supplies: new Set([`${s.in}:${s.name.toLowerCase()}`]) };
    }
    if (s.in === 'cookie') return { cookie: { name: s.name, in: 'cookie', value: `{{${v.name}}}` }, variables: [v], scheme: chosen, supplies: new Set([`cookie:${s.name.toLowerCase()}`]) };
  }
  warnings.add('NR_WARN_IMPORT_AUTH', at, `${source} (${[type, scheme].filter(Boolean).join(' ')}) has no naftiko-run equivalent: no authentication is imported; add one by hand (bearer, basic or apikey)`);
  return { variables: [], supplies: new Set() };
}

/**
 * The scheme of the document's first security requirement, else of the first operation that names
 * one, else the only one defined. The consumes entry has one authentication: the others are reported.
 */
function chooseScheme(spec: ReadSpec, schemes: Record<string, unknown>, warnings: ImportWarnings): string | undefined {
  const requirements: { names: string[]; pointer: (string | number)[] }[] = [];
  const collect = (list: unknown, pointer: (string | number)[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((req, i) => {
      if (req && typeof req === 'object') requirements.push({ names: Object.keys(req), pointer: [...pointer, i] });
    });
  };
  collect(spec.doc.security, ['security']);
  for (const [path, item] of Object.entries<Record<string, any>>(spec.doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(item ?? {})) if (op && typeof op === 'object' && !Array.isArray(op)) collect(op.security, ['paths', path, method, 'security']);
  }
  const names = Object.keys(schemes);
  const chosen = requirements.find((r) => r.names.length > 0)?.names[0] ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined) return undefined;
  const reported = new Set([chosen]);
  for (const r of requirements) {
    for (const n of r.names) {
      if (reported.has(n)) continue;
      reported.add(n);
      warnings.add('NR_WARN_IMPORT_AUTH', pointerOf(r.pointer), `security scheme "${n}" is not imported: a consumes entry has one authentication, and "${chosen}" was chosen`);
    }
  }
  return chosen;
}
