/**
 * Upstream digest (RFC 7616) and OAuth2 client credentials (naftiko-run extension), against real local
 * servers: a digest upstream that verifies every response with node:crypto and tracks `nc` per nonce,
 * a token endpoint that counts its requests, and an API that accepts only the tokens it issued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { call, closedPort, jsonInit, mcpClient, serveLocal, start, tmpDir, type Started, type TmpDir } from './helpers.js';

const PASSWORD = 'pw-Sekr3t!';
const CLIENT_SECRET = 'cs-Very$ecret';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function params(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/([a-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/gi)) out[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  return out;
}

interface DigestSeen {
  readonly method: string;
  readonly url: string;
  readonly authorized: boolean;
  readonly nonce?: string;
  readonly nc?: string;
  readonly body: string;
}

/** An upstream that demands digest: a new nonce per challenge, `nc` strictly increasing per nonce, expirable nonces. */
async function digestUpstream(algorithm: 'MD5' | 'SHA-256' | 'MD5-sess' | 'SHA-256-sess', user = 'alice', password = PASSWORD) {
  const realm = 'api@example';
  const live = new Map<string, number>();
  const expired = new Set<string>();
  const seen: DigestSeen[] = [];
  const H = (s: string) => createHash(algorithm.startsWith('MD5') ? 'md5' : 'sha256').update(s).digest('hex');
  const challenge = (res: ServerResponse, stale: boolean) => {
    const nonce = randomBytes(12).toString('hex');
    live.set(nonce, 0);
    res.writeHead(401, {
      'www-authenticate': `Basic realm="other", Digest realm="${realm}", qop="auth,auth-int", algorithm=${algorithm}, nonce="${nonce}", opaque="op-1"${stale ? ', stale=true' : ''}`,
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ error: 'unauthorized' }));
  };
  const server = await serveLocal(async (req, res) => {
    const body = await readBody(req);
    const header = req.headers.authorization;
    if (!header?.startsWith('Digest ')) {
      seen.push({ method: req.method!, url: req.url!, authorized: false, body });
      return challenge(res, false);
    }
    const p = params(header);
    seen.push({ method: req.method!, url: req.url!, authorized: true, nonce: p.nonce!, nc: p.nc!, body });
    if (expired.has(p.nonce!)) return challenge(res, true);
    const last = live.get(p.nonce!);
    const nc = parseInt(p.nc ?? '', 16);
    if (last === undefined || !(nc > last) || p.uri !== req.url || p.username !== user || p.realm !== realm || p.opaque !== 'op-1' || p.qop !== 'auth' || p.algorithm !== algorithm) return challenge(res, false);
    let ha1 = H(`${user}:${realm}:${password}`);
    if (algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${p.nonce}:${p.cnonce}`);
    const expected = H(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${H(`${req.method}:${req.url}`)}`);
    if (expected !== p.response) return challenge(res, false);
    live.set(p.nonce!, nc);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, method: req.method, body }));
  });
  return {
    ...server, seen,
    expireNonces() {
      for (const n of live.keys()) expired.add(n);
      live.clear();
    },
  };
}

const digestYaml = (user: string) => `
naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      API_PASSWORD: API_PASSWORD
capability:
  consumes:
    - type: http
      namespace: legacy
      baseUri: http://127.0.0.1:9
      authentication:
        type: digest
        username: ${user}
        password: "{{API_PASSWORD}}"
      resources:
        - name: items
          path: /items
          operations:
            - name: list-items
              method: GET
              inputParameters:
                - name: q
                  in: query
            - name: add-item
              method: POST
              inputParameters:
                - name: name
                  in: body
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - name: items
          path: /items
          operations:
            - method: GET
              call: legacy.list-items
            - method: POST
              call: legacy.add-item
        - name: proxy
          path: /proxy/{path}
          forward:
            targetNamespace: legacy
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: list-items
          description: List the items
          call: legacy.list-items
`;

