/**
 * REST `forward` (FEATURES §7(d)) over real sockets: method, raw path, raw query and body go through;
 * only trusted headers travel and never hop-by-hop ones; the consumes credential wins; unsafe paths are
 * rejected before anything goes upstream; bodies stream both ways; upstream answers pass through with
 * the safe headers only.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { ROOT, call, closedPort, isProblem, jsonInit, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from './helpers.js';

const FIXTURES = path.join(ROOT, 'test/fixtures');

const FORWARD_YAML = `
naftiko: 1.0.0-alpha2
binds:
  - namespace: env
    keys:
      UP_TOKEN: FWD_UP_TOKEN
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9/base
    - type: http
      namespace: authed
      baseUri: http://127.0.0.1:9/authed
      authentication:
        type: bearer
        token: "{{UP_TOKEN}}"
    - type: http
      namespace: keyed
      baseUri: http://127.0.0.1:9/keyed
      authentication:
        type: apikey
        key: api_key
        value: "{{UP_TOKEN}}"
        placement: query
  exposes:
    - type: rest
      namespace: fwd
      port: 8080
      resources:
        - path: /proxy/{{path}}
          forward:
            targetNamespace: up
            trustedHeaders: [X-Trace, Authorization, Connection, Keep-Alive, Transfer-Encoding, Upgrade, Host, Proxy-Authorization, TE, Trailer, X-Hop, Content-Length]
        - path: /secure/{path}
          forward:
            targetNamespace: authed
            trustedHeaders: [Authorization]
        - path: /keyed/{path}
          forward:
            targetNamespace: keyed
            trustedHeaders: [Authorization]
        - path: /hybrid/{{path}}
          operations:
            - method: GET
              name: hybrid-get
              inputParameters:
                - name: path
                  in: path
                  type: string
                  description: the rest of the path
              outputParameters:
                - name: source
                  type: string
                  value: operation
          forward:
            targetNamespace: up
        - path: /exact
          forward:
            targetNamespace: up
            trustedHeaders: [X-Trace]
`;

/** node:http request with exactly these headers (arrays repeat a header) and an optional raw target. */
function raw(
  base: string, target: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: target, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function startForward(dir: TmpDir, upstream: string, env: Record<string, string>, invoker?: Record<string, number>): Promise<Started> {
  return start({
    file: dir.write('forward.yaml', FORWARD_YAML),
    baseUris: new Map([['up', `${upstream}/base`], ['authed', `${upstream}/authed`], ['keyed', `${upstream}/keyed`]]),
    env,
    ...(invoker ? { invoker } : {}),
  });
}

describe('REST forward: requests as the upstream sees them', () => {
  let upstream: Recorder;
  let rt: Started;
  let dir: TmpDir;

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    rt = await startForward(dir, upstream.url, { FWD_UP_TOKEN: 'up-secret' });
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    upstream.answer = (req) => ({ status: 200, body: { echo: `${req.method} ${req.url}` } });
  });

  it('loads with warnings for the forward without trustedHeaders', () => {
    expect(rt.runtime.warnings.map((w) => w.code)).toContain('NR_WARN_FORWARD_NO_TRUSTED_HEADERS');
  });

  it('GET keeps the raw path and the raw query, and sends no body', async () => {
    const res = await call(`${rt.rest}/proxy/v1/items?b=2&a=1&a=%20x&flag`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ echo: 'GET /base/v1/items?b=2&a=1&a=%20x&flag' });
    expect(upstream.requests).toHaveLength(1);
    const got = upstream.requests[0]!;
    expect(got).toMatchObject({ method: 'GET', url: '/base/v1/items?b=2&a=1&a=%20x&flag', body: '' });
    expect(got.headers['content-length']).toBeUndefined();
    expect(got.headers['content-type']).toBeUndefined();
  });

  it('segments stay percent-encoded as received', async () => {
    await raw(rt.rest, '/proxy/a%20b/caf%C3%A9/x%3Fy/~user');
    expect(upstream.requests[0]!.url).toBe('/base/a%20b/caf%C3%A9/x%3Fy/~user');
  });

  it('the prefix alone, with or without a trailing slash, forwards to the bare baseUri', async () => {
    await call(`${rt.rest}/proxy`);
    await call(`${rt.rest}/proxy/`);
    await call(`${rt.rest}/proxy/dir/`);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/base', '/base', '/base/dir/']);
  });

  it('POST JSON: body, content-type and content-length go through unchanged', async () => {
    const body = { name: 'x', nested: { list: [1, 2, 3] }, unicode: 'é' };
    const res = await call(`${rt.rest}/proxy/things`, jsonInit('POST', body));
    expect(res.status).toBe(200);
    const got = upstream.requests[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/base/things');
    expect(got.body).toBe(JSON.stringify(body));
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(body))));
  });

  it('any body type is forwarded as is (text/plain, form, no content-type)', async () => {
    await call(`${rt.rest}/proxy/t`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'hello' });
    await call(`${rt.rest}/proxy/f`, { method: 'PATCH', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' });
    await raw(rt.rest, '/proxy/n', { method: 'POST', body: 'untyped', headers: { 'content-length': '7' } });
    expect(upstream.requests.map((r) => [r.method, r.headers['content-type'], r.body])).toEqual([
      ['POST', 'text/plain; charset=utf-8', 'hello'],
      ['PATCH', 'application/x-www-form-urlencoded', 'a=1&b=2'],
      ['POST', undefined, 'untyped'],
    ]);
  });

  it('DELETE, HEAD and OPTIONS are forwarded with their method', async () => {
    upstream.answer = (req) => ({ status: req.method === 'DELETE' ? 204 : 200, headers: { etag: '"v1"' }, ...(req.method === 'DELETE' ? {} : { body: 'ok' }) });
    const del = await call(`${rt.rest}/proxy/things/1`, { method: 'DELETE' });
    const head = await call(`${rt.rest}/proxy/things/1`, { method: 'HEAD' });
    const options = await call(`${rt.rest}/proxy/things/1`, { method: 'OPTIONS' });
    expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /base/things/1', 'HEAD /base/things/1', 'OPTIONS /base/things/1']);
    expect(del.status).toBe(204);
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe('"v1"');
    expect(head.text).toBe('');
    expect(options.text).toBe('ok');
  });

  it('trusted headers are forwarded with every value; untrusted ones (Cookie, X-Untrusted) are dropped', async () => {
    await raw(rt.rest, '/proxy/h', {
      headers: { 'X-TRACE': ['t1', 't2'], 'x-untrusted': 'u', cookie: 'session=abc', authorization: 'Bearer caller', accept: 'application/xml', 'user-agent': 'probe' },
    });
    const h = upstream.requests[0]!.headers;
    expect(h['x-trace']).toBe('t1, t2');
    expect(h.authorization).toBe('Bearer caller');
    expect(h['x-untrusted']).toBeUndefined();
    expect(h.cookie).toBeUndefined();
    expect(h.accept).toBeUndefined();
    expect(h['user-agent']).toBeUndefined();
  });

  it('Authorization is dropped when it is not trusted', async () => {
    await call(`${rt.rest}/exact`, { headers: { authorization: 'Bearer caller', 'x-trace': 't' } });
    const h = upstream.requests[0]!.headers;
    expect(h.authorization).toBeUndefined();
    expect(h['x-trace']).toBe('t');
  });

  it('hop-by-hop headers are never forwarded, even when trusted, nor headers Connection nominates', async () => {
    await raw(rt.rest, '/proxy/hop', {
      method: 'POST',
      headers: {
        connection: 'keep-alive, x-hop', 'keep-alive': 'timeout=5', 'x-hop': 'nominated', te: 'trailers', trailer: 'x-t',
        'proxy-authorization': 'Basic eA==', 'x-trace': 'kept', 'transfer-encoding': 'chunked',
      },
      body: 'chunked body',
    });
    const got = upstream.requests[0]!;
    expect(got.body).toBe('chunked body');
    expect(got.headers['x-trace']).toBe('kept');
    for (const name of ['keep-alive', 'x-hop', 'te', 'trailer', 'proxy-authorization']) expect(got.headers[name], name).toBeUndefined();
    expect(got.headers.connection).not.toMatch(/x-hop/i);
    expect(got.headers.host).toBe(new URL(upstream.url).host);
  });

  it('the consumes credential wins over a trusted Authorization', async () => {
    await call(`${rt.rest}/secure/me`, { headers: { authorization: 'Bearer caller' } });
    expect(upstream.requests[0]!.url).toBe('/authed/me');
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer up-secret');
  });

  it('an apikey credential in the query is appended after the raw query, and a trusted Authorization does not travel with it', async () => {
    await call(`${rt.rest}/keyed/x?q=a%20b`, { headers: { authorization: 'Bearer caller' } });
    const got = upstream.requests[0]!;
    expect(got.url).toBe('/keyed/x?q=a%20b&api_key=up-secret');
    expect(got.headers.authorization).toBeUndefined();
  });

  it.each([
    ['/proxy/../admin'],
    ['/proxy/a/../../etc/passwd'],
    ['/proxy/%2e%2e/admin'],
    ['/proxy/%2E%2e/admin'],
    ['/proxy/.%2e/admin'],
    ['/proxy/a/./b'],
    ['/proxy/a/%2e/b'],
    ['/proxy/..'],
    ['/proxy/a%2fb'],
    ['/proxy/a%2F..%2Fb'],
    ['/proxy/a%5cb'],
    ['/proxy/a\\..\\b'],
  ])('%s is a 400 problem and never reaches the upstream', async (target) => {
    const res = await raw(rt.rest, target);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'NR_ERR_BAD_PATH', status: 400 });
    expect(upstream.requests).toHaveLength(0);
  });

  it('dots inside a segment are not dot segments', async () => {
    await raw(rt.rest, '/proxy/v1.2/..hidden/file.tar.gz/...');
    expect(upstream.requests[0]!.url).toBe('/base/v1.2/..hidden/file.tar.gz/...');
  });

  it('an upstream 302 passes through with its Location; the redirect is not followed', async () => {
    upstream.answer = () => ({ status: 302, headers: { location: 'https://elsewhere.example/next' } });
    const res = await call(`${rt.rest}/proxy/old`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://elsewhere.example/next');
    expect(upstream.requests).toHaveLength(1);
  });

  it('upstream status and body pass through with the safe response headers only', async () => {
    upstream.answer = () => ({
      status: 429,
      headers: { 'content-type': 'text/plain', etag: '"e"', 'retry-after': '7', 'x-ratelimit-remaining': '0', 'set-cookie': 'upstream=secret', 'x-internal': 'leak', server: 'upstream/1.0' },
      body: 'slow down',
    });
    const res = await call(`${rt.rest}/proxy/limited`);
    expect(res.status).toBe(429);
    expect(res.text).toBe('slow down');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('etag')).toBe('"e"');
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-internal')).toBeNull();
    expect(res.headers.get('server')).toBeNull();
  });

  it('a declared operation on the same resource wins for its method; the other methods are forwarded', async () => {
    const get = await call(`${rt.rest}/hybrid/x`);
    expect(get.status).toBe(200);
    expect(get.json).toEqual({ source: 'operation' });
    expect(upstream.requests).toHaveLength(0);
    const post = await call(`${rt.rest}/hybrid/x`, jsonInit('POST', { a: 1 }));
    const put = await call(`${rt.rest}/hybrid/x/y`, jsonInit('PUT', { a: 2 }));
    expect(post.status).toBe(200);
    expect(put.status).toBe(200);
    expect(upstream.requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual(['POST /base/x {"a":1}', 'PUT /base/x/y {"a":2}']);
    upstream.requests.length = 0;
    // {path} takes the rest of the URL for the declared operation too (FEATURES §7(d))
    const deeper = await call(`${rt.rest}/hybrid/a/b`);
    expect(deeper.status).toBe(200);
    expect(deeper.json).toEqual({ source: 'operation' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('on a loopback address a foreign Origin or Host is a 403 problem, and nothing is forwarded', async () => {
    const origin = await call(`${rt.rest}/proxy/x`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body: 'x' });
    const host = await raw(rt.rest, '/proxy/x', { headers: { host: 'evil.example' } });
    expect(origin.status).toBe(403);
    expect(origin.json.code).toBe('NR_ERR_ORIGIN_REJECTED');
    expect(host.status).toBe(403);
    expect(upstream.requests).toHaveLength(0);
  });

  it('a forward without {path} serves its literal path only, to the bare baseUri with the query', async () => {
    const ok = await call(`${rt.rest}/exact?x=1`);
    const below = await call(`${rt.rest}/exact/more`);
    expect(ok.status).toBe(200);
    expect(below.status).toBe(404);
    expect(isProblem(below)).toBe(true);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/base?x=1']);
  });
});

describe('REST forward: the consumes credential unset', () => {
  let upstream: Recorder;
  let rt: Started;
  let dir: TmpDir;
  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    rt = await startForward(dir, upstream.url, {});
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('a trusted caller Authorization is forwarded', async () => {
    const res = await call(`${rt.rest}/secure/me`, { headers: { authorization: 'Bearer caller' } });
    expect(res.status).toBe(200);
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer caller');
  });

  it('with no caller Authorization either: 401 problem naming the variable, nothing upstream', async () => {
    const res = await call(`${rt.rest}/secure/me`);
    expect(res.status).toBe(401);
    expect(isProblem(res)).toBe(true);
    expect(res.json.code).toBe('NR_ERR_CREDENTIAL_MISSING');
    expect(res.json.detail).toContain('FWD_UP_TOKEN');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('REST forward: failures', () => {
  let upstream: Recorder;
  let rt: Started;
  let dead: Started;
  let dir: TmpDir;
  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    rt = await startForward(dir, upstream.url, { FWD_UP_TOKEN: 't' }, { responseTimeoutMs: 300, maxResponseBytes: 1000 });
    dead = await startForward(dir, `http://127.0.0.1:${await closedPort()}`, { FWD_UP_TOKEN: 't' });
  });
  afterAll(async () => {
    await rt?.close();
    await dead?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    upstream.answer = () => ({ status: 200, body: 'ok' });
  });

  it('upstream unreachable: 502 problem', async () => {
    const res = await call(`${dead.rest}/proxy/x`, jsonInit('POST', { a: 1 }));
    expect(res.status).toBe(502);
    expect(isProblem(res)).toBe(true);
    expect(res.json.code).toBe('NR_ERR_UPSTREAM_UNREACHABLE');
  });

  it('upstream too slow: 504 problem', async () => {
    upstream.answer = () => ({ status: 200, body: 'late', delayMs: 1500 });
    const res = await call(`${rt.rest}/proxy/slow`);
    expect(res.status).toBe(504);
    expect(res.json.code).toBe('NR_ERR_UPSTREAM_TIMEOUT');
  });

  it('a body over the request limit is a 413 problem, with a Content-Length or chunked', async () => {
    const big = 'x'.repeat(5000);
    const sized = await call(`${rt.rest}/proxy/big`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: big });
    expect(sized.status).toBe(413);
    expect(sized.json.code).toBe('NR_ERR_BODY_TOO_LARGE');
    expect(upstream.requests).toHaveLength(0);
    const chunked = await raw(rt.rest, '/proxy/big', { method: 'POST', headers: { 'transfer-encoding': 'chunked', 'content-type': 'text/plain' }, body: big });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text).code).toBe('NR_ERR_BODY_TOO_LARGE');
  });
});

describe('REST forward: streaming', () => {
  const SIZE = 20 * 1024 * 1024;
  const CHUNK = Buffer.alloc(64 * 1024, 7);
  let server: Server;
  let upstreamUrl: string;
  let rt: Started;
  let dir: TmpDir;
  /** per-test behaviour of the streaming upstream */
  let onRequest: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;

  beforeAll(async () => {
    dir = tmpDir();
    server = createServer((req, res) => onRequest(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    rt = await startForward(dir, upstreamUrl, {}, { maxResponseBytes: 64 * 1024 * 1024 });
  });
  afterAll(async () => {
    await rt?.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    dir?.remove();
  });

  it('PUT binary octet-stream: every byte arrives unchanged', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => i % 256));
    let received: Buffer | undefined;
    let type: string | undefined;
    onRequest = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received = Buffer.concat(chunks);
        type = req.headers['content-type'];
        res.writeHead(201, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 255, 128]));
      });
    };
    const res = await fetch(`${rt.rest}/proxy/blob`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(res.status).toBe(201);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0, 255, 128]));
    expect(type).toBe('application/octet-stream');
    expect(received!.equals(bytes)).toBe(true);
  });

  it('a 20 MiB download streams: the caller gets the first bytes before the upstream has sent the rest', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    onRequest = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) });
      res.write(CHUNK);
      await released; // the rest only once the caller has seen the first chunk
      for (let sent = CHUNK.length; sent < SIZE; sent += CHUNK.length) {
        if (!res.write(CHUNK)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    };
    const res = await fetch(`${rt.rest}/proxy/download`);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    const reader = res.body!.getReader();
    let total = 0;
    const hash = createHash('sha256');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total === 0) release();
      total += value.length;
      hash.update(value);
    }
    expect(total).toBe(SIZE);
    const expected = createHash('sha256');
    for (let n = 0; n < SIZE; n += CHUNK.length) expected.update(CHUNK);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
  }, 30_000);

  it('a 20 MiB upload streams: the upstream gets the first bytes before the caller has sent the rest', async () => {
    let firstArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (firstArrived = resolve));
    let received = 0;
    let upstreamLength: string | undefined;
    onRequest = (req, res) => {
      upstreamLength = req.headers['content-length'];
      req.on('data', (c: Buffer) => {
        if (received === 0) firstArrived();
        received += c.length;
      });
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received })));
    };
    const u = new URL(rt.rest);
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path: '/proxy/upload', method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      void (async () => {
        req.write(CHUNK);
        await arrived; // nothing more until the upstream has seen the first chunk
        for (let sent = CHUNK.length; sent < SIZE; sent += CHUNK.length) {
          if (!req.write(CHUNK)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })();
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ received: SIZE });
    expect(upstreamLength).toBe(String(SIZE));
  }, 30_000);
});

