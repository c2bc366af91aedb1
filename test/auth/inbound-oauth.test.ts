/**
 * Inbound OAuth 2.1 resource server (FEATURES §10) on REST and MCP, against a local authorization
 * server whose keys are generated in the test: JWT checks (signature, iss, aud, exp, scopes, kid, alg),
 * the RFC 9728 metadata document as MCP clients discover it (the SDK's own client flow included), and the
 * caller's token never reaching the upstream.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { discoverAuthorizationServerMetadata, discoverOAuthProtectedResourceMetadata, extractResourceMetadataUrl } from '@modelcontextprotocol/sdk/client/auth.js';
import { SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { oauthCheck } from '../../src/expose/auth/oauth.js';
import { call, closedPort, startRecorder, tmpDir, type Recorder, type TmpDir } from '../runtime/helpers.js';
import { CLIENT_ID, CLIENT_SECRET, startAuthorizationServer, type AuthorizationServer } from './authorization-server.js';
import { CONSUMES_ME } from './fixtures.js';

const capability = (issuer: string, restPort: number, mcpPort: number) => `
naftiko: 1.0.0-alpha3
capability:
${CONSUMES_ME}  exposes:
    - type: rest
      namespace: api
      port: ${restPort}
      authentication:
        type: oauth2
        authorizationServerUri: ${issuer}
        resource: http://127.0.0.1:${restPort}
        scopes: [things.read]
      resources:
        - path: /me
          name: me
          operations:
            - method: GET
              name: get-me
              call: up.get-me
        - path: /me-explicit
          name: me-explicit
          operations:
            - method: GET
              name: get-me-explicit
              inputParameters:
                - name: Authorization
                  in: header
                  type: string
                  description: the caller's token, passed on on purpose
              call: up.get-me
              with:
                Authorization: rest.Authorization
        - path: /fwd/{path}
          forward:
            targetNamespace: up
        - path: /fwd-trusted/{path}
          forward:
            targetNamespace: up
            trustedHeaders: [Authorization]
    - type: mcp
      namespace: tools
      port: ${mcpPort}
      authentication:
        type: oauth2
        authorizationServerUri: ${issuer}
        resource: http://127.0.0.1:${mcpPort}/mcp
        scopes: [mcp.tools]
      tools:
        - name: get-me
          description: who am I upstream
          call: up.get-me
`;

const now = () => Math.floor(Date.now() / 1000);

describe('inbound oauth2: a JWT resource server on REST and MCP', () => {
  let dir: TmpDir;
  let as: AuthorizationServer;
  let upstream: Recorder;
  let runtime: Runtime;
  let rest = '';
  let mcp = '';
  const restToken = (claims: Record<string, unknown> = {}) => as.sign({ aud: rest, scope: 'things.read', exp: now() + 300, ...claims });
  const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

  beforeAll(async () => {
    dir = tmpDir();
    as = await startAuthorizationServer();
    upstream = await startRecorder();
    const [restPort, mcpPort] = [await closedPort(), await closedPort()];
    runtime = await startRuntime({
      files: [dir.write('oauth.yaml', capability(as.issuer, restPort, mcpPort))],
      baseUris: new Map([['up', upstream.url]]), logLevel: 'silent', env: {},
    });
    rest = `http://127.0.0.1:${restPort}`;
    mcp = `http://127.0.0.1:${mcpPort}/mcp`;
  });
  afterAll(async () => {
    await runtime?.close();
    await upstream?.close();
    await as?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('no token: 401 with a Bearer challenge that points at the metadata document, nothing upstream', async () => {
    const res = await call(`${rest}/me`);
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('NR_ERR_UNAUTHENTICATED');
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer realm="api"/);
    expect(challenge).toContain(`resource_metadata="${rest}/.well-known/oauth-protected-resource"`);
    expect(challenge).toContain('scope="things.read"');
    expect(challenge).not.toContain('error=');
    expect(upstream.requests).toHaveLength(0);
  });

  it('a valid token: 200, and the upstream never sees it (not through the inferred Authorization input)', async () => {
    const token = await restToken();
    const res = await call(`${rest}/me`, bearer(token));
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers.authorization ?? '').not.toContain(token);
    expect(JSON.stringify(upstream.requests[0]!.headers)).not.toContain(token.slice(-20));
  });

  it('forward without trustedHeaders does not pass the token on', async () => {
    const token = await restToken();
    const res = await call(`${rest}/fwd/anything`, bearer(token));
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(JSON.stringify(upstream.requests[0]!.headers)).not.toContain(token.slice(-20));
  });

  it('only where the capability says so explicitly does the token travel: a declared input passed by `with`, a trusted forward header', async () => {
    const token = await restToken();
    expect((await call(`${rest}/me-explicit`, bearer(token))).status).toBe(200);
    expect((await call(`${rest}/fwd-trusted/x`, bearer(token))).status).toBe(200);
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
  });

  const refusedTokens: [string, () => Promise<string>, RegExp][] = [
    ['garbage', async () => 'not-a-jwt', /not a signed JWT/],
    ['for another audience', () => restToken({ aud: 'http://127.0.0.1:1' }), /another audience/],
    ['expired beyond the leeway', () => restToken({ exp: now() - 120 }), /expired/],
    ['without exp', async () => new SignJWT({ iss: as.issuer, aud: rest, scope: 'things.read' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(as.published[0]!.privateKey), /no "exp" claim/],
    ['from another issuer', () => restToken({ iss: 'http://127.0.0.1:1/realms/test' }), /another authorization server/],
    ['not valid yet (nbf beyond the leeway)', () => restToken({ nbf: now() + 600 }), /not valid yet/],
    ['signed by a key the issuer does not publish (unknown kid)', async () => restToken({}).then(async () => as.sign({ aud: rest, scope: 'things.read', exp: now() + 300 }, await as.newKey('stranger'))), /kid/],
    ['signed by an unpublished key under a published kid', async () => as.sign({ aud: rest, scope: 'things.read', exp: now() + 300 }, { ...(await as.newKey('k1')) }), /signature/],
    ['alg none', async () => unsigned({ iss: as.issuer, aud: rest, scope: 'things.read', exp: now() + 300 }), /not a signed JWT|algorithm/],
    ['HS256 keyed with the public key (algorithm confusion)', async () => hs256WithPublicKey(as, { iss: as.issuer, aud: rest, scope: 'things.read', exp: now() + 300 }), /algorithm/],
  ];
  for (const [name, make, why] of refusedTokens) {
    it(`a token ${name}: 401 invalid_token, nothing upstream`, async () => {
      const res = await call(`${rest}/me`, bearer(await make()));
      expect(res.status).toBe(401);
      expect(res.json.code).toBe('NR_ERR_UNAUTHENTICATED');
      expect(res.json.detail).toMatch(why);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", resource_metadata="[^"]+", error="invalid_token", error_description="[^"]+"$/);
      expect(upstream.requests).toHaveLength(0);
    });
  }

  it('a token expired within the 30 s leeway is still accepted', async () => {
    const res = await call(`${rest}/me`, bearer(await restToken({ exp: now() - 10 })));
    expect(res.status).toBe(200);
  });

  it('a token lacking the scope: 403 insufficient_scope naming the scope', async () => {
    const res = await call(`${rest}/me`, bearer(await restToken({ scope: 'other' })));
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('NR_ERR_INSUFFICIENT_SCOPE');
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="things.read"');
    expect(upstream.requests).toHaveLength(0);
  });

  it('scopes as `scp` arrays and `scope` arrays are understood', async () => {
    expect((await call(`${rest}/me`, bearer(await restToken({ scope: undefined, scp: ['x', 'things.read'] })))).status).toBe(200);
    expect((await call(`${rest}/me`, bearer(await restToken({ scope: ['things.read'] })))).status).toBe(200);
  });

  it('aud as an array that contains this resource is accepted', async () => {
    expect((await call(`${rest}/me`, bearer(await restToken({ aud: ['http://other', `${rest}/`] })))).status).toBe(200);
  });

  it('the metadata document is served unauthenticated at the root path (REST resource without a path)', async () => {
    const res = await call(`${rest}/.well-known/oauth-protected-resource`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual({ resource: rest, authorization_servers: [as.issuer], scopes_supported: ['things.read'], bearer_methods_supported: ['header'], resource_name: 'api' });
  });

  it('MCP: the metadata document at the path-suffixed and the root URL', async () => {
    const origin = new URL(mcp).origin;
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await call(`${origin}${path}`);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ resource: mcp, authorization_servers: [as.issuer], scopes_supported: ['mcp.tools'] });
    }
  });

  it('MCP raw: no token 401 with resource_metadata, a token 200', async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const denied = await call(mcp, { method: 'POST', headers, body: JSON.stringify(init) });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toContain(`resource_metadata="${new URL(mcp).origin}/.well-known/oauth-protected-resource/mcp"`);
    const token = await as.sign({ aud: mcp, scope: 'mcp.tools', exp: now() + 300 });
    const ok = await call(mcp, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body: JSON.stringify(init) });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('"protocolVersion"');
    // the REST adapter's token is for another resource
    const wrongAudience = await call(mcp, { method: 'POST', headers: { ...headers, authorization: `Bearer ${await restToken({ scope: 'mcp.tools' })}` }, body: JSON.stringify(init) });
    expect(wrongAudience.status).toBe(401);
  });

  it('MCP with the SDK Client and an Authorization header: tools work, the upstream never sees the token', async () => {
    const token = await as.sign({ aud: mcp, scope: 'mcp.tools', exp: now() + 300 });
    const client = new Client({ name: 't', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['get-me']);
      const result = await client.callTool({ name: 'get-me', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(upstream.requests).toHaveLength(1);
      expect(JSON.stringify(upstream.requests[0]!.headers)).not.toContain(token.slice(-20));
    } finally {
      await client.close();
    }
  });

  it('MCP with the SDK Client and a token lacking the scope: refused (403)', async () => {
    const token = await as.sign({ aud: mcp, scope: 'other', exp: now() + 300 });
    const client = new Client({ name: 't', version: '0' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(mcp), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))).rejects.toThrow(/403|insufficient_scope|Forbidden/i);
  });

  it('discovery as an MCP client does it: 401 → resource_metadata → authorization_servers → the AS metadata', async () => {
    const denied = await fetch(mcp, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    const metadataUrl = extractResourceMetadataUrl(denied);
    expect(metadataUrl?.href).toBe(`${new URL(mcp).origin}/.well-known/oauth-protected-resource/mcp`);
    const prm = await discoverOAuthProtectedResourceMetadata(mcp, { resourceMetadataUrl: metadataUrl });
    expect(prm.resource).toBe(mcp);
    const asMetadata = await discoverAuthorizationServerMetadata(prm.authorization_servers![0]!);
    expect(asMetadata?.issuer).toBe(as.issuer);
    expect(asMetadata?.token_endpoint).toBe(`${as.issuer}/token`);
  });

  it('an SDK Client that knows only the URL, its client credentials and the scope it wants discovers the issuer, gets a token for this resource and calls a tool', async () => {
    const before = as.counts.token;
    const client = new Client({ name: 't', version: '0' });
    const authProvider = new ClientCredentialsProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, expectedIssuer: as.issuer, scope: 'mcp.tools' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp), { authProvider }));
    try {
      const result = await client.callTool({ name: 'get-me', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(as.counts.token).toBe(before + 1);
      const asked = as.tokenRequests.at(-1)!;
      expect(asked.get('resource')).toBe(mcp);
      expect(asked.get('scope')).toBe('mcp.tools');
    } finally {
      await client.close();
    }
  });

  it('the JWKS is fetched once and cached across requests', async () => {
    const before = as.counts.jwks;
    for (let i = 0; i < 5; i++) expect((await call(`${rest}/me`, bearer(await restToken()))).status).toBe(200);
    expect(as.counts.jwks).toBe(before);
  });
});

describe('inbound oauth2: the authorization server unreachable', () => {
  it('503 NR_ERR_AUTH_SERVER_UNAVAILABLE (not a misleading 401), and no token is accepted', async () => {
    const dir = tmpDir();
    const upstream = await startRecorder();
    const issuer = `http://127.0.0.1:${await closedPort()}/realms/gone`;
    const restPort = await closedPort();
    const runtime = await startRuntime({
      files: [dir.write('oauth.yaml', capability(issuer, restPort, await closedPort()))],
      baseUris: new Map([['up', upstream.url]]), logLevel: 'silent', env: {},
    });
    try {
      const rest = `http://127.0.0.1:${restPort}`;
      const token = `${base64url.encode('{"alg":"ES256","kid":"k1"}')}.${base64url.encode(JSON.stringify({ iss: issuer, aud: rest, exp: now() + 60 }))}.c2ln`;
      const res = await call(`${rest}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      expect(res.json.code).toBe('NR_ERR_AUTH_SERVER_UNAVAILABLE');
      expect(res.json.detail).toContain(issuer);
      // still fail closed while it backs off
      expect((await call(`${rest}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(503);
      expect((await call(`${rest}/me`)).status).toBe(401);
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await runtime.close();
      await upstream.close();
      dir.remove();
    }
  });
});

function unsigned(claims: Record<string, unknown>): string {
  return `${base64url.encode(JSON.stringify({ alg: 'none', kid: 'k1' }))}.${base64url.encode(JSON.stringify(claims))}.`;
}

/** The classic confusion: an HS256 MAC keyed with the bytes of the issuer's public key. */
async function hs256WithPublicKey(as: AuthorizationServer, claims: Record<string, unknown>): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(as.published[0]!.publicJwk));
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
}