describe('upstream digest authentication', () => {
  let dir: TmpDir;
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => dir.remove());

  async function serve(upstream: string, user = 'alice', password = PASSWORD): Promise<Started> {
    return start({ file: dir.write(`digest-${user}.yaml`, digestYaml(user)), baseUris: new Map([['legacy', upstream]]), env: { API_PASSWORD: password } });
  }

  it('answers the challenge once, then reuses the nonce with nc incremented (REST and MCP), and re-challenges on stale', async () => {
    const up = await digestUpstream('SHA-256');
    const rt = await serve(up.url);
    try {
      const r1 = await call(`${rt.rest}/items?q=a%20b`);
      expect(r1.status).toBe(200);
      expect(up.seen.map((s) => [s.authorized, s.nc, s.url])).toEqual([[false, undefined, '/items?q=a%20b'], [true, '00000001', '/items?q=a%20b']]);
      const nonce = up.seen[1]!.nonce;

      expect((await call(`${rt.rest}/items`)).status).toBe(200);
      const client = await mcpClient(rt.mcp);
      const t = await client.callTool({ name: 'list-items', arguments: {} });
      await client.close();
      expect(t.isError).toBeFalsy();
      expect(up.seen.slice(2).map((s) => [s.nonce, s.nc])).toEqual([[nonce, '00000002'], [nonce, '00000003']]);

      // the nonce expires: the server says stale=true, the client takes the new nonce, and the POST body is sent again
      up.expireNonces();
      const r2 = await call(`${rt.rest}/items`, jsonInit('POST', { name: 'pen' }));
      expect(r2.status).toBe(200);
      expect(r2.json.body).toBe('{"name":"pen"}');
      const [stale, fresh] = up.seen.slice(4);
      expect(stale!.nonce).toBe(nonce);
      expect(fresh!.nonce).not.toBe(nonce);
      expect(fresh!.nc).toBe('00000001');
      expect(fresh!.body).toBe('{"name":"pen"}');
      expect(up.seen).toHaveLength(6);

      // forward: the body streams in, but is held so the digest retry can send it again
      up.expireNonces();
      const f = await call(`${rt.rest}/proxy/items`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1000) });
      expect(f.status).toBe(200);
      expect(up.seen.slice(6).map((s) => [s.method, s.body.length])).toEqual([['PUT', 1000], ['PUT', 1000]]);
    } finally {
      await rt.close();
      await up.close();
    }
  });

  it('concurrent calls: every one succeeds, none needs more than one retry, each nc is used once per nonce', async () => {
    const up = await digestUpstream('SHA-256');
    const rt = await serve(up.url);
    try {
      const first = await Promise.all(Array.from({ length: 10 }, () => call(`${rt.rest}/items`)));
      const second = await Promise.all(Array.from({ length: 10 }, () => call(`${rt.rest}/items`)));
      expect([...first, ...second].map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(up.seen.length).toBeLessThanOrEqual(40);
      const used = up.seen.filter((s) => s.authorized).map((s) => `${s.nonce}/${s.nc}`);
      expect(new Set(used).size).toBe(used.length);
    } finally {
      await rt.close();
      await up.close();
    }
  });

  it.each(['MD5', 'MD5-sess', 'SHA-256-sess'] as const)('computes %s responses the server accepts', async (algorithm) => {
    const up = await digestUpstream(algorithm);
    const rt = await serve(up.url);
    try {
      expect((await call(`${rt.rest}/items`)).status).toBe(200);
      expect((await call(`${rt.rest}/items`)).status).toBe(200);
      expect(up.seen.map((s) => s.nc)).toEqual([undefined, '00000001', '00000002']);
    } finally {
      await rt.close();
      await up.close();
    }
  });

  it('a wrong password: the upstream 401 is passed on after one retry, never a loop, the password never shown', async () => {
    const up = await digestUpstream('SHA-256');
    const rt = await serve(up.url, 'alice', 'wrong-Passw0rd');
    try {
      const r = await call(`${rt.rest}/items`);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: 'unauthorized' });
      expect(up.seen).toHaveLength(2);
      const again = await call(`${rt.rest}/items`);
      expect(again.status).toBe(401);
      expect(up.seen.length).toBeLessThanOrEqual(4);
      const client = await mcpClient(rt.mcp);
      const t = await client.callTool({ name: 'list-items', arguments: {} });
      await client.close();
      expect(t.isError).toBe(true);
      expect(JSON.stringify(t)).toContain('401');
      for (const text of [r.text, again.text, JSON.stringify(t)]) expect(text).not.toContain('wrong-Passw0rd');
    } finally {
      await rt.close();
      await up.close();
    }
  });

  it('an upstream that answers 401 without a digest challenge: passed on, sent once', async () => {
    const seen: string[] = [];
    const up = await serveLocal((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"' });
      res.end();
    });
    const rt = await serve(up.url);
    try {
      expect((await call(`${rt.rest}/items`)).status).toBe(401);
      expect(seen).toEqual(['']);
    } finally {
      await rt.close();
      await up.close();
    }
  });
});

