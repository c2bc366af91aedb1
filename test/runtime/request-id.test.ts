/**
 * Request ids (issue 9 §7): a sane caller `x-request-id` is kept, anything else is replaced by a UUID;
 * the id is answered back, names the request's log line and goes upstream with each call it makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { call, jsonInit, startRecorder, tmpDir, type Recorder, type TmpDir, until } from './helpers.js';
import { OBSERVED } from './observed-fixture.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('x-request-id', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  let runtime: Runtime;
  let rest = '';
  let mcp = '';
  let control = '';
  let log = '';

  beforeAll(async () => {
    upstream = await startRecorder((req) => (req.path === '/stock' ? { status: 200, body: { count: 1 } } : { status: 200, body: { id: 'x', name: 'w' } }));
    dir = tmpDir();
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => (log += d.toString()));
    runtime = await startRuntime({ files: [dir.write('ids.yaml', OBSERVED(upstream.url))], ports: new Map([['control', 0], ['shop-rest', 0], ['shop-mcp', 0]]), logLevel: 'info', logStream: stream, env: {}, invoker: { retries: 0 } });
    const url = (t: string) => runtime.adapters.find((a) => a.type === t)!.url;
    [rest, mcp, control] = [url('rest'), url('mcp'), url('control')];
  });
  afterAll(async () => {
    await runtime?.close();
    await upstream?.close();
    dir?.remove();
  });

  it('keeps the caller\'s id, answers it, logs it and sends it with every upstream call of an orchestration', async () => {
    upstream.requests.length = 0;
    const res = await fetch(`${rest}/items/a1/stock`, { headers: { 'x-request-id': 'order-42.retry:1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('order-42.retry:1');
    expect(upstream.requests).toHaveLength(2);
    expect(upstream.requests.map((r) => r.headers['x-request-id'])).toEqual(['order-42.retry:1', 'order-42.retry:1']);
    await until(() => log.includes('"reqId":"order-42.retry:1"'));
  });

  it('makes a UUID when the caller sent none, or one that is not a sane token', async () => {
    for (const given of [undefined, 'has spaces', 'x'.repeat(129), 'line\tbreak']) {
      upstream.requests.length = 0;
      const res = await fetch(`${rest}/items/b2`, { headers: given ? { 'x-request-id': given } : {} });
      const id = res.headers.get('x-request-id')!;
      expect(id).toMatch(UUID);
      expect(upstream.requests[0]!.headers['x-request-id']).toBe(id);
    }
    const a = (await fetch(`${rest}/items/c`)).headers.get('x-request-id');
    const b = (await fetch(`${rest}/items/c`)).headers.get('x-request-id');
    expect(a).not.toBe(b);
  });

  it('works the same on MCP (tools/call) and on the control adapter, and on error answers', async () => {
    upstream.requests.length = 0;
    const res = await fetch(mcp, jsonInit('POST', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get-item', arguments: { id: 'm1' } } }, { accept: 'application/json, text/event-stream', 'x-request-id': 'mcp-call-7' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('mcp-call-7');
    await res.text();
    expect(upstream.requests[0]!.headers['x-request-id']).toBe('mcp-call-7');
    expect((await fetch(`${control}/health/live`, { headers: { 'x-request-id': 'probe-1' } })).headers.get('x-request-id')).toBe('probe-1');
    const missing = await fetch(`${rest}/no/such/route`, { headers: { 'x-request-id': 'lost-1' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBe('lost-1');
  });

  it('does not replace an x-request-id header the operation itself sends', async () => {
    const spec = OBSERVED(upstream.url).replace(
      '            - name: get-stock\n              method: GET\n',
      '            - name: get-stock\n              method: GET\n              inputParameters:\n                - name: x-request-id\n                  in: header\n                  value: fixed-by-capability\n',
    );
    const own = await startRuntime({ files: [dir.write('own.yaml', spec)], ports: new Map([['control', 0], ['shop-rest', 0], ['shop-mcp', 0]]), logLevel: 'silent', env: {} });
    try {
      upstream.requests.length = 0;
      await call(`${own.adapters.find((a) => a.type === 'rest')!.url}/items/z/stock`, { headers: { 'x-request-id': 'caller-1' } });
      expect(upstream.requests.map((r) => [r.path, r.headers['x-request-id']]).sort()).toEqual([['/items/z', 'caller-1'], ['/stock', 'fixed-by-capability']]);
    } finally {
      await own.close();
    }
  });
});
