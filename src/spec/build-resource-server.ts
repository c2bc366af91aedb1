/**
 * Inbound `authentication: {type: oauth2}` (FEATURES §10): the adapter is an OAuth 2.1 resource server.
 * Its URIs are checked at load, since a wrong one would only show up as every token refused.
 */
import type { OAuth2ResourceServer } from './model.js';
import type { BuildContext, Raw } from './context.js';
import { str } from './context.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function buildResourceServer(ctx: BuildContext, raw: Raw, pointer: string, namespace: string): OAuth2ResourceServer | undefined {
  const issuer = httpUrl(ctx, raw.authorizationServerUri, `${pointer}/authorizationServerUri`, 'the issuer URL of the authorization server (the `iss` of its tokens)');
  const resource = httpUrl(ctx, raw.resource, `${pointer}/resource`, "this adapter's public URL, e.g. https://tools.example.com/mcp (RFC 9728 resource identifier)");
  if (issuer === undefined || resource === undefined) return undefined;
  if (issuer.protocol === 'http:' && !LOOPBACK_HOSTS.has(issuer.hostname)) {
    ctx.warn('NR_WARN_OAUTH_CLEARTEXT_ISSUER', `${pointer}/authorizationServerUri`, `the authorization server of "${namespace}" is reached over http: whoever can alter that traffic can substitute signing keys and mint tokens this adapter accepts; use https`);
  }
  const tokenValidation = raw.tokenValidation === 'introspection' ? 'introspection' : 'jwks';
  if (tokenValidation === 'introspection') {
    ctx.warn('NR_WARN_AUTH_UNSUPPORTED', `${pointer}/tokenValidation`, `tokenValidation: introspection is not supported by naftiko-run yet: adapter "${namespace}" refuses every token (401) rather than serve unprotected; use jwks (JWT access tokens)`);
  }
  const scopes = Array.isArray(raw.scopes) ? raw.scopes.map(String) : [];
  return {
    type: 'oauth2',
    issuer: raw.authorizationServerUri as string,
    resource: raw.resource as string,
    audience: str(raw.audience) ?? (raw.resource as string),
    scopes,
    tokenValidation,
  };
}

function httpUrl(ctx: BuildContext, value: unknown, pointer: string, what: string): URL | undefined {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hash !== '' || url.search !== '') {
    ctx.error('NR_ERR_OAUTH_CONFIG', pointer, `${JSON.stringify(value)} is not an absolute http(s) URL without query or fragment; write ${what}`);
    return undefined;
  }
  return url;
}
