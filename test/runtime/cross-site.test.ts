/**
 * Probe F1: the REST adapter could be driven from any web page with the operator's key. On a loopback
 * address it now checks Host and Origin like the MCP adapter, and operation routes take JSON bodies
 * only, so the "simple" requests a page can send cross-site without a preflight (text/plain, forms,
 * multipart) never run (also F16). F17: router errors are problem+json with a code.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCapability } from '../../src/spec/load.js';
import type { RestAdapter } from '../../src/spec/model.js';
import { DEFAULT_INVOKER_OPTIONS, Invoker } from '../../src/invoke/invoker.js';
import { buildRestApp } from '../../src/expose/rest/rest-adapter.js';
import { isLocalRequest, isLoopback } from '../../src/expose/local-origin.js';
import { SYNC_ID } from './bulksync-cases.js';
import { BULKSYNC, CONSUMES_NS, KEY, REST_NS, call, isProblem, jsonInit, rawRequest, start, startRecorder, type Recorder, type Started } from './helpers.js';

const CANCEL = `/v1/api/bulk/syncs/${SYNC_ID}/cancel`;
const ACTIVATE = `/v1/api/bulk/syncs/${SYNC_ID}/activate`;

function problemOf(res: { headers: Record<string, unknown> | Headers; text: string }): { code: string; status: number } {
  const type = res.headers instanceof Headers ? res.headers.get('content-type') : (res.headers['content-type'] as string | undefined);
  expect(type).toMatch(/^application\/problem\+json/);
  return JSON.parse(res.text);
}

describe('REST on a loopback address: cross-site requests', () => {
  let upstream: Recorder;
  let rt: Started;
  let port: string;

  beforeAll(async () => {
    upstream = await startRecorder();
    rt = await start({ upstream: upstream.url, env: { POLYTOMIC_API_KEY: KEY } });
    port = new URL(rt.rest).port;
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('F1 reproduction: POST …/cancel with Origin: http://evil.example is a 403 problem and the upstream is not called', async () => {
    const res = await call(rt.rest + CANCEL, { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
    expect(isProblem(res)).toBe(true);
    expect(res.json).toMatchObject({ code: 'NR_ERR_ORIGIN_REJECTED', status: 403 });
    expect(upstream.requests).toHaveLength(0);
  });

  it('a rebinding Host (evil.example:8080) is a 403 problem, on any path', async () => {
    for (const path of [CANCEL, '/v1/api/bulk/syncs', '/nowhere']) {
      const res = await rawRequest(rt.rest + path, { method: path === CANCEL ? 'POST' : 'GET', headers: { host: 'evil.example:8080' } });
      expect(res.status, path).toBe(403);
      expect(problemOf(res).code).toBe('NR_ERR_ORIGIN_REJECTED');
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('Origin: null (sandboxed frame, file:) and non-http origins are rejected', async () => {
    for (const origin of ['null', 'file://', 'chrome-extension://abc']) {
      const res = await call(rt.rest + CANCEL, { method: 'POST', headers: { origin } });
      expect(res.status, origin).toBe(403);
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('local origins are allowed: http://127.0.0.1:PORT, http://localhost, and no Origin at all', async () => {
    for (const origin of [`http://127.0.0.1:${port}`, 'http://localhost', `http://localhost:${port}`, 'http://[::1]:3000', undefined]) {
      const res = await call(rt.rest + ACTIVATE, jsonInit('POST', { active: true }, origin ? { origin } : {}));
      expect(res.status, String(origin)).toBe(200);
    }
    expect(upstream.requests).toHaveLength(5);
  });

  it('Host: localhost:PORT is local', async () => {
    const res = await rawRequest(rt.rest + '/v1/api/bulk/syncs', { headers: { host: `localhost:${port}` } });
    expect(res.status).toBe(200);
  });

  it('a text/plain body on a POST operation is a 415 problem (F16: not 400), and the upstream is not called', async () => {
    const res = await call(rt.rest + ACTIVATE, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"active":true}' });
    expect(res.status).toBe(415);
    expect(isProblem(res)).toBe(true);
    expect(res.json.code).toBe('NR_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(res.json.detail).toContain('text/plain');
    expect(upstream.requests).toHaveLength(0);
  });

  it('form-urlencoded and multipart bodies are 415 problems, and the upstream is not called', async () => {
    const form = await call(rt.rest + CANCEL, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    const data = new FormData();
    data.append('active', 'true');
    const multipart = await call(rt.rest + ACTIVATE, { method: 'POST', body: data });
    const other = await call(rt.rest + `/v1/api/bulk/syncs/${SYNC_ID}`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    for (const res of [form, multipart, other]) {
      expect(res.status).toBe(415);
      expect(res.json.code).toBe('NR_ERR_UNSUPPORTED_MEDIA_TYPE');
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('a body without a Content-Type is a 415 problem too', async () => {
    const res = await rawRequest(rt.rest + ACTIVATE, { method: 'POST', headers: { 'content-length': '15' }, body: '{"active":true}' });
    expect(res.status).toBe(415);
    expect(problemOf(res).code).toBe('NR_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(upstream.requests).toHaveLength(0);
  });

  it('JSON with a charset parameter is still accepted', async () => {
    const res = await call(rt.rest + ACTIVATE, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"active":true}' });
    expect(res.status).toBe(200);
    expect(JSON.parse(upstream.requests[0]!.body)).toEqual({ active: true });
  });

  it('F17: malformed percent-encoding is a 400 problem with a code', async () => {
    const res = await rawRequest(`${rt.rest}/v1/api/bulk/syncs/%zz`, {});
    expect(res.status).toBe(400);
    expect(problemOf(res).code).toBe('NR_ERR_BAD_PATH');
    expect(upstream.requests).toHaveLength(0);
  });

  it('F17: a path segment over the router limit is a 414 problem with a code', async () => {
    const res = await rawRequest(`${rt.rest}/v1/api/bulk/syncs/${'a'.repeat(300)}`, {});
    expect(res.status).toBe(414);
    expect(problemOf(res).code).toBe('NR_ERR_URL_TOO_LONG');
  });

  it('a request line over the header limit is a 431 problem with a code', async () => {
    const res = await rawRequest(`${rt.rest}/v1/api/bulk/syncs?x=${'a'.repeat(20_000)}`, {});
    expect(res.status).toBe(431);
    expect(problemOf(res).code).toBe('NR_ERR_URL_TOO_LONG');
  });

  it('the MCP adapter keeps its own 403 (JSON-RPC) for a foreign Origin', async () => {
    const res = await rawRequest(rt.mcp, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', origin: 'http://evil.example' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(403);
    expect(res.text).toContain('NR_ERR_MCP_ORIGIN_REJECTED');
  });
});

describe('REST on a non-loopback address', () => {
  let upstream: Recorder;
  let app: ReturnType<typeof buildRestApp>;
  let invoker: Invoker;
  let base: string;

  beforeAll(async () => {
    upstream = await startRecorder();
    const { model } = loadCapability(BULKSYNC, { env: { POLYTOMIC_API_KEY: KEY } });
    invoker = new Invoker(model, { ...DEFAULT_INVOKER_OPTIONS, baseUriOverrides: new Map([[CONSUMES_NS, upstream.url]]) });
    const adapter = model.exposes.find((a) => a.namespace === REST_NS) as RestAdapter;
    // configured as if it listened on every interface; the test socket itself stays on 127.0.0.1
    app = buildRestApp(adapter, invoker, { logger: false, host: '0.0.0.0' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await invoker?.close();
    await upstream?.close();
  });

  it('does not check Host or Origin (it is reached by other names)', async () => {
    const res = await rawRequest(base + '/v1/api/bulk/syncs', { headers: { host: 'api.example.com:8080', origin: 'https://app.example.com' } });
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });

  it('still refuses non-JSON bodies on operation routes', async () => {
    const res = await rawRequest(base + ACTIVATE, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(415);
  });
});

describe('the Host/Origin check', () => {
  it('is on for loopback addresses only', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'api.example.com']) expect(isLoopback(host), host).toBe(false);
  });

  it('accepts local Host and Origin names, and nothing else', () => {
    expect(isLocalRequest('127.0.0.1:8080', undefined)).toBe(true);
    expect(isLocalRequest('localhost', 'http://localhost:5173')).toBe(true);
    expect(isLocalRequest('[::1]:8080', 'https://127.0.0.1')).toBe(true);
    expect(isLocalRequest(undefined, undefined)).toBe(false);
    expect(isLocalRequest('evil.example:8080', undefined)).toBe(false);
    expect(isLocalRequest('127.0.0.1:8080', 'http://evil.example')).toBe(false);
    expect(isLocalRequest('127.0.0.1:8080', 'null')).toBe(false);
    expect(isLocalRequest('127.0.0.1.evil.example', undefined)).toBe(false);
  });
});
