/**
 * Inbound `authentication` of an exposed adapter (FEATURES §10), checked before routing: bearer, apikey
 * and basic here; digest (auth/digest.ts) and the OAuth 2.1 resource server (auth/oauth.ts, with its
 * RFC 9728 metadata in auth/metadata.ts). Secrets come from binds and are rendered once; an unset one
 * makes the adapter refuse every request (fail closed) — an unresolved `{{VAR}}` is never accepted as
 * the secret. Comparisons are constant-time over SHA-256 digests, so neither the value nor its length leaks.
 */
import { randomBytes } from 'node:crypto';
import type { InboundAuthentication, BoundVariable } from '../spec/model.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderTemplate, type Template } from '../spec/template.js';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';
import { OK, refused, sameSecret, sha256, single, type InboundDecision, type InboundRequest } from './auth/decision.js';
import { digestCheck, DIGEST_REALM } from './auth/digest.js';
import { oauthCheck, type OAuthOptions } from './auth/oauth.js';
import { resourceMetadata, type ResourceMetadata } from './auth/metadata.js';

export type { InboundDecision, InboundRequest } from './auth/decision.js';

/** Checks one request. */
export type InboundCheck = (req: InboundRequest) => InboundDecision | Promise<InboundDecision>;

export interface PreparedInboundAuth {
  readonly check: InboundCheck;
  /** the credential travels in `Authorization`: that header is the adapter's, never the upstream's */
  readonly usesAuthorization: boolean;
  /** an API key sent as this query parameter is the adapter's: never an input, never forwarded */
  readonly queryKey?: string;
  /** an API key sent in this (lower-cased) header is the adapter's too */
  readonly headerKey?: string;
  /** oauth2: the protected-resource metadata document, served unauthenticated */
  readonly metadata?: ResourceMetadata;
}

export function prepareInboundAuth(namespace: string, auth: InboundAuthentication | undefined, variables: ReadonlyMap<string, BoundVariable>, oauth?: OAuthOptions): PreparedInboundAuth | undefined {
  if (!auth) return undefined;
  const render = (t: Template): string | undefined => {
    const r = renderTemplate(t, (ref) => variables.get(ref)?.value);
    return r.ok && r.value !== '' ? r.value : undefined;
  };
  const unset = (templates: readonly Template[]) => `adapter "${namespace}" cannot check credentials: ${templates.flatMap((t) => t.refs).filter((r) => variables.get(r)?.value === undefined).map((r) => `{{${r}}}`).join(', ') || 'its secret'} is unset, so every request is refused`;

  switch (auth.type) {
    case 'bearer': {
      const token = render(auth.token);
      const challenge = `Bearer realm="${namespace}"`;
      if (token === undefined) return closed(refused(401, 'NR_ERR_UNAUTHENTICATED', unset([auth.token]), challenge), true);
      const expected = sha256(token);
      return {
        usesAuthorization: true,
        check: ({ headers }) => {
          const m = /^Bearer +(\S+)\s*$/i.exec(single(headers.authorization) ?? '');
          if (!m) return refused(401, 'NR_ERR_UNAUTHENTICATED', 'send Authorization: Bearer <token>', challenge);
          return sameSecret(m[1]!, expected) ? OK : refused(401, 'NR_ERR_UNAUTHENTICATED', 'the bearer token is not valid', `${challenge}, error="invalid_token"`);
        },
      };
    }
    case 'apikey': {
      const value = render(auth.value);
      const challenge = `ApiKey realm="${namespace}"`;
      const where = auth.placement === 'query' ? `the query parameter ${auth.key}` : `the ${auth.key} header`;
      if (value === undefined) return closed(refused(401, 'NR_ERR_UNAUTHENTICATED', unset([auth.value]), challenge), false);
      const expected = sha256(value);
      const header = auth.key.toLowerCase();
      return {
        ...credentialPlaces(auth),
        check: ({ headers, url }) => {
          const sent = auth.placement === 'query' ? queryValue(url, auth.key) : single(headers[header]);
          if (sent === undefined) return refused(401, 'NR_ERR_UNAUTHENTICATED', `send the API key in ${where}`, challenge);
          return sameSecret(sent, expected) ? OK : refused(401, 'NR_ERR_UNAUTHENTICATED', `the API key in ${where} is not valid`, challenge);
        },
      };
    }
    case 'basic': {
      const user = render(auth.username);
      const password = render(auth.password);
      const challenge = `Basic realm="${DIGEST_REALM}", charset="UTF-8"`;
      if (user === undefined || password === undefined) return closed(refused(401, 'NR_ERR_UNAUTHENTICATED', unset([auth.username, auth.password]), challenge), true);
      const expectedUser = sha256(user);
      const expectedPassword = sha256(password);
      return {
        usesAuthorization: true,
        check: ({ headers }) => {
          const m = /^Basic +([A-Za-z0-9+/=]+)\s*$/i.exec(single(headers.authorization) ?? '');
          if (!m) return refused(401, 'NR_ERR_UNAUTHENTICATED', 'send Authorization: Basic <base64 of user:password>', challenge);
          const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          // both parts are compared, whatever the first one gave, so timing tells nothing
          const userOk = sameSecret(colon < 0 ? decoded : decoded.slice(0, colon), expectedUser);
          const passwordOk = sameSecret(colon < 0 ? '' : decoded.slice(colon + 1), expectedPassword);
          return userOk && passwordOk ? OK : refused(401, 'NR_ERR_UNAUTHENTICATED', 'the user name or password is not valid', challenge);
        },
      };
    }
    case 'digest': {
      const user = render(auth.username);
      const password = render(auth.password);
      if (user === undefined || password === undefined) return closed(refused(401, 'NR_ERR_UNAUTHENTICATED', unset([auth.username, auth.password]), `Digest realm="${DIGEST_REALM}", qop="auth", algorithm=SHA-256, nonce="${randomBytes(24).toString('base64url')}"`), true);
      return { usesAuthorization: true, check: digestCheck(namespace, user, password) };
    }
    case 'oauth2':
      return { usesAuthorization: true, check: oauthCheck(namespace, auth, oauth), metadata: resourceMetadata(namespace, auth) };
    default:
      return closed(refused(501, 'NR_ERR_AUTH_UNSUPPORTED', `inbound ${(auth as { type: string }).type} authentication is not supported by naftiko-run; adapter "${namespace}" refuses every request rather than serve it unprotected`), true);
  }
}

