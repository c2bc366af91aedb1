/**
 * Inbound `authentication` of an exposed adapter (FEATURES §10): bearer, apikey and basic, checked
 * before routing. Secrets come from binds and are rendered once; an unset one makes the adapter refuse
 * every request (fail closed) — an unresolved `{{VAR}}` is never accepted as the secret. Comparisons
 * are constant-time over SHA-256 digests, so neither the value nor its length leaks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Authentication, BoundVariable } from '../spec/model.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderTemplate, type Template } from '../spec/template.js';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';

export type InboundDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 501; readonly code: string; readonly detail: string; readonly challenge?: string };

/** Checks one request (its headers and raw query string). */
export type InboundCheck = (headers: IncomingHttpHeaders, rawQuery: string) => InboundDecision;

export interface PreparedInboundAuth {
  readonly check: InboundCheck;
  /** the credential travels in `Authorization`: that header is the adapter's, never the upstream's */
  readonly usesAuthorization: boolean;
  /** an API key sent as this query parameter is the adapter's: never an input, never forwarded */
  readonly queryKey?: string;
  /** an API key sent in this (lower-cased) header is the adapter's too */
  readonly headerKey?: string;
}

export function prepareInboundAuth(namespace: string, auth: Authentication | undefined, variables: ReadonlyMap<string, BoundVariable>): PreparedInboundAuth | undefined {
  if (!auth) return undefined;
  const render = (t: Template): string | undefined => {
    const r = renderTemplate(t, (ref) => variables.get(ref)?.value);
    return r.ok && r.value !== '' ? r.value : undefined;
  };
  const refused = (status: 401 | 501, code: string, detail: string, challenge?: string): InboundDecision => ({ ok: false, status, code, detail, ...(challenge ? { challenge } : {}) });
  const unset = (templates: readonly Template[]) => `adapter "${namespace}" cannot check credentials: ${templates.flatMap((t) => t.refs).filter((r) => variables.get(r)?.value === undefined).map((r) => `{{${r}}}`).join(', ') || 'its secret'} is unset, so every request is refused`;

  switch (auth.type) {
    case 'bearer': {
      const token = render(auth.token);
      const challenge = `Bearer realm="${namespace}"`;
      if (token === undefined) return closed(refused(401, 'NR_ERR_UNAUTHENTICATED', unset([auth.token]), challenge), true);
      const expected = digest(token);
      return {
        usesAuthorization: true,
        check: (headers) => {
          const m = /^Bearer +(\S+)\s*$/i.exec(single(headers.authorization) ?? '');
          if (!m) return refused(401, 'NR_ERR_UNAUTHENTICATED', 'send Authorization: Bearer <token>', challenge);
          return same(m[1]!, expected) ? OK : refused(401, 'NR_ERR_UNAUTHENTICATED', 'the bearer token is not valid', `${challenge}, error="invalid_token"`);
        },
      };
    }
    case 'apikey': {
      const value = render(auth.value);
      const challenge = `ApiKey realm="${namespace}"`;
      const where = auth.placement === 'query' ? `the query parameter ${auth.key}` : `the ${auth.key} header`;
      if (value === undefined) return closed(refused(401, 'NR_ERR_UNAUTHENTICATED', unset([auth.value]), challenge), false);
      const expected = digest(value);
      const header = auth.key.toLowerCase();
      return {
        ...credentialPlaces(auth),
        check: (headers, rawQuery) => {
          const sent = auth.placement === 'query' ? queryValue(rawQuery, auth.key) : single(headers[header]);
          if (sent === undefined) return refused(401, 'NR_ERR_UNAUTHENTICATED', `send the API key in ${where}`, challenge);
          return same(sent, expected) ? OK : refused(401, 'NR_ERR_UNAUTHENTICATED', `the API key in ${where} is not valid`, challenge);
        },
      };
    }
    case 'basic': {
      const user = render(auth.username);
      const password = render(auth.password);
      const challenge = 'Basic realm="naftiko", charset="UTF-8"';
      if (user === undefined || password === undefined) return closed(refused(401, 'NR_ERR_UNAUTHENTICATED', unset([auth.username, auth.password]), challenge), true);
      const expectedUser = digest(user);
      const expectedPassword = digest(password);
      return {
        usesAuthorization: true,
        check: (headers) => {
          const m = /^Basic +([A-Za-z0-9+/=]+)\s*$/i.exec(single(headers.authorization) ?? '');
          if (!m) return refused(401, 'NR_ERR_UNAUTHENTICATED', 'send Authorization: Basic <base64 of user:password>', challenge);
          const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          // both parts are compared, whatever the first one gave, so timing tells nothing
          const userOk = same(colon < 0 ? decoded : decoded.slice(0, colon), expectedUser);
          const passwordOk = same(colon < 0 ? '' : decoded.slice(colon + 1), expectedPassword);
          return userOk && passwordOk ? OK : refused(401, 'NR_ERR_UNAUTHENTICATED', 'the user name or password is not valid', challenge);
        },
      };
    }
    default:
      return closed(refused(501, 'NR_ERR_AUTH_UNSUPPORTED', `inbound ${auth.type} authentication is not supported by naftiko-run yet; adapter "${namespace}" refuses every request rather than serve it unprotected`), auth.type === 'digest' || auth.type === 'oauth2');
  }
}

/** Where a caller's credential for this adapter travels: those headers and query parameters are the adapter's own. */
export function credentialPlaces(auth: Authentication): Pick<PreparedInboundAuth, 'usesAuthorization' | 'queryKey' | 'headerKey'> {
  if (auth.type !== 'apikey') return { usesAuthorization: true };
  const header = auth.key.toLowerCase();
  return { usesAuthorization: header === 'authorization', ...(auth.placement === 'query' ? { queryKey: auth.key } : { headerKey: header }) };
}

const OK: InboundDecision = { ok: true };

function closed(decision: InboundDecision, usesAuthorization: boolean): PreparedInboundAuth {
  return { usesAuthorization, check: () => decision };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function same(sent: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(sent), expected);
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function queryValue(rawQuery: string, key: string): string | undefined {
  if (rawQuery === '') return undefined;
  return new URLSearchParams(rawQuery).get(key) ?? undefined;
}

/**
 * Adds the check as the adapter's first `onRequest` hook after the Host/Origin one: a refused request
 * gets a problem+json 401 (with `WWW-Authenticate`) or 501 before routing, the MCP SDK or any upstream.
 */
export function installInboundAuth(app: FastifyInstance, prepared: PreparedInboundAuth | undefined, exempt?: (req: FastifyRequest) => boolean): void {
  if (!prepared) return;
  app.addHook('onRequest', async (req, reply) => {
    if (exempt?.(req)) return;
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const decision = prepared.check(req.headers, q < 0 ? '' : url.slice(q + 1));
    if (decision.ok) return;
    if (decision.challenge) reply.header('www-authenticate', decision.challenge);
    const title = decision.status === 401 ? 'Unauthorized' : 'Not implemented';
    return reply.code(decision.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem(decision.code, decision.status, title, decision.detail, q < 0 ? url : url.slice(0, q))));
  });
}
