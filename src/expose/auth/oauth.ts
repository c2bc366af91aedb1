/**
 * Inbound OAuth 2.1 resource server (FEATURES §10): JWT access tokens verified with `jose` against the
 * issuer's JWKS — signature (asymmetric algorithms only), `iss`, `aud` = this resource, `exp` required,
 * 30 s leeway — then the configured scopes (403 `insufficient_scope`). The issuer's metadata is
 * discovered lazily (RFC 8414 path-inserted, appended, then OpenID), retried with backoff; the JWKS is
 * fetched with a timeout, cached, and refetched on an unknown `kid` at most once per cooldown.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { OAuth2ResourceServer } from '../../spec/model.js';
import { OK, quotable, refused, sha256, single, type InboundDecision, type InboundRequest } from './decision.js';
import { resourceMetadataUrl } from './metadata.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
export const CLOCK_TOLERANCE_S = 30;
/** a verified token is trusted again without a signature check for at most this long (and never past its exp) */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1_000;

export interface OAuthOptions {
  /** each metadata and JWKS request (default 5 s) */
  readonly fetchTimeoutMs?: number;
  /** an unknown `kid` refetches the JWKS at most this often (default 30 s) */
  readonly jwksCooldownMs?: number;
  /** the JWKS is refetched after this long (default 5 min) */
  readonly jwksMaxAgeMs?: number;
}

export function oauthCheck(namespace: string, config: OAuth2ResourceServer, options: OAuthOptions = {}): (req: InboundRequest) => Promise<InboundDecision> {
  const timeout = options.fetchTimeoutMs ?? 5_000;
  const both = (u: string) => [u.replace(/\/+$/, ''), `${u.replace(/\/+$/, '')}/`];
  const base = `Bearer realm="${quotable(namespace)}", resource_metadata="${resourceMetadataUrl(config.resource)}"`;
  const scopeParam = config.scopes.length ? `, scope="${quotable(config.scopes.join(' '))}"` : '';
  const invalid = (why: string) => refused(401, 'NR_ERR_UNAUTHENTICATED', `the access token is not valid: ${why}`, `${base}, error="invalid_token", error_description="${quotable(why)}"`);
  const keys = jwksOf(config.issuer, timeout, options);
  const verified = new VerifiedTokens();

  return async (req) => {
    const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(single(req.headers.authorization) ?? '');
    if (!m) return refused(401, 'NR_ERR_UNAUTHENTICATED', `send Authorization: Bearer <access token issued by ${config.issuer}>`, `${base}${scopeParam}`);
    if (config.tokenValidation === 'introspection') return invalid('token introspection is not supported by naftiko-run yet');
    const cached = verified.get(m[1]!);
    const outcome = cached ? { claims: cached } : await verify(m[1]!);
    if ('refusal' in outcome) return outcome.refusal;
    const granted = grantedScopes(outcome.claims);
    const lacking = config.scopes.filter((s) => !granted.has(s));
    if (lacking.length) {
      const why = `the token lacks the scope ${lacking.join(', ')}`;
      return refused(403, 'NR_ERR_INSUFFICIENT_SCOPE', `${why}; ask the authorization server for a token with scope "${config.scopes.join(' ')}"`, `${base}, error="insufficient_scope", scope="${quotable(config.scopes.join(' '))}", error_description="${quotable(why)}"`);
    }
    return OK;
  };

  async function verify(token: string): Promise<{ readonly claims: JWTPayload } | { readonly refusal: InboundDecision }> {
    let getKey: JWTVerifyGetKey;
    try {
      getKey = await keys();
    } catch (e) {
      return { refusal: unavailable(config.issuer, e) };
    }
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: both(config.issuer),
        audience: both(config.audience),
        algorithms: ALGORITHMS,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      verified.set(token, payload);
      return { claims: payload };
    } catch (e) {
      const why = rejection(e);
      return { refusal: why === undefined ? unavailable(config.issuer, e) : invalid(why) };
    }
  }
}