function closed(decision: InboundDecision, usesAuthorization: boolean): PreparedInboundAuth {
  return { usesAuthorization, check: () => decision };
}

function queryValue(url: string, key: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get(key) ?? undefined;
}

const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 501: 'Not implemented', 503: 'Authorization server unavailable' };

/**
 * Adds the check as the adapter's first `onRequest` hook after the Host/Origin one: a refused request
 * gets a problem+json 401/403 (with `WWW-Authenticate`), 501 or 503 before routing, the MCP SDK or any
 * upstream. With oauth2, the metadata document's paths are routes of their own, open to everyone.
 */
/** Where a caller's credential for this adapter travels: those headers and query parameters are the adapter's own. */
export function credentialPlaces(auth: InboundAuthentication): Pick<PreparedInboundAuth, 'usesAuthorization' | 'queryKey' | 'headerKey'> {
  if (auth.type !== 'apikey') return { usesAuthorization: true };
  const header = auth.key.toLowerCase();
  return { usesAuthorization: header === 'authorization', ...(auth.placement === 'query' ? { queryKey: auth.key } : { headerKey: header }) };
}

/** `exempt`: requests the adapter serves without a credential (its docs page, CORS preflights). */
export function installInboundAuth(app: FastifyInstance, prepared: PreparedInboundAuth | undefined, exempt?: (req: FastifyRequest) => boolean): void {
  if (!prepared) return;
  const open = new Set(prepared.metadata?.paths ?? []);
  if (prepared.metadata) {
    const body = prepared.metadata.body;
    for (const path of open) {
      app.get(path, async (_req, reply) => reply.header('content-type', 'application/json').header('cache-control', 'max-age=3600').header('access-control-allow-origin', '*').send(body));
    }
  }
  app.addHook('onRequest', async (req, reply) => {
    if (exempt?.(req)) return;
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (open.size && (req.method === 'GET' || req.method === 'HEAD') && open.has(path)) return;
    const decision = await prepared.check({ method: req.method, url, headers: req.headers });
    if (decision.ok) return;
    if (decision.challenge) reply.header('www-authenticate', decision.challenge);
    return reply.code(decision.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem(decision.code, decision.status, TITLES[decision.status]!, decision.detail, path)));
  });
}