// ───────────────────────────── OAuth2 client credentials ─────────────────────────────

interface TokenEndpoint {
  readonly url: string;
  /** token requests received */
  readonly requests: { authorization?: string; form: URLSearchParams }[];
  /** tokens issued and not revoked */
  readonly valid: Set<string>;
  behave: { expiresIn?: number; delayMs?: number; status?: number; echoSecret?: boolean };
  close(): Promise<void>;
}

async function tokenEndpoint(): Promise<TokenEndpoint> {
  const requests: TokenEndpoint['requests'] = [];
  const valid = new Set<string>();
  const state: TokenEndpoint = {
    url: '', requests, valid, behave: { expiresIn: 3600 },
    close: async () => {},
  };
  const pending = new Set<NodeJS.Timeout>();
  const server = await serveLocal(async (req, res) => {
    if (req.method === 'GET') {
      // RFC 8414 metadata for the issuer <url>/tenant, at the path-inserted location only
      const found = req.url === '/.well-known/oauth-authorization-server/tenant';
      res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(found ? { issuer: `${state.url}/tenant`, token_endpoint: `${state.url}/oauth/token` } : { error: 'not_found' }));
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    requests.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), form });
    const b = state.behave;
    const answer = () => {
      if (res.destroyed) return;
      if (b.status && b.status !== 200) {
        res.writeHead(b.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_client', error_description: b.echoSecret ? `bad secret ${CLIENT_SECRET} / ${encodeURIComponent(CLIENT_SECRET)}` : 'no' }));
        return;
      }
      const token = `tok-${requests.length}`;
      valid.add(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', ...(b.expiresIn !== undefined ? { expires_in: b.expiresIn } : {}) }));
    };
    if (b.delayMs) {
      const t = setTimeout(() => {
        pending.delete(t);
        answer();
      }, b.delayMs);
      pending.add(t);
    } else setTimeout(answer, 20); // a little latency, so concurrent callers overlap
  });
  return Object.assign(state, {
    url: server.url,
    close: async () => {
      for (const t of pending) clearTimeout(t);
      await server.close();
    },
  });
}

async function tokenApi(tokens: TokenEndpoint) {
  const seen: string[] = [];
  const server = await serveLocal((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.push(auth);
    const ok = auth.startsWith('Bearer ') && tokens.valid.has(auth.slice(7));
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', ...(ok ? {} : { 'www-authenticate': 'Bearer error="invalid_token"' }) });
    res.end(JSON.stringify(ok ? { id: req.url!.split('/').pop(), by: auth.slice(7) } : { error: 'invalid_token' }));
  });
  return { ...server, seen };
}

