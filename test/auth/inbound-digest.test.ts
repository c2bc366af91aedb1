/**
 * Inbound HTTP Digest (RFC 7616) on REST and MCP, driven by a digest client written here: the full
 * challenge/response handshake with SHA-256 and MD5, nc replay, a tampered nonce, an expired one (stale=true, on the check itself with a moved clock),
 * a second replica verifying the first one's nonce, an unset secret refusing everything, and the SDK
 * MCP client working through it with a digest-answering fetch.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestCheck } from '../../src/expose/auth/digest.js';
import { loadCapability } from '../../src/spec/load.js';
import { start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';
import { CONSUMES_ME } from './fixtures.js';

const YAML = `
naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      DIGEST_USER: TEST_DIGEST_USER
      DIGEST_PASSWORD: TEST_DIGEST_PASSWORD
capability:
${CONSUMES_ME}  exposes:
    - type: rest
      namespace: api
      port: 8080
      authentication:
        type: digest
        username: "{{DIGEST_USER}}"
        password: "{{DIGEST_PASSWORD}}"
      resources:
        - path: /me
          name: me
          operations:
            - method: GET
              name: get-me
              call: up.get-me
    - type: mcp
      namespace: tools
      port: 9090
      authentication:
        type: digest
        username: "{{DIGEST_USER}}"
        password: "{{DIGEST_PASSWORD}}"
      tools:
        - name: get-me
          description: who am I upstream
          call: up.get-me
`;
const USER = 'ada';
const PASSWORD = 'pässword: with colon';
const ENV = { TEST_DIGEST_USER: USER, TEST_DIGEST_PASSWORD: PASSWORD };

// ───────────── a digest client (RFC 7616 §3.4), written for the test ─────────────

type Challenge = Record<string, string>;

function parseChallenge(header: string): Challenge {
  const out: Challenge = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/([a-z]+)=(?:"([^"]*)"|([^\s,]+))/gi)) out[m[1]!.toLowerCase()] = m[2] ?? m[3]!;
  return out;
}

interface Answer { user?: string; password?: string; method: string; uri: string; nc: number; cnonce?: string; responseUri?: string }

function answer(c: Challenge, a: Answer): string {
  const alg = c.algorithm === 'MD5' ? 'md5' : 'sha256';
  const H = (s: string) => createHash(alg).update(s, 'utf8').digest('hex');
  const user = a.user ?? USER;
  const nc = a.nc.toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = H(`${user}:${c.realm}:${a.password ?? PASSWORD}`);
  const ha2 = H(`${a.method}:${a.responseUri ?? a.uri}`);
  const response = H(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${a.uri}", algorithm=${c.algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", opaque="${c.opaque}"`;
}

interface Raw { status: number; challenges: string[]; text: string }

/** node:http, so each WWW-Authenticate challenge arrives on its own (fetch joins them). */
function send(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, challenges: res.headersDistinct['www-authenticate'] ?? [], text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function challengeOf(url: string, algorithm: 'SHA-256' | 'MD5' = 'SHA-256'): Promise<Challenge> {
  const first = await send(url, 'GET');
  expect(first.status).toBe(401);
  return parseChallenge(first.challenges.find((c) => c.includes(`algorithm=${algorithm}`))!);
}

/** A fetch for the SDK transport that answers digest challenges (one nonce, counting nc). */
function digestFetch(): typeof fetch {
  let challenge: Challenge | undefined;
  let nc = 0;
  const withAuth = (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init.headers);
    if (challenge) headers.set('authorization', answer(challenge, { method: init.method ?? 'GET', uri: url.pathname + url.search, nc: ++nc }));
    return fetch(url, { ...init, headers });
  };
  return async (input, init) => {
    const res = await withAuth(input, init);
    if (res.status !== 401) return res;
    const offered = res.headers.get('www-authenticate') ?? '';
    challenge = parseChallenge(offered.slice(0, offered.indexOf('Digest', 1) > 0 ? offered.indexOf('Digest', 1) : undefined));
    nc = 0;
    return withAuth(input, init);
  };
}

