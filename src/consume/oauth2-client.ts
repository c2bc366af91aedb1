/**
 * OAuth2 client credentials for an upstream (naftiko-run extension, FEATURES §12): one token per
 * consumes namespace, asked for when first needed, kept until shortly before it expires, shared by
 * concurrent callers (one token request in flight), and asked for again once when the upstream
 * answers 401. The token request goes through the endpoint origin's pool, breaker and limit, bounded by
 * its own timeout; its failures are 502 NR_ERR_UPSTREAM_AUTH and never carry the client secret.
 */
import { InvokeError } from './errors.js';
import { attemptOnce, readLimited } from './send.js';
import type { UpstreamPools } from './pools.js';
import type { UpstreamSession } from './session.js';
import { headerValueProblem } from './header-value.js';
import { tokenKey, type TokenStore } from '../shared/token-store.js';

export interface TokenRequestSettings {
  /** the consumes namespace, for messages */
  readonly namespace: string;
  /** absent: discovered from `authorizationServer`'s metadata (RFC 8414, then OpenID Connect) */
  readonly tokenEndpoint?: string;
  readonly authorizationServer?: string;
  /** the endpoint (or the server) as written, bind values shown as placeholders, for messages */
  readonly endpointLabel: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientAuthMethod: 'client_secret_basic' | 'client_secret_post';
  readonly scopes: readonly string[];
  readonly audience?: string;
  readonly resource?: string;
  /** ms one token request may take, discovery and answer included */
  readonly timeoutMs: number;
}

interface Token {
  readonly authorization: string;
  readonly expiresAt: number;
}

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown> | undefined;
}

/** a token response (or metadata document) larger than this is not one */
const MAX_RESPONSE = 64 * 1024;
/** the cache lifetime when the endpoint does not say (`expires_in` absent) */
const DEFAULT_LIFETIME_MS = 60_000;
/** a token is renewed this long before it expires (at most a tenth of its lifetime) */
const EXPIRY_MARGIN_MS = 30_000;

export class OAuth2ClientSession implements UpstreamSession {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;
  private endpoint: URL | undefined;
  private readonly store: TokenStore | undefined;
  private readonly storeKey: string;

  constructor(private readonly settings: TokenRequestSettings, private readonly pools: UpstreamPools, private readonly now: () => number = Date.now) {
    if (settings.tokenEndpoint !== undefined) this.endpoint = new URL(settings.tokenEndpoint);
    this.store = pools.tokenStore;
    const s = settings;
    this.storeKey = tokenKey([s.tokenEndpoint ?? s.authorizationServer, s.clientId, s.clientSecret, s.clientAuthMethod, s.scopes.join(' '), s.audience, s.resource]);
  }

  async authorize(): Promise<string> {
    const t = this.token;
    if (t && this.now() < t.expiresAt) return t.authorization;
    return (await this.fetchShared()).authorization;
  }

  async retry(_origin: string, _challenges: unknown, _method: string, _target: string, sent: string | undefined): Promise<string> {
    // a token another caller already replaced is not dropped again: one refresh for a burst of 401s
    if (this.token && this.token.authorization === sent) {
      this.token = undefined;
      // …and not read back from the other replicas' store
      if (sent !== undefined) await this.store?.drop(this.storeKey, sent);
    }
    return this.authorize();
  }

  private fetchShared(): Promise<Token> {
    this.pending ??= this.storedOrFetched().then(
      (t) => {
        this.pending = undefined;
        this.token = t;
        return t;
      },
      (e: unknown) => {
        this.pending = undefined;
        throw e;
      },
    );
    return this.pending;
  }

  /** A token another replica stored (`--redis`), else one asked for here and stored for them. */
  private async storedOrFetched(): Promise<Token> {
    if (!this.store) return this.fetchToken();
    const stored = await this.store.get(this.storeKey);
    if (stored) return stored;
    const fresh = await this.fetchToken();
    await this.store.set(this.storeKey, fresh);
    return fresh;
  }