describe('REST forward: the reference fixtures', () => {
  let upstream: Recorder;
  beforeAll(async () => {
    upstream = await startRecorder();
  });
  afterAll(() => upstream?.close());
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('register.capability.yml: Notion-Version trusted, the caller\'s bearer replaced by the consumes basic credential, the query kept', async () => {
    const rt = await start({
      file: path.join(FIXTURES, 'register.capability.yml'),
      baseUris: new Map([['notion', `${upstream.url}/rest/Notion+API/1.0.0`]]),
      env: {},
    });
    try {
      const res = await call(`${rt.rest}/notion/v1/users/me?x=1`, { headers: { 'notion-version': '2022-06-28', authorization: 'Bearer caller', cookie: 'c=1' } });
      expect(res.status).toBe(200);
      expect(upstream.requests).toHaveLength(1);
      const got = upstream.requests[0]!;
      expect(got.method).toBe('GET');
      expect(got.url).toBe('/rest/Notion+API/1.0.0/v1/users/me?x=1');
      expect(got.headers['notion-version']).toBe('2022-06-28');
      expect(got.headers.authorization).toBe(`Basic ${Buffer.from('scott:tiger').toString('base64')}`);
      expect(got.headers.cookie).toBeUndefined();
    } finally {
      await rt.close();
    }
  });

  it('http-forward-value-capability.yaml: the consumes-level header parameters are applied, and no caller header travels', async () => {
    let runtime: Runtime | undefined;
    try {
      runtime = await startRuntime({
        files: [path.join(FIXTURES, 'http/http-forward-value-capability.yaml')],
        ports: new Map([['sample', 0]]),
        baseUris: new Map([['external', `${upstream.url}/v1`]]),
        host: '127.0.0.1',
        logLevel: 'silent',
        env: {},
      });
      const rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
      const res = await call(`${rest}/forward/users/42`, { headers: { 'x-api-key': 'caller-key', 'x-other': 'o' } });
      expect(res.status).toBe(200);
      const got = upstream.requests[0]!;
      expect(got.url).toBe('/v1/users/42');
      expect(got.headers['x-api-version']).toBe('2026-03-03');
      expect(got.headers['x-api-key']).toBe('secret-key-123');
      expect(got.headers['x-other']).toBeUndefined();
    } finally {
      await runtime?.close();
    }
  });
});
