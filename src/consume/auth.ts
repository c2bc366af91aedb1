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
import type { UpstreamPools } from './pools.js';
import type { UpstreamSession } from './session.js';
import { DigestSession } from './digest.js';
import { OAuth2ClientSession } from './oauth2-client.js';

/**
 * Sets the credential on `headers` (or returns a query parameter), or throws 401/501. A credential that
 * takes a round trip (digest, OAuth2) comes as `session`, which the sender asks before each attempt.
 */
export type ApplyAuth = ((headers: Record<string, string>, operationRef: string) => { name: string; value: string } | undefined) & { readonly session?: UpstreamSession };

const NONE: ApplyAuth = () => undefined;

/** Where sessions live (shared by every operation of a namespace) and how long a token request may take. */
export interface SessionContext {
  readonly pools: UpstreamPools;
  readonly tokenTimeoutMs: number;
}

/**
 * `callerHeaders`: the header names a REST caller can send for this call (its declared header
 * parameters); the error advises sending one's own credential only when that can work.
 */
export function prepareAuthentication(api: ConsumedApi, variables: ReadonlyMap<string, BoundVariable>, sessions: SessionContext, callerHeaders: ReadonlySet<string> = new Set()): ApplyAuth {
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
    case 'digest': {
      const user = render(auth.username);
      const password = renderTemplate(auth.password, lookup);
      if (user === undefined || !password.ok) return callerOnly('authorization', auth, missing([auth.username, auth.password]), callerHeaders);
      const session = sessions.pools.session(`digest\0${api.namespace}`, () => new DigestSession(user, password.value));
      return withSession(session);
    }
    case 'oauth2': {
      const client = auth.client;
      if (!client) {
        return (_h, ref) => {
          throw new InvokeError('NR_ERR_OAUTH2_CLIENT_MISSING', 501, 'Upstream authentication not configured',
            `${ref}: oauth2 on consumes "${api.namespace}" needs "clientId", "clientSecret" and "tokenEndpoint" (or "authorizationServerUri" to discover it): the naftiko-run client-credentials extension`);
        };
      }
      const id = render(client.clientId);
      const secret = render(client.clientSecret);
      const where = (client.tokenEndpoint ?? client.authorizationServerUri)!;
      const field = client.tokenEndpoint ? 'tokenEndpoint' : 'authorizationServerUri';
      const endpoint = render(where);
      if (id === undefined || secret === undefined || endpoint === undefined) return callerOnly('authorization', auth, missing([where, client.clientId, client.clientSecret]), callerHeaders);
      if (!/^https?:$/.test(URL.canParse(endpoint) ? new URL(endpoint).protocol : '')) {
        return (_h, ref) => {
          throw new InvokeError('NR_ERR_UPSTREAM_AUTH', 502, 'Upstream token request failed', `${ref}: the oauth2 ${field} ${where.source} does not render to an absolute http(s) URL`);
        };
      }
      const session = sessions.pools.session(`oauth2\0${api.namespace}`, () => new OAuth2ClientSession({
        namespace: api.namespace, ...(client.tokenEndpoint ? { tokenEndpoint: endpoint } : { authorizationServer: endpoint }), endpointLabel: where.source, clientId: id, clientSecret: secret,
        clientAuthMethod: client.clientAuthMethod, scopes: client.scopes,
        ...(client.audience !== undefined ? { audience: client.audience } : {}),
        ...(client.resource !== undefined ? { resource: client.resource } : {}),
        timeoutMs: sessions.tokenTimeoutMs,
      }, sessions.pools));
      return withSession(session);
    }
  }
}

/** The credential is added per attempt by the session; a caller's own Authorization never travels with it. */
function withSession(session: UpstreamSession): ApplyAuth {
  return Object.assign((headers: Record<string, string>) => {
    delete headers.authorization;
    return undefined;
  }, { session });
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
