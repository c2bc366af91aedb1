/** REST adapter over capabilities/bulksync.yaml: every operation, as the upstream sees it and as the caller gets it. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_VERSION, OPERATIONS, SYNC_ID, expectUpstreamRequest } from './bulksync-cases.js';
import { KEY, call, jsonInit, start, startRecorder, type Recorder, type Started } from './helpers.js';

describe('REST adapter: the 11 bulk-sync operations', () => {
  let upstream: Recorder;
  let rt: Started;

  beforeAll(async () => {
    upstream = await startRecorder();
    rt = await start({ upstream: upstream.url, env: { POLYTOMIC_API_KEY: KEY } });
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('serves every operation at its /v1 route on 127.0.0.1', () => {
    const adapter = rt.runtime.adapters.find((a) => a.type === 'rest')!;
    expect(rt.rest).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(adapter.routes).toHaveLength(11);
  });

  it.each(OPERATIONS)('$op: forwards $rest.method $rest.path and returns the upstream answer unchanged', async (c) => {
    upstream.answer = () => ({ status: c.answer.status, headers: { 'content-type': 'application/json' }, body: c.answer.text });
    const headers: Record<string, string> = { 'x-polytomic-version': API_VERSION, 'x-not-declared': 'must-not-travel' };
    const init: RequestInit = c.rest.body === undefined
      ? { method: c.rest.method, headers }
      : jsonInit(c.rest.method, c.rest.body, headers);

    const res = await call(rt.rest + c.rest.path, init);

    expect(upstream.requests).toHaveLength(1);
    const got = upstream.requests[0]!;
    expectUpstreamRequest(got, c);
    expect(got.headers['x-not-declared']).toBeUndefined();
    expect(res.status).toBe(c.answer.status);
    expect(res.text).toBe(c.answer.text);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('sends only declared query parameters, and none when the caller gives none', async () => {
    await call(`${rt.rest}/v1/api/bulk/syncs?active=false&foo=bar&Authorization=x`);
    await call(`${rt.rest}/v1/api/bulk/syncs`);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/api/bulk/syncs?active=false', '/api/bulk/syncs']);
  });

  it('sends no X-Polytomic-Version when the caller sends none', async () => {
    await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}`);
    expect(upstream.requests[0]!.headers['x-polytomic-version']).toBeUndefined();
  });

  it('passes a JSON body through as sent, including an empty object', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}/executions`, jsonInit('POST', {}));
    expect(res.status).toBe(200);
    expect(upstream.requests[0]!.body).toBe('{}');
    expect(upstream.requests[0]!.headers['content-type']).toMatch(/^application\/json/);
  });

  it('a POST without a body sends no body and no Content-Type upstream', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}/executions`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(upstream.requests[0]!.body).toBe('');
    expect(upstream.requests[0]!.headers['content-type']).toBeUndefined();
  });

  it('passes safe response headers (etag, rate limits, retry-after) and keeps others back', async () => {
    upstream.answer = () => ({
      status: 200,
      headers: { etag: '"v1"', 'x-ratelimit-remaining': '41', 'retry-after': '7', 'set-cookie': 'sid=upstream-session', 'x-upstream-internal': 'secret-host-7' },
      body: { data: [] },
    });
    const res = await call(`${rt.rest}/v1/api/bulk/syncs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"v1"');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('41');
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-upstream-internal')).toBeNull();
  });

  it('passes upstream error statuses and bodies through unchanged', async () => {
    const body = '{"status":404,"message":"bulk sync not found","key":"not_found"}';
    upstream.answer = () => ({ status: 404, headers: { 'content-type': 'application/json' }, body });
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}`);
    expect(res.status).toBe(404);
    expect(res.text).toBe(body);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