const oauthYaml = (tokenUrl: string, extra = '') => `
naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      CLIENT_ID: CLIENT_ID
      CLIENT_SECRET: CLIENT_SECRET
capability:
  consumes:
    - type: http
      namespace: crm
      baseUri: http://127.0.0.1:9
      authentication:
        type: oauth2
        authorizationServerUri: ${tokenUrl}
        tokenEndpoint: ${tokenUrl}/oauth/token
        resource: https://crm.example.com
        clientId: "{{CLIENT_ID}}"
        clientSecret: "{{CLIENT_SECRET}}"
        scopes: [read, write]
        audience: https://crm.example.com/api
${extra}      resources:
        - name: contacts
          path: "/contacts/{{id}}"
          operations:
            - name: get-contact
              method: GET
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - name: contacts
          path: "/contacts/{id}"
          operations:
            - method: GET
              call: crm.get-contact
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: get-contact
          description: One contact
          call: crm.get-contact
`;

describe('upstream OAuth2 client credentials', () => {
  let dir: TmpDir;
  let tokens: TokenEndpoint;
  let api: Awaited<ReturnType<typeof tokenApi>>;
  beforeAll(async () => {
    dir = tmpDir();
    tokens = await tokenEndpoint();
    api = await tokenApi(tokens);
  });
  afterAll(async () => {
    await api.close();
    await tokens.close();
    dir.remove();
  });

  const env = { CLIENT_ID: 'client:1', CLIENT_SECRET };
  let n = 0;
  function serve(tokenUrl: string, extra = '', invoker?: { responseTimeoutMs: number }, logStream?: NodeJS.WritableStream): Promise<Started> {
    const file = dir.write(`oauth-${n++}.yaml`, oauthYaml(tokenUrl, extra));
    if (!logStream) return start({ file, baseUris: new Map([['crm', api.url]]), env, ...(invoker ? { invoker } : {}) });
    return import('../../src/runtime.js').then(({ startRuntime }) => startRuntime({
      files: [file], baseUris: new Map([['crm', api.url]]), ports: new Map([['api', 0], ['tools', 0]]), env, logLevel: 'debug', logStream,
    })).then((runtime) => ({ runtime, rest: runtime.adapters.find((a) => a.type === 'rest')!.url, mcp: runtime.adapters.find((a) => a.type === 'mcp')!.url, close: () => runtime.close() }));
  }

  it('20 concurrent calls share one token request; the request carries the client credentials, scopes, audience and resource', async () => {
    tokens.behave = { expiresIn: 3600 };
    const before = tokens.requests.length;
    const rt = await serve(tokens.url);
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`${rt.rest}/contacts/c${i}`)));
      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(tokens.requests.length - before).toBe(1);
      const req = tokens.requests.at(-1)!;
      // client_secret_basic: each part form-urlencoded first (RFC 6749 §2.3.1)
      expect(req.authorization).toBe(`Basic ${Buffer.from(`client%3A1:${encodeURIComponent(CLIENT_SECRET).replace(/%20/g, '+')}`).toString('base64')}`);
      expect(Object.fromEntries(req.form)).toEqual({ grant_type: 'client_credentials', scope: 'read write', audience: 'https://crm.example.com/api', resource: 'https://crm.example.com' });
      const token = replies[0]!.json.by;
      expect(replies.every((r) => r.json.by === token)).toBe(true);
      // MCP uses the same cached token
      const client = await mcpClient(rt.mcp);
      const t = await client.callTool({ name: 'get-contact', arguments: { id: 'm1' } });
      await client.close();
      expect(t.structuredContent).toEqual({ id: 'm1', by: token });
      expect(tokens.requests.length - before).toBe(1);
    } finally {
      await rt.close();
    }
  });

  it('client_secret_post sends the credentials in the form instead', async () => {
    tokens.behave = { expiresIn: 3600 };
    const rt = await serve(tokens.url, '        clientAuthMethod: client_secret_post\n');
    try {
      expect((await call(`${rt.rest}/contacts/1`)).status).toBe(200);
      const req = tokens.requests.at(-1)!;
      expect(req.authorization).toBeUndefined();
      expect(req.form.get('client_id')).toBe('client:1');
      expect(req.form.get('client_secret')).toBe(CLIENT_SECRET);
    } finally {
      await rt.close();
    }
  });

  it('a token is asked for again once it (nearly) expires', async () => {
    tokens.behave = { expiresIn: 1 };
    const before = tokens.requests.length;
    const rt = await serve(tokens.url);
    try {
      expect((await call(`${rt.rest}/contacts/1`)).status).toBe(200);
      expect((await call(`${rt.rest}/contacts/1`)).status).toBe(200);
      expect(tokens.requests.length - before).toBe(1);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await call(`${rt.rest}/contacts/1`)).status).toBe(200);
      expect(tokens.requests.length - before).toBe(2);
    } finally {
      await rt.close();
    }
  });

  it('an upstream 401 (token revoked): one refresh and one retry, through REST and MCP; a second 401 is passed on', async () => {
    tokens.behave = { expiresIn: 3600 };
    const rt = await serve(tokens.url);
    try {
      expect((await call(`${rt.rest}/contacts/1`)).status).toBe(200);
      const before = tokens.requests.length;
      const seenBefore = api.seen.length;
      tokens.valid.clear();
      const r = await call(`${rt.rest}/contacts/2`);
      expect(r.status).toBe(200);
      expect(tokens.requests.length - before).toBe(1);
      expect(api.seen.length - seenBefore).toBe(2);
      expect(api.seen.at(-2)).not.toBe(api.seen.at(-1));

      tokens.valid.clear();
      const client = await mcpClient(rt.mcp);
      const t = await client.callTool({ name: 'get-contact', arguments: { id: '3' } });
      expect(t.isError).toBeFalsy();
      expect(tokens.requests.length - before).toBe(2);

      // the upstream refuses even fresh tokens: one refresh, then its 401 is the answer
      const refuse = tokens.valid.add.bind(tokens.valid);
      tokens.valid.add = () => tokens.valid; // tokens are issued but never accepted
      tokens.valid.clear();
      const seen = api.seen.length;
      const denied = await call(`${rt.rest}/contacts/4`);
      expect(denied.status).toBe(401);
      expect(api.seen.length - seen).toBe(2);
      const d = await client.callTool({ name: 'get-contact', arguments: { id: '4' } });
      expect(d.isError).toBe(true);
      await client.close();
      tokens.valid.add = refuse;
    } finally {
      await rt.close();
    }
  });

  it('the token endpoint down: a coded 502 (REST) and an isError result (MCP), the secret in neither', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const rt = await serve(down);
    try {
      const r = await call(`${rt.rest}/contacts/1`);
      expect(r.status).toBe(502);
      expect(r.json.code).toBe('NR_ERR_UPSTREAM_AUTH');
      expect(r.json.detail).toContain('token request');
      const client = await mcpClient(rt.mcp);
      const t = await client.callTool({ name: 'get-contact', arguments: { id: '1' } });
      await client.close();
      expect(t.isError).toBe(true);
      expect(JSON.stringify(t.content)).toContain('NR_ERR_UPSTREAM_AUTH');
      for (const text of [r.text, JSON.stringify(t)]) {
        expect(text).not.toContain(CLIENT_SECRET);
        expect(text).not.toContain(encodeURIComponent(CLIENT_SECRET));
      }
    } finally {
      await rt.close();
    }
  });

  it('a slow token endpoint: the coded error comes within the timeout', async () => {
    tokens.behave = { delayMs: 5_000 };
    const rt = await serve(tokens.url, '', { responseTimeoutMs: 300 });
    try {
      const t0 = Date.now();
      const r = await call(`${rt.rest}/contacts/1`);
      const took = Date.now() - t0;
      expect(r.status).toBe(502);
      expect(r.json.code).toBe('NR_ERR_UPSTREAM_AUTH');
      expect(r.json.detail).toMatch(/did not answer within 300 ms/);
      expect(took).toBeLessThan(2_000);
    } finally {
      tokens.behave = { expiresIn: 3600 };
      await rt.close();
    }
  });

  it('without tokenEndpoint, the endpoint is discovered from the authorization server metadata (RFC 8414); no metadata: a coded 502', async () => {
    tokens.behave = { expiresIn: 3600 };
    const before = tokens.requests.length;
    const discovering = (issuer: string) => oauthYaml(tokens.url).replace(/        tokenEndpoint: .*\n/, '').replace(/authorizationServerUri: .*/, `authorizationServerUri: ${issuer}`);
    const rt = await start({ file: dir.write('oauth-discover.yaml', discovering(`${tokens.url}/tenant`)), baseUris: new Map([['crm', api.url]]), env });
    try {
      expect((await call(`${rt.rest}/contacts/1`)).status).toBe(200);
      expect((await call(`${rt.rest}/contacts/2`)).status).toBe(200);
      expect(tokens.requests.length - before).toBe(1);
    } finally {
      await rt.close();
    }
    const lost = await start({ file: dir.write('oauth-nometa.yaml', discovering(`${tokens.url}/elsewhere`)), baseUris: new Map([['crm', api.url]]), env });
    try {
      const r = await call(`${lost.rest}/contacts/1`);
      expect(r.status).toBe(502);
      expect(r.json.code).toBe('NR_ERR_UPSTREAM_AUTH');
      expect(r.json.detail).toContain('no token_endpoint found');
      expect(r.json.detail).toContain('/.well-known/openid-configuration (404)');
      expect(r.json.detail).toContain('set "tokenEndpoint"');
    } finally {
      await lost.close();
    }
  });

  it('the alpha3 resource-server shape alone: a load warning and 501; an unset secret: 401 naming its variable', async () => {
    const bare = oauthYaml(tokens.url).replace(/        tokenEndpoint: .*\n/, '').replace(/        client(Id|Secret): .*\n/g, '');
    const file = dir.write('oauth-bare.yaml', bare);
    const { loadCapability } = await import('../../src/spec/load.js');
    const loaded = loadCapability(file, { env: {} });
    const warning = loaded.warnings.find((w) => w.code === 'NR_WARN_OAUTH2_CLIENT_MISSING');
    expect(warning?.message).toContain('needs "clientId", "clientSecret"');
    expect(warning?.pointer).toBe('/capability/consumes/0/authentication');
    const rt = await start({ file, baseUris: new Map([['crm', api.url]]), env: {} });
    try {
      const r = await call(`${rt.rest}/contacts/1`);
      expect(r.status).toBe(501);
      expect(r.json.code).toBe('NR_ERR_OAUTH2_CLIENT_MISSING');
    } finally {
      await rt.close();
    }
    const unset = await start({ file: dir.write('oauth-unset.yaml', oauthYaml(tokens.url)), baseUris: new Map([['crm', api.url]]), env: { CLIENT_ID: 'c' } });
    try {
      const r = await call(`${unset.rest}/contacts/1`);
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('NR_ERR_CREDENTIAL_MISSING');
      expect(r.json.detail).toContain('CLIENT_SECRET');
    } finally {
      await unset.close();
    }
  });

  it('a token endpoint refusal that echoes the secret: 502 naming the status and error, the secret scrubbed, nothing in the debug log', async () => {
    tokens.behave = { status: 401, echoSecret: true };
    const log = new PassThrough();
    let logged = '';
    log.on('data', (c: Buffer) => (logged += c.toString('utf8')));
    const rt = await serve(tokens.url, '', undefined, log);
    try {
      const r = await call(`${rt.rest}/contacts/1`);
      expect(r.status).toBe(502);
      expect(r.json.code).toBe('NR_ERR_UPSTREAM_AUTH');
      expect(r.json.detail).toContain('answered 401: invalid_client');
      expect(r.text).not.toContain(CLIENT_SECRET);
      expect(r.text).not.toContain(encodeURIComponent(CLIENT_SECRET));
      tokens.behave = { expiresIn: 3600 };
      expect((await call(`${rt.rest}/contacts/1`)).status).toBe(200);
    } finally {
      tokens.behave = { expiresIn: 3600 };
      await rt.close();
    }
    expect(logged).toContain('/oauth/token');
    expect(logged).not.toContain(CLIENT_SECRET);
    expect(logged).not.toContain(encodeURIComponent(CLIENT_SECRET));
    expect(logged).not.toMatch(/tok-\d/);
  });
});