describe('inbound oauth2: verified tokens are remembered, within their lifetime', () => {
  it('a repeated (remembered) token is still scope-checked, and is not trusted past exp + leeway', async () => {
    const as = await startAuthorizationServer();
    try {
      const resource = 'http://127.0.0.1:1/mcp';
      const check = oauthCheck('tools', { type: 'oauth2', issuer: as.issuer, resource, audience: resource, scopes: ['a'], tokenValidation: 'jwks' });
      const ask = async (token: string) => check({ method: 'POST', url: '/mcp', headers: { authorization: `Bearer ${token}` } });
      const narrow = await as.sign({ aud: resource, scope: 'b', exp: now() + 60 });
      expect(await ask(narrow)).toMatchObject({ ok: false, status: 403 });
      expect(await ask(narrow)).toMatchObject({ ok: false, status: 403 });
      // expired 29 s ago: inside the 30 s leeway now, outside it a second later
      const ending = await as.sign({ aud: resource, scope: 'a', exp: now() - 29 });
      expect((await ask(ending)).ok).toBe(true);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await ask(ending)).toMatchObject({ ok: false, status: 401, detail: expect.stringContaining('expired') });
    } finally {
      await as.close();
    }
  });
});

describe('inbound oauth2: key rotation', () => {
  it('an unknown kid refetches the JWKS, at most once per cooldown', async () => {
    const as = await startAuthorizationServer();
    try {
      const resource = 'http://127.0.0.1:1/mcp';
      const check = oauthCheck('tools', { type: 'oauth2', issuer: as.issuer, resource, audience: resource, scopes: [], tokenValidation: 'jwks' }, { jwksCooldownMs: 1000 });
      const ask = async (token: string) => check({ method: 'POST', url: '/mcp', headers: { authorization: `Bearer ${token}` } });
      const k2 = await as.newKey('k2', 'RS256');
      const rotated = await as.sign({ aud: resource, exp: now() + 60 }, k2);
      expect((await ask(await as.sign({ aud: resource, exp: now() + 60 }))).ok).toBe(true);
      expect(as.counts.jwks).toBe(1);
      expect(await ask(rotated)).toMatchObject({ ok: false, status: 401 });
      as.published.push(k2);
      // within the cooldown: refused again, and the JWKS is not fetched again
      expect(await ask(rotated)).toMatchObject({ ok: false, status: 401 });
      expect(as.counts.jwks).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await ask(rotated)).ok).toBe(true);
      expect(as.counts.jwks).toBe(2);
      expect(as.counts.metadata).toBe(1);
    } finally {
      await as.close();
    }
  });
});
