/**
 * Review of REST forward (FEATURES §7(d)).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';

const YAML = `
naftiko: 1.0.0-alpha2
binds:
  - namespace: env
    keys:
      UP_KEY: REVIEW_UP_KEY
capability:
  consumes:
    - type: http
      namespace: keyed
      baseUri: http://127.0.0.1:9/keyed
      inputParameters:
        - name: tenant
          in: query
          value: acme
      authentication:
        type: apikey
        key: api_key
        value: "{{UP_KEY}}"
        placement: query
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9/base
  exposes:
    - type: rest
      namespace: fwd
      port: 8080
      resources:
        - path: /keyed/{path}
          forward:
            targetNamespace: keyed
            trustedHeaders: [X-Trace]
        - path: /proxy/{path}
          forward:
            targetNamespace: up
            trustedHeaders: [Accept-Encoding, Accept]
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
`;

function raw(base: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: target, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('review: REST forward', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let rt: Started;

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    rt = await start({
      file: dir.write('fwd.yaml', YAML),
      baseUris: new Map([['keyed', `${upstream.url}/keyed`], ['up', `${upstream.url}/base`]]),
      env: { REVIEW_UP_KEY: 'server-key' },
    });
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    upstream.answer = (req) => ({ status: 200, body: { echo: req.url } });
  });

  it('a caller cannot put its own value before the consumes apikey or a consumes-level query parameter', async () => {
    const res = await call(`${rt.rest}/keyed/items?api_key=caller-key&tenant=other-tenant`);
    expect(res.status).toBe(200);
    const q = upstream.requests[0]!.query;
    // most upstream frameworks read the first value (URLSearchParams.get, Go, Flask…)
    expect(q.get('api_key')).toBe('server-key');
    expect(q.get('tenant')).toBe('acme');
    expect(q.getAll('api_key')).toEqual(['server-key']);
  });

  it('a "..;" segment (dot-dot with a path parameter, treated as ".." by Tomcat/Jetty) is refused like ".."', async () => {
    const res = await raw(rt.rest, '/proxy/a/..;/..;/admin');
    expect(res.status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
  });

  it('an absolute-form request target (RFC 9112 §3.2.2) forwards the same path as the origin-form one', async () => {
    const origin = await raw(rt.rest, '/proxy/a/b');
    const absolute = await raw(rt.rest, `http://${new URL(rt.rest).host}/proxy/a/b`);
    expect(origin.status).toBe(200);
    expect(absolute.status).toBe(200);
    expect(upstream.requests.map((r) => r.path)).toEqual(['/base/a/b', '/base/a/b']);
  });

  it('{{path}} on a hybrid resource matches several segments for the declared operation too (FEATURES §7(d))', async () => {
    const one = await call(`${rt.rest}/hybrid/x`);
    expect(one.status).toBe(200);
    const two = await call(`${rt.rest}/hybrid/x/y`);
    expect(two.status).toBe(200);
    expect(two.json).toEqual({ source: 'operation' });
  });
});
