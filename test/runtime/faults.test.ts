/**
 * Upstream faults: unreachable → 502, too slow → 504 (both problem+json made by the runtime), upstream
 * errors and empty answers passed through as they are, an unreadable body under a mapping → 502.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SYNC_ID } from './bulksync-cases.js';
import {
  KEY, call, closedPort, isProblem, mcpClient, start, startMapped, startRecorder, tmpDir, type Recorder, type Started, type TmpDir,
} from './helpers.js';

type TextResult = { content: { type: string; text: string }[]; structuredContent?: unknown; isError?: boolean };

describe('upstream unreachable', () => {
  let rt: Started;
  let client: Client;
  beforeAll(async () => {
    rt = await start({ upstream: `http://127.0.0.1:${await closedPort()}`, env: { POLYTOMIC_API_KEY: KEY } });
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
  });

  it('REST: connection refused is a 502 problem that never shows the key', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}`);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ status: 502 });
    expect(res.json.detail).toBeTruthy();
    expect(res.text).not.toContain(KEY);
  });

  it('MCP: connection refused is an isError result naming 502', async () => {
    const r = (await client.callTool({ name: 'get-bulk-sync', arguments: { id: SYNC_ID } })) as TextResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('502');
    expect(r.content[0]!.text).not.toContain(KEY);
  });
});

describe('upstream slower than the response timeout', () => {
  let upstream: Recorder;
  let rt: Started;
  let client: Client;
  beforeAll(async () => {
    upstream = await startRecorder(() => ({ status: 200, body: { data: 'too late' }, delayMs: 3_000 }));
    rt = await start({ upstream: upstream.url, env: { POLYTOMIC_API_KEY: KEY }, invoker: { responseTimeoutMs: 300 } });
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
    await upstream?.close();
  });

  it('REST: 504 problem, soon after the timeout', async () => {
    const t0 = Date.now();
    const res = await call(`${rt.rest}/v1/api/bulk/syncs`);
    const elapsed = Date.now() - t0;
    expect(res.status).toBe(504);
    expect(isProblem(res)).toBe(true);
    expect(res.json).toMatchObject({ status: 504 });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('MCP: an isError result naming 504', async () => {
    const r = (await client.callTool({ name: 'list-bulk-syncs', arguments: {} })) as TextResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('504');
  });
});

describe('upstream answers that pass through', () => {
  let upstream: Recorder;
  let rt: Started;
  let client: Client;
  beforeAll(async () => {
    upstream = await startRecorder();
    rt = await start({ upstream: upstream.url, env: { POLYTOMIC_API_KEY: KEY } });
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
    await upstream?.close();
  });

  const body500 = '{"status":500,"message":"internal error"}';

  it('REST: a 500 with a body is a 500 with the same body and type', async () => {
    upstream.answer = () => ({ status: 500, headers: { 'content-type': 'application/json' }, body: body500 });
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}/status`);
    expect(res.status).toBe(500);
    expect(res.text).toBe(body500);
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it('REST: a 503 text body passes through as text', async () => {
    upstream.answer = () => ({ status: 503, headers: { 'content-type': 'text/plain', 'retry-after': '30' }, body: 'maintenance' });
    const res = await call(`${rt.rest}/v1/api/bulk/syncs`);
    expect(res.status).toBe(503);
    expect(res.text).toBe('maintenance');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('retry-after')).toBe('30');
  });

  it('MCP: a 500 is an isError result with the status and the body', async () => {
    upstream.answer = () => ({ status: 500, headers: { 'content-type': 'application/json' }, body: body500 });
    const r = (await client.callTool({ name: 'get-bulk-sync-status', arguments: { id: SYNC_ID } })) as TextResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('500');
    expect(r.content[0]!.text).toContain(body500);
  });

  it('REST: a 204 is a 204 with no body and no content type', async () => {
    upstream.answer = () => ({ status: 204 });
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.get('content-type')).toBeNull();
  });

  it('REST: an empty 200 is an empty 200', async () => {
    upstream.answer = () => ({ status: 200, body: '' });
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });

  it('REST: garbage on a pass-through route is passed through, not parsed', async () => {
    upstream.answer = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"data": [1, 2' });
    const res = await call(`${rt.rest}/v1/api/bulk/syncs`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"data": [1, 2');
  });

  it('REST: a redirect is not followed; it is passed to the caller', async () => {
    upstream.answer = () => ({ status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' }, body: '' });
    const res = await call(`${rt.rest}/v1/api/bulk/syncs`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://127.0.0.1:9/elsewhere');
    expect(upstream.requests.filter((r) => r.url === '/elsewhere')).toHaveLength(0);
  });
});

describe('garbage JSON under a mapped output', () => {
  let upstream: Recorder;
  let rt: Started;
  let dir: TmpDir;
  let client: Client;
  beforeAll(async () => {
    upstream = await startRecorder(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"name": "anvil", ' }));
    dir = tmpDir();
    rt = await startMapped(dir, upstream.url);
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });
  afterEach(() => {
    expect(upstream.requests).toHaveLength(1);
  });

  it('REST: 502 problem', async () => {
    const res = await call(`${rt.rest}/things/t1`);
    expect(res.status).toBe(502);
    expect(isProblem(res)).toBe(true);
    expect(res.json).toMatchObject({ status: 502 });
  });

  it('MCP: an isError result naming 502', async () => {
    const r = (await client.callTool({ name: 'get-thing', arguments: { id: 't1' } })) as TextResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('502');
  });
});
