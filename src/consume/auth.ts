/**
 * Upstream credentials from `authentication` (SEMANTICS §3): a configured credential wins over the
 * caller's; when its variable is unset, the caller's own credential passes through; with neither the call
 * fails with 401 naming the variable (never a value). Bind values are fixed once loaded, so each
 * adapter's credential is rendered once, when its calls are prepared.
 */
import type { Authentication, BoundVariable, ConsumedApi } from '../spec/model.js';
import { renderTemplate, type Template } from '../spec/template.js';
import { InvokeError } from './errors.js';
import { variableSource } from '../spec/binds.js';

/** Sets the credential on `headers` (or returns a query parameter), or throws 401/501. */
export type ApplyAuth = (headers: Record<string, string>, operationRef: string) => { name: string; value: string } | undefined;

const NONE: ApplyAuth = () => undefined;

/**
 * `callerHeaders`: the header names a REST caller can send for this call (its declared header
 * parameters); the error advises sending one's own credential only when that can work.
 */
export function prepareAuthentication(api: ConsumedApi, variables: ReadonlyMap<string, BoundVariable>, callerHeaders: ReadonlySet<string> = new Set()): ApplyAuth {
  const auth = api.authentication;
  if (!auth) return NONE;
  const lookup = (ref: string) => variables.get(ref)?.value;
  const render = (t: Template): string | undefined => {
    const r = renderTemplate(t, lookup);
    return r.ok && r.value !== '' ? r.value : undefined;
  };
  const missing = (templates: readonly Template[]) => describeMissing(templates.flatMap((t) => t.refs).filter((r) => lookup(r) === undefined), variables);

  switch (auth.type) {
    case 'bearer': {
      const token = render(auth.token);
      return token !== undefined ? setHeader('authorization', `Bearer ${token}`) : callerOnly('authorization', auth, missing([auth.token]), callerHeaders);
    }
    case 'basic': {
      const user = render(auth.username);
      const password = renderTemplate(auth.password, lookup);
      return user !== undefined && password.ok
        ? setHeader('authorization', `Basic ${Buffer.from(`${user}:${password.value}`).toString('base64')}`)
        : callerOnly('authorization', auth, missing([auth.username, auth.password]), callerHeaders);
    }
    case 'apikey': {
      const value = render(auth.value);
      if (value !== undefined) return auth.placement === 'query' ? () => ({ name: auth.key, value }) : setHeader(auth.key.toLowerCase(), value);
      if (auth.placement === 'query') {
        const why = missing([auth.value]);
        return (_h, ref) => {
          throw credentialError(auth, why, ref, false);
        };
      }
      return callerOnly(auth.key.toLowerCase(), auth, missing([auth.value]), callerHeaders);
    }
    default:
      return (_h, ref) => {
        throw new InvokeError('NR_ERR_AUTH_UNSUPPORTED', 501, 'Upstream authentication not supported', `${ref}: "${auth.type}" authentication is not supported by naftiko-run yet`);
      };
  }
}

function setHeader(name: string, value: string): ApplyAuth {
  return (headers) => {
    headers[name] = value;
    return undefined;
  };
}

/** No configured credential: the caller's own header passes through, or the call fails. */
function callerOnly(header: string, auth: Authentication, missing: string, callerHeaders: ReadonlySet<string>): ApplyAuth {
  const callerCan = callerHeaders.has(header);
  return (headers, ref) => {
    if (headers[header]) return undefined;
    throw credentialError(auth, missing, ref, callerCan);
  };
}

function describeMissing(refs: readonly string[], variables: ReadonlyMap<string, BoundVariable>): string {
  return [...new Set(refs)]
    .map((r) => {
      const v = variables.get(r);
      return v ? variableSource(v) : `{{${r}}}`;
    })
    .join(' and ');
}

function credentialError(auth: Authentication, missing: string, operationRef: string, callerCan: boolean): InvokeError {
  const header = auth.type === 'apikey' ? auth.key : 'Authorization';
  const how = callerCan ? ` (or, calling the REST adapter, send your own ${header} header)` : '';
  return new InvokeError('NR_ERR_CREDENTIAL_MISSING', 401, 'Upstream credential missing',
    `${operationRef} needs ${/^[aeiou]/i.test(auth.type) ? 'an' : 'a'} ${auth.type} credential: set ${missing || 'the credential'}${how}`);
}