describe('inbound digest on REST and MCP', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let rt: Started;
  let file = '';
  let me = '';

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    file = dir.write('digest.yaml', YAML);
    rt = await start({ file, baseUris: new Map([['up', upstream.url]]), env: ENV });
    me = `${rt.rest}/me`;
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('no credential: 401 offering SHA-256 then MD5, qop=auth, realm "naftiko"', async () => {
    const res = await send(me, 'GET');
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text).code).toBe('NR_ERR_UNAUTHENTICATED');
    expect(res.challenges).toHaveLength(2);
    expect(res.challenges[0]).toMatch(/^Digest realm="naftiko", qop="auth", algorithm=SHA-256, nonce="[A-Za-z0-9_-]+", opaque="[^"]+", charset=UTF-8$/);
    expect(res.challenges[1]).toContain('algorithm=MD5');
    expect(upstream.requests).toHaveLength(0);
  });

  for (const algorithm of ['SHA-256', 'MD5'] as const) {
    it(`the full handshake with ${algorithm}: 200, and the upstream never sees the Authorization`, async () => {
      const c = await challengeOf(me, algorithm);
      const authorization = answer(c, { method: 'GET', uri: '/me', nc: 1 });
      const res = await send(me, 'GET', { authorization });
      expect(res.status).toBe(200);
      expect(upstream.requests).toHaveLength(1);
      expect(upstream.requests[0]!.headers.authorization).toBeUndefined();
    });
  }

  it('one nonce serves many requests with a growing nc; a replayed nc is refused', async () => {
    const c = await challengeOf(me);
    const first = answer(c, { method: 'GET', uri: '/me', nc: 1 });
    expect((await send(me, 'GET', { authorization: first })).status).toBe(200);
    expect((await send(me, 'GET', { authorization: first })).status).toBe(401);
    expect((await send(me, 'GET', { authorization: answer(c, { method: 'GET', uri: '/me', nc: 2 }) })).status).toBe(200);
    expect((await send(me, 'GET', { authorization: answer(c, { method: 'GET', uri: '/me', nc: 2 }) })).status).toBe(401);
    expect(upstream.requests).toHaveLength(2);
  });

  it('a wrong password, a wrong user, a uri that is not the request target, a tampered nonce: 401', async () => {
    const c = await challengeOf(me);
    const cases = [
      answer(c, { method: 'GET', uri: '/me', nc: 1, password: 'nope' }),
      answer(c, { method: 'GET', uri: '/me', nc: 1, user: 'eve' }),
      answer(c, { method: 'GET', uri: '/other', nc: 1 }),
      answer(c, { method: 'POST', uri: '/me', nc: 1 }),
      answer({ ...c, nonce: `${c.nonce!.slice(0, -2)}AA` }, { method: 'GET', uri: '/me', nc: 1 }),
      answer(c, { method: 'GET', uri: '/me', nc: 1 }).replace('qop=auth', 'qop=auth-int'),
    ];
    for (const authorization of cases) {
      const res = await send(me, 'GET', { authorization });
      expect(res.status).toBe(401);
      expect(res.challenges.join()).not.toContain('stale=true');
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('another replica of the same capability verifies this one\'s nonce (no shared state)', async () => {
    const replica = await start({ file, baseUris: new Map([['up', upstream.url]]), env: ENV });
    try {
      const c = await challengeOf(me);
      const res = await send(`${replica.rest}/me`, 'GET', { authorization: answer(c, { method: 'GET', uri: '/me', nc: 1 }) });
      expect(res.status).toBe(200);
    } finally {
      await replica.close();
    }
  });

  it('MCP raw: the handshake on POST /mcp', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const first = await send(rt.mcp, 'POST', headers, body);
    expect(first.status).toBe(401);
    const c = parseChallenge(first.challenges[0]!);
    const ok = await send(rt.mcp, 'POST', { ...headers, authorization: answer(c, { method: 'POST', uri: '/mcp', nc: 1 }) }, body);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('protocolVersion');
  });

  it('MCP with the SDK Client over a digest-answering fetch: tools are listed and called', async () => {
    const client = new Client({ name: 't', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(rt.mcp), { fetch: digestFetch() }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['get-me']);
      expect((await client.callTool({ name: 'get-me', arguments: {} })).isError).toBeFalsy();
      expect(upstream.requests).toHaveLength(1);
      expect(upstream.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('the MCP SDK Client without credentials is refused', async () => {
    const client = new Client({ name: 't', version: '0' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(rt.mcp)))).rejects.toThrow(/401|Unauthorized/i);
  });
});

describe('inbound digest nonces age', () => {
  it('an expired nonce: 401 with stale=true, and the fresh nonce of that answer works', () => {
    let clock = Date.now();
    const check = digestCheck('api', USER, PASSWORD, () => clock);
    const first = check({ method: 'GET', url: '/me', headers: {} });
    if (first.ok) throw new Error('expected a challenge');
    const c = parseChallenge((first.challenge as string[])[0]!);
    expect(check({ method: 'GET', url: '/me', headers: { authorization: answer(c, { method: 'GET', uri: '/me', nc: 1 }) } }).ok).toBe(true);
    clock += 301_000;
    const stale = check({ method: 'GET', url: '/me', headers: { authorization: answer(c, { method: 'GET', uri: '/me', nc: 2 }) } });
    expect(stale).toMatchObject({ ok: false, status: 401 });
    const again = (stale as { challenge: string[] }).challenge;
    expect(again[0]).toContain('stale=true');
    expect(check({ method: 'GET', url: '/me', headers: { authorization: answer(parseChallenge(again[0]!), { method: 'GET', uri: '/me', nc: 1 }) } }).ok).toBe(true);
    // a nonce from a clock far ahead is not accepted either
    clock -= 600_000;
    expect(check({ method: 'GET', url: '/me', headers: { authorization: answer(parseChallenge(again[0]!), { method: 'GET', uri: '/me', nc: 2 }) } })).toMatchObject({ ok: false });
  });
});

describe('inbound digest with its password unset', () => {
  it('warns at load and refuses every request, even one computed with the literal template or an empty password', async () => {
    const dir = tmpDir();
    const upstream = await startRecorder();
    const file = dir.write('digest.yaml', YAML);
    expect(loadCapability(file, { env: { TEST_DIGEST_USER: USER } }).warnings.map((w) => w.code)).toContain('NR_WARN_INBOUND_SECRET_UNSET');
    const rt = await start({ file, baseUris: new Map([['up', upstream.url]]), env: { TEST_DIGEST_USER: USER } });
    try {
      for (const url of [`${rt.rest}/me`, rt.mcp]) {
        const first = await send(url, 'GET');
        expect(first.status).toBe(401);
        expect(JSON.parse(first.text).detail).toContain('{{DIGEST_PASSWORD}}');
        const c = parseChallenge(first.challenges[0]!);
        const uri = new URL(url).pathname;
        for (const password of ['', '{{DIGEST_PASSWORD}}']) {
          expect((await send(url, 'GET', { authorization: answer(c, { method: 'GET', uri, nc: 1, password }) })).status).toBe(401);
        }
      }
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await rt.close();
      await upstream.close();
      dir.remove();
    }
  });
});