  private async fetchToken(): Promise<Token> {
    const s = this.settings;
    const deadlineAt = this.now() + s.timeoutMs;
    const endpoint = this.endpoint ??= await this.discover(deadlineAt);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (s.scopes.length) form.set('scope', s.scopes.join(' '));
    if (s.audience !== undefined) form.set('audience', s.audience);
    if (s.resource !== undefined) form.set('resource', s.resource);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (s.clientAuthMethod === 'client_secret_post') {
      form.set('client_id', s.clientId);
      form.set('client_secret', s.clientSecret);
    } else {
      // RFC 6749 §2.3.1: each part form-urlencoded before the Basic encoding
      headers.authorization = `Basic ${Buffer.from(`${formEncode(s.clientId)}:${formEncode(s.clientSecret)}`).toString('base64')}`;
    }
    const label = `POST ${s.tokenEndpoint !== undefined ? s.endpointLabel : endpoint.origin + endpoint.pathname}`;
    const { status, json } = await this.request('POST', endpoint, headers, form.toString(), deadlineAt, label);
    if (status !== 200) {
      const error = json && typeof json.error === 'string' ? `: ${json.error}${typeof json.error_description === 'string' ? ` (${json.error_description})` : ''}` : '';
      throw this.failure(`${label} answered ${status}${error.slice(0, 300)}`);
    }
    const accessToken = json?.access_token;
    if (typeof accessToken !== 'string' || accessToken === '' || headerValueProblem(accessToken)) throw this.failure(`${label} answered 200 without a usable "access_token"`);
    const type = json!.token_type;
    if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) throw this.failure(`${label} issued a token of type ${JSON.stringify(type)}; only bearer tokens are supported`);
    const expiresIn = Number(json!.expires_in);
    const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 - Math.min(EXPIRY_MARGIN_MS, expiresIn * 100) : DEFAULT_LIFETIME_MS;
    return { authorization: `Bearer ${accessToken}`, expiresAt: this.now() + lifetime };
  }

  /**
   * The token endpoint from the authorization server's metadata: RFC 8414's path-inserted URL, the
   * appended form, then OpenID Connect discovery; the first 200 whose `issuer` is the server wins.
   */
  private async discover(deadlineAt: number): Promise<URL> {
    const server = new URL(this.settings.authorizationServer!);
    const issuer = server.href.replace(/\/+$/, '');
    const path = server.pathname.replace(/\/+$/, '');
    const candidates = [...new Set([
      `${server.origin}/.well-known/oauth-authorization-server${path}`,
      `${issuer}/.well-known/oauth-authorization-server`,
      `${issuer}/.well-known/openid-configuration`,
    ])];
    const tried: string[] = [];
    for (const url of candidates) {
      const { status, json } = await this.request('GET', new URL(url), { accept: 'application/json' }, undefined, deadlineAt, `GET ${url}`);
      const endpoint = json?.token_endpoint;
      if (status === 200 && typeof json?.issuer === 'string' && json.issuer.replace(/\/+$/, '') === issuer && typeof endpoint === 'string' && /^https?:\/\//.test(endpoint) && URL.canParse(endpoint)) return new URL(endpoint);
      tried.push(`${url} (${status === 200 ? 'no matching issuer and token_endpoint' : status})`);
    }
    throw this.failure(`no token_endpoint found in the metadata of ${issuer}: tried ${tried.join(', ')}; set "tokenEndpoint"`);
  }

  /** One request within the token deadline, its JSON object answer (undefined when not one). */
  private async request(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body: string | undefined, deadlineAt: number, label: string): Promise<Answer> {
    const s = this.settings;
    const remaining = Math.max(1, deadlineAt - this.now());
    const signal = AbortSignal.timeout(remaining);
    const origin = url.origin;
    let status: number;
    let bytes: Buffer;
    try {
      const res = await attemptOnce(this.pools.upstream(origin), deadlineAt, undefined, this.pools.observer, (headersTimeout, extra) =>
        this.pools.get(origin).request({
          path: url.pathname + url.search, method, headers: extra ? { ...headers, ...extra } : headers, ...(body !== undefined ? { body } : {}),
          headersTimeout, bodyTimeout: remaining, signal,
        }), remaining, { origin, method, path: url.pathname, label, namespace: s.namespace });
      status = res.statusCode;
      bytes = await readLimited(res.body as unknown as AsyncIterable<Buffer>, MAX_RESPONSE, label);
    } catch (e) {
      const timedOut = signal.aborted || this.now() >= deadlineAt || (e instanceof InvokeError && e.code === 'NR_ERR_UPSTREAM_TIMEOUT');
      throw this.failure(timedOut ? `${label} did not answer within ${s.timeoutMs} ms` : e instanceof InvokeError ? e.message : `${label} failed`);
    }
    try {
      const parsed: unknown = JSON.parse(bytes.toString('utf8'));
      return { status, json: parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined };
    } catch {
      return { status, json: undefined };
    }
  }

  /** 502 for the caller; the detail is scrubbed of the secret in every spelling it could be echoed in. */
  private failure(detail: string): InvokeError {
    const secret = this.settings.clientSecret;
    let text = detail;
    if (secret !== '') for (const form of new Set([secret, formEncode(secret), encodeURIComponent(secret)])) text = text.split(form).join('***');
    return new InvokeError('NR_ERR_UPSTREAM_AUTH', 502, 'Upstream token request failed', `${this.settings.namespace}: the OAuth2 token request failed: ${text}`);
  }
}

function formEncode(s: string): string {
  return new URLSearchParams({ x: s }).toString().slice(2);
}
