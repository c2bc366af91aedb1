/**
 * A local OAuth 2.1 authorization server for the inbound-auth tests: RFC 8414 metadata (at the
 * path-inserted URL only), a JWKS of keys generated here with jose, a client_credentials token endpoint
 * (client_secret_basic), and a signer for hand-made tokens. Counts its JWKS fetches.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'ES256' | 'RS256';
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface AuthorizationServer {
  /** the issuer: `<origin>/realms/test` */
  readonly issuer: string;
  readonly origin: string;
  /** keys the JWKS publishes (mutable: rotate by pushing) */
  readonly published: SigningKey[];
  readonly counts: { jwks: number; token: number; metadata: number };
  /** resources the token endpoint was asked for (RFC 8707 `resource`) */
  readonly tokenRequests: URLSearchParams[];
  newKey(kid: string, alg?: 'ES256' | 'RS256'): Promise<SigningKey>;
  /** signs `claims` with `key` (default: the first published key); iss and iat filled unless given */
  sign(claims: JWTPayload, key?: SigningKey, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export const CLIENT_ID = 'test-client';
export const CLIENT_SECRET = 'test-client-secret';

export async function startAuthorizationServer(): Promise<AuthorizationServer> {
  const published: SigningKey[] = [];
  const counts = { jwks: 0, token: 0, metadata: 0 };
  const tokenRequests: URLSearchParams[] = [];
  let issuer = '';
  let origin = '';

  const newKey = async (kid: string, alg: 'ES256' | 'RS256' = 'ES256'): Promise<SigningKey> => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
  };
  const sign = async (claims: JWTPayload, key = published[0]!, header: Record<string, unknown> = {}) => {
    const jwt = new SignJWT({ iss: issuer, iat: Math.floor(Date.now() / 1000), ...claims });
    return jwt.setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }).sign(key.privateKey);
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/.well-known/oauth-authorization-server/realms/test') {
      counts.metadata++;
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        grant_types_supported: ['client_credentials', 'authorization_code'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (path === '/realms/test/jwks') {
      counts.jwks++;
      return json(res, 200, { keys: published.map((k) => k.publicJwk) });
    }
    if (path === '/realms/test/token' && req.method === 'POST') {
      counts.token++;
      const form = new URLSearchParams(body);
      tokenRequests.push(form);
      const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
      if (req.headers.authorization !== expected || form.get('grant_type') !== 'client_credentials') return json(res, 401, { error: 'invalid_client' });
      const scope = form.get('scope') ?? '';
      const token = await sign({ sub: CLIENT_ID, aud: form.get('resource') ?? 'none', scope, exp: Math.floor(Date.now() / 1000) + 300 });
      return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 300, scope });
    }
    json(res, 404, { error: 'not_found' });
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((e) => json(res, 500, { error: String(e) })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${origin}/realms/test`;
  published.push(await newKey('k1'));
  return {
    issuer, origin, published, counts, tokenRequests, newKey, sign,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
