/**
 * Upstream credentials from `authentication` (SEMANTICS §3): a configured credential wins over the
 * caller's; when its variable is unset, the caller's own credential passes through; with neither the call
 * fails with 401 naming the variable (never a value).
 */
import type { Authentication, BoundVariable, ConsumedApi, ConsumedOperation } from '../spec/model.js';
import { renderTemplate, type Template } from '../spec/template.js';
import { InvokeError } from './errors.js';

export function applyAuthentication(
  api: ConsumedApi,
  operation: ConsumedOperation,
  headers: Record<string, string>,
  variables: ReadonlyMap<string, BoundVariable>,
): { name: string; value: string } | undefined {
  const auth = api.authentication;
  if (!auth) return undefined;
  const lookup = (ref: string) => variables.get(ref)?.value;
  const resolve = (t: Template) => renderTemplate(t, lookup);
  const missing = (t: readonly Template[]) => t.flatMap((x) => x.refs).filter((r) => lookup(r) === undefined);

  switch (auth.type) {
    case 'bearer': {
      const r = resolve(auth.token);
      if (r.ok && r.value !== '') {
        headers.authorization = `Bearer ${r.value}`;
        return undefined;
      }
      return callerCredential(headers, 'authorization', auth, missing([auth.token]), variables, operation);
    }
    case 'basic': {
      const u = resolve(auth.username);
      const p = resolve(auth.password);
      if (u.ok && p.ok && u.value !== '') {
        headers.authorization = `Basic ${Buffer.from(`${u.value}:${p.value}`).toString('base64')}`;
        return undefined;
      }
      return callerCredential(headers, 'authorization', auth, missing([auth.username, auth.password]), variables, operation);
    }
    case 'apikey': {
      const v = resolve(auth.value);
      if (v.ok && v.value !== '') {
        if (auth.placement === 'query') return { name: auth.key, value: v.value };
        headers[auth.key.toLowerCase()] = v.value;
        return undefined;
      }
      if (auth.placement === 'query') throw credentialError(auth, missing([auth.value]), variables, operation);
      return callerCredential(headers, auth.key.toLowerCase(), auth, missing([auth.value]), variables, operation);
    }
    default:
      throw new InvokeError('NR_ERR_AUTH_UNSUPPORTED', 501, 'Upstream authentication not supported',
        `${operation.ref}: "${auth.type}" authentication is not supported by naftiko-run yet`);
  }
}

function callerCredential(
  headers: Record<string, string>, header: string, auth: Authentication, missingRefs: string[],
  variables: ReadonlyMap<string, BoundVariable>, operation: ConsumedOperation,
): undefined {
  if (headers[header]) return undefined;
  throw credentialError(auth, missingRefs, variables, operation);
}

function credentialError(auth: Authentication, missingRefs: string[], variables: ReadonlyMap<string, BoundVariable>, operation: ConsumedOperation): InvokeError {
  const names = [...new Set(missingRefs)].map((r) => {
    const v = variables.get(r);
    return v ? (v.location ? `key ${v.source} in ${v.location}` : `environment variable ${v.source}`) : `{{${r}}}`;
  });
  const header = auth.type === 'apikey' ? auth.key : 'Authorization';
  return new InvokeError('NR_ERR_CREDENTIAL_MISSING', 401, 'Upstream credential missing',
    `${operation.ref} needs a ${auth.type} credential: set ${names.join(' and ') || 'the credential'}, or send your own ${header} header`);
}
