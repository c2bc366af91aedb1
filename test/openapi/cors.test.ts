/**
 * CORS on a REST adapter (real sockets, raw requests with the Origin a browser sends): off by default
 * (a cross-site Origin on loopback is 403 NR_ERR_ORIGIN_REJECTED, no CORS headers), and with
 * `cors.origins` exactly those origins get through, with preflights answered before inbound auth; a
 * foreign Host is still refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import type { CorsSettings } from '../../src/expose/rest/cors-settings.js';
import { rawRequest, startRecorder, tmpDir, type Recorder } from '../runtime/helpers.js';
import { FULL_YAML } from './fixtures.js';

const APP = 'http://localhost:5173';
const dir = tmpDir();
const file = dir.write('full.yaml', FULL_YAML);
let upstream: Recorder;
beforeAll(async () => {
  upstream = await startRecorder(() => ({ status: 200, body: { title: 't' } }));
});
afterAll(async () => {
  await upstream.close();
  dir.remove();
});

async function serve(cors?: CorsSettings): Promise<{ runtime: Runtime; url: string }> {
  const runtime = await startRuntime({ files: [file], ports: new Map([['api', 0]]), baseUris: new Map([['notes', upstream.url]]), logLevel: 'silent', env: { API_TOKEN: 'secret' }, ...(cors ? { cors } : {}) });
  return { runtime, url: runtime.adapters[0]!.url };
}

const preflight = (origin: string, method = 'PUT', headers = 'authorization, content-type') => ({
  method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
});

describe('CORS', () => {
  it('off by default: a cross-site Origin is refused 403 with advice, and gets no CORS headers', async () => {
    const { runtime, url } = await serve();
    try {
      const r = await rawRequest(`${url}/notes`, { headers: { origin: 'https://app.example.com', authorization: 'Bearer secret' } });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.text)).toMatchObject({ code: 'NR_ERR_ORIGIN_REJECTED' });
      expect(JSON.parse(r.text).detail).toMatch(/--cors-origin https:\/\/app\.example\.com/);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      const p = await rawRequest(`${url}/notes`, preflight('https://app.example.com'));
      expect(p.status).toBe(403);
    } finally {
      await runtime.close();
    }
  });

  describe('with allowed origins', () => {
    let runtime: Runtime;
    let url: string;
    beforeAll(async () => ({ runtime, url } = await serve({ origins: [APP, 'https://app.example.com'], methods: ['GET', 'PUT'] })));
    afterAll(() => runtime.close());

    it('a preflight from an allowed origin is answered 204 without a credential, with the methods and headers', async () => {
      upstream.requests.length = 0;
      const r = await rawRequest(`${url}/notes/7`, preflight(APP));
      expect(r.status).toBe(204);
      expect(r.headers['access-control-allow-origin']).toBe(APP);
      expect(r.headers['access-control-allow-methods']).toBe('GET, PUT');
      expect(r.headers['access-control-allow-headers']).toBe('authorization, content-type');
      expect(r.headers['access-control-max-age']).toBe('600');
      expect(r.headers.vary).toMatch(/Origin/);
      expect(upstream.requests).toHaveLength(0);
    });

    it('the actual request from an allowed origin passes the Origin check and carries Access-Control-Allow-Origin', async () => {
      const r = await rawRequest(`${url}/notes`, { headers: { origin: 'https://app.example.com', authorization: 'Bearer secret', host: new URL(url).host } });
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
      // the credential is still checked
      const noKey = await rawRequest(`${url}/notes`, { headers: { origin: APP } });
      expect(noKey.status).toBe(401);
      expect(noKey.headers['access-control-allow-origin']).toBe(APP);
    });

    it('another origin is still refused, and an allowed Origin does not excuse a foreign Host', async () => {
      const other = await rawRequest(`${url}/notes`, { headers: { origin: 'https://evil.example', authorization: 'Bearer secret' } });
      expect(other.status).toBe(403);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const otherPreflight = await rawRequest(`${url}/notes`, preflight('https://evil.example'));
      expect(otherPreflight.status).toBe(403);
      const rebinding = await rawRequest(`${url}/notes`, { headers: { origin: APP, host: 'evil.example', authorization: 'Bearer secret' } });
      expect(rebinding.status).toBe(403);
    });

    it('a preflight on a forward route is answered here, not forwarded', async () => {
      upstream.requests.length = 0;
      const r = await rawRequest(`${url}/proxy/a/b`, preflight(APP, 'GET', 'x-trace'));
      expect(r.status).toBe(204);
      expect(r.headers['access-control-allow-origin']).toBe(APP);
      expect(upstream.requests).toHaveLength(0);
      // a plain OPTIONS (no preflight) still goes upstream, with the adapter's credential checked first
      const plain = await rawRequest(`${url}/proxy/a`, { method: 'OPTIONS', headers: { authorization: 'Bearer secret' } });
      expect(plain.status).toBe(200);
      expect(upstream.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['OPTIONS /a']);
    });
  });
});