/**
 * Tokens whose signature and claims were checked, by SHA-256 (the tokens themselves are not kept):
 * a client sends the same token on every call, and a signature check costs far more than the call's
 * own work. Bounded in count and time; an entry never outlives the token's exp (plus the leeway).
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { payload: JWTPayload; until: number }>();

  get(token: string): JWTPayload | undefined {
    const key = sha256(token).toString('base64');
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (Date.now() < hit.until) return hit.payload;
    this.entries.delete(key);
    return undefined;
  }

  set(token: string, payload: JWTPayload): void {
    const until = Math.min(Date.now() + VERIFIED_TTL_MS, ((payload.exp ?? 0) + CLOCK_TOLERANCE_S) * 1000);
    this.entries.set(sha256(token).toString('base64'), { payload, until });
    if (this.entries.size > VERIFIED_MAX) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** The JWKS getter, discovered once; a failure waits 1 s, 2 s, 4 s … up to 60 s before the next try. */
function jwksOf(issuer: string, timeout: number, options: OAuthOptions): () => Promise<JWTVerifyGetKey> {
  let keys: JWTVerifyGetKey | undefined;
  let pending: Promise<JWTVerifyGetKey> | undefined;
  let retryAt = 0;
  let backoff = 1_000;
  let lastFailure: unknown;
  return async () => {
    if (keys) return keys;
    if (pending) return pending;
    if (Date.now() < retryAt) throw lastFailure;
    pending = discoverJwksUri(issuer, timeout).then(
      (uri) => {
        keys = createRemoteJWKSet(new URL(uri), { timeoutDuration: timeout, cooldownDuration: options.jwksCooldownMs ?? 30_000, cacheMaxAge: options.jwksMaxAgeMs ?? 300_000 });
        return keys;
      },
      (e: unknown) => {
        lastFailure = e;
        retryAt = Date.now() + backoff;
        backoff = Math.min(backoff * 2, 60_000);
        throw e;
      },
    ).finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

/** RFC 8414 path-inserted, then the appended form, then OpenID discovery; `issuer` must match. */
async function discoverJwksUri(issuer: string, timeout: number): Promise<string> {
  const trimmed = issuer.replace(/\/+$/, '');
  const u = new URL(trimmed);
  const path = u.pathname === '/' ? '' : u.pathname;
  const candidates = [...new Set([
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${trimmed}/.well-known/oauth-authorization-server`,
    `${trimmed}/.well-known/openid-configuration`,
  ])];
  const problems: string[] = [];
  for (const url of candidates) {
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeout) });
      if (res.status !== 200) {
        await res.body?.cancel();
        problems.push(`${url}: HTTP ${res.status}`);
        continue;
      }
      const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/+$/, '') !== trimmed) {
        problems.push(`${url}: its issuer ${JSON.stringify(doc.issuer)} is not ${issuer}`);
        continue;
      }
      if (typeof doc.jwks_uri !== 'string') {
        problems.push(`${url}: no jwks_uri`);
        continue;
      }
      return doc.jwks_uri;
    } catch (e) {
      problems.push(`${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(`no usable authorization server metadata (${problems.join('; ')})`);
}

function unavailable(issuer: string, e: unknown): InboundDecision {
  const why = e instanceof Error ? e.message : String(e);
  return refused(503, 'NR_ERR_AUTH_SERVER_UNAVAILABLE', `the signing keys of ${issuer} cannot be fetched, so no token can be checked (${why}); check that the authorization server is reachable from this host`);
}

/** Why the token is refused, or undefined when the failure is the issuer's (its keys could not be fetched). */
function rejection(e: unknown): string | undefined {
  if (e instanceof errors.JWTExpired) return 'the token has expired';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === 'missing') return `the token has no "${e.claim}" claim`;
    if (e.claim === 'aud') return 'the token is for another audience';
    if (e.claim === 'iss') return 'the token was issued by another authorization server';
    if (e.claim === 'nbf') return 'the token is not valid yet';
    return `the "${e.claim}" claim is not valid`;
  }
  if (e instanceof errors.JWKSNoMatchingKey) return "no signing key of the issuer matches the token's kid";
  if (e instanceof errors.JOSEAlgNotAllowed) return "the token's signing algorithm is not allowed";
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (e instanceof errors.JWKSTimeout) return undefined;
  if (e instanceof errors.JWKSMultipleMatchingKeys || e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid || e instanceof errors.JOSENotSupported) return 'not a signed JWT this server can check';
  return undefined;
}

/** `scope` (space-delimited or an array) and `scp` (the same), as issuers spell them. */
function grantedScopes(payload: JWTPayload): Set<string> {
  const out = new Set<string>();
  for (const claim of [payload.scope, payload.scp]) {
    const items = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim.filter((s): s is string => typeof s === 'string') : [];
    for (const s of items) if (s !== '') out.add(s);
  }
  return out;
}
