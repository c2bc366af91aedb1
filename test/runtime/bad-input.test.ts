/**
 * Bad input is refused before any upstream call, as 400 application/problem+json naming the input (REST)
 * or JSON-RPC -32602 naming the argument (MCP); values never change the shape of the upstream path.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  KEY, call, isProblem, jsonInit, mcpClient, mcpError, start, startRecorder, tmpDir, type Recorder, type Reply, type Started, type TmpDir,
} from './helpers.js';

/** A small capability: a required query input, a typed query input, and a header fed from a query input. */
const SMALL = `
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: search
          path: /search
          operations:
            - name: search
              method: GET
              inputParameters:
                - name: q
                  in: query
                  type: string
                  required: true
                - name: limit
                  in: query
                  type: integer
        - name: echo
          path: /echo
          operations:
            - name: echo
              method: GET
              inputParameters:
                - name: X-Trace
                  in: header
                  type: string
  exposes:
    - type: rest
      namespace: small-rest
      port: 8080
      resources:
        - path: /search
          name: search
          operations:
            - method: GET
              name: search
              call: up.search
              with:
                q: rest.q
                limit: rest.limit
        - path: /echo
          name: echo
          operations:
            - method: GET
              name: echo
              call: up.echo
              inputParameters:
                - name: v
                  in: query
                  type: string
                  description: trace id, sent upstream as X-Trace
              with:
                X-Trace: rest.v
`;

function expectBadInput(res: Reply, name: string): void {
  expect(res.status).toBe(400);
  expect(isProblem(res)).toBe(true);
  expect(res.json.status).toBe(400);
  expect(res.json.detail).toContain(name);
  expect(res.json.invalid_params?.map((p: { name: string }) => p.name)).toContain(name);
}

describe('bad input on the bulk-sync capability', () => {
  let upstream: Recorder;
  let rt: Started;
  let mcp: Client;

  beforeAll(async () => {
    upstream = await startRecorder();
    rt = await start({ upstream: upstream.url, env: { POLYTOMIC_API_KEY: KEY } });
    mcp = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await mcp?.close();
    await rt?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('REST: active=maybe is a 400 problem naming "active", and nothing goes upstream', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs?active=maybe`);
    expectBadInput(res, 'active');
    expect(upstream.requests).toHaveLength(0);
  });

  it('REST: a boolean query input accepts true and false', async () => {
    expect((await call(`${rt.rest}/v1/api/bulk/syncs?active=true`)).status).toBe(200);
    expect((await call(`${rt.rest}/v1/api/bulk/syncs?active=false`)).status).toBe(200);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/api/bulk/syncs?active=true', '/api/bulk/syncs?active=false']);
  });

  it('MCP: get-bulk-sync without id is -32602 naming "id", and nothing goes upstream', async () => {
    const e = await mcpError(mcp.callTool({ name: 'get-bulk-sync', arguments: {} }));
    expect(e.code).toBe(ErrorCode.InvalidParams);
    expect(e.message).toContain('id');
    expect(upstream.requests).toHaveLength(0);
  });

  it('REST: id "../../admin" reaches upstream as ONE encoded segment', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/..%2F..%2Fadmin`);
    expect(res.status).toBe(200);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/api/bulk/syncs/..%2F..%2Fadmin']);
  });

  it('REST: an id with "/", space, "?" and "#" stays one segment', async () => {
    await call(`${rt.rest}/v1/api/bulk/syncs/a%2Fb%20c%3Fd%23e/status`);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/api/bulk/syncs/a%2Fb%20c%3Fd%23e/status']);
  });

  it('MCP: id "../../admin" reaches upstream as ONE encoded segment', async () => {
    const r = await mcp.callTool({ name: 'get-bulk-sync-status', arguments: { id: '../../admin' } });
    expect(r.isError).toBeFalsy();
    expect(upstream.requests.map((x) => x.url)).toEqual(['/api/bulk/syncs/..%2F..%2Fadmin/status']);
  });

  it('MCP: a header value with CR/LF is refused (-32602 naming the header), and nothing goes upstream', async () => {
    const e = await mcpError(mcp.callTool({ name: 'get-bulk-sync', arguments: { id: 'x', 'X-Polytomic-Version': '2024-02-08\r\nX-Injected: 1' } }));
    expect(e.code).toBe(ErrorCode.InvalidParams);
    expect(e.message).toContain('X-Polytomic-Version');
    expect(upstream.requests).toHaveLength(0);
  });

  it('REST: malformed JSON on a JSON route is a 400 problem about the body', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": "x",' });
    expect(res.status).toBe(400);
    expect(isProblem(res)).toBe(true);
    expect(res.json.detail).toMatch(/body/i);
    expect(upstream.requests).toHaveLength(0);
  });

  it.each([
    ['text/plain', 'name=x'],
    ['application/x-www-form-urlencoded', 'name=x'],
  ])('REST: a %s body on a JSON route is a 400 or 415 problem, and nothing goes upstream', async (type, body) => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs`, { method: 'POST', headers: { 'content-type': type }, body });
    expect([400, 415]).toContain(res.status);
    expect(isProblem(res)).toBe(true);
    expect(res.json.status).toBe(res.status);
    expect(upstream.requests).toHaveLength(0);
  });

  it('REST: a JSON array where the body must be an object is a 400 problem naming "body"', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${'s1'}`, jsonInit('PUT', [1, 2]));
    expectBadInput(res, 'body');
    expect(upstream.requests).toHaveLength(0);
  });

  it('REST: an unknown route is a 404 problem', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/nothing-here`);
    expect(res.status).toBe(404);
    expect(isProblem(res)).toBe(true);
    expect(res.json.status).toBe(404);
    expect(res.json.detail).toContain('/v1/api/bulk/nothing-here');
    expect(upstream.requests).toHaveLength(0);
  });

  it('REST: a wrong method is a 405 problem with Allow', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/s1`, { method: 'PATCH' });
    expect(res.status).toBe(405);
    expect(isProblem(res)).toBe(true);
    const allow = (res.headers.get('allow') ?? '').split(/,\s*/).sort();
    expect(allow).toEqual(expect.arrayContaining(['DELETE', 'GET', 'PUT']));
    expect(allow).not.toContain('PATCH');
    expect(allow).not.toContain('POST');

    const res2 = await call(`${rt.rest}/v1/api/bulk/syncs/s1/status`, { method: 'POST' });
    expect(res2.status).toBe(405);
    expect(isProblem(res2)).toBe(true);
    expect((res2.headers.get('allow') ?? '').split(/,\s*/)).toContain('GET');
    expect(res2.headers.get('allow')).not.toContain('POST');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('bad input on a capability with a required query input and a header fed from a query input', () => {
  let upstream: Recorder;
  let rt: Started;
  let dir: TmpDir;

  beforeAll(async () => {
    upstream = await startRecorder();
    dir = tmpDir();
    rt = await start({ file: dir.write('small.yaml', SMALL), baseUris: new Map([['up', upstream.url]]), env: {} });
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('a missing required query input is a 400 problem naming it', async () => {
    const res = await call(`${rt.rest}/search?limit=5`);
    expectBadInput(res, 'q');
    expect(upstream.requests).toHaveLength(0);
  });

  it('an integer input that is not an integer is a 400 problem naming it', async () => {
    expectBadInput(await call(`${rt.rest}/search?q=x&limit=abc`), 'limit');
    expectBadInput(await call(`${rt.rest}/search?q=x&limit=1.5`), 'limit');
    expect(upstream.requests).toHaveLength(0);
  });

  it('every bad input is named at once', async () => {
    const res = await call(`${rt.rest}/search?limit=abc`);
    expect(res.status).toBe(400);
    expect(res.json.invalid_params.map((p: { name: string }) => p.name).sort()).toEqual(['limit', 'q']);
  });

  it('good input goes upstream, encoded', async () => {
    const res = await call(`${rt.rest}/search?q=a%20b%26c&limit=5`);
    expect(res.status).toBe(200);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/search?q=a%20b%26c&limit=5']);
  });

  it.each(['a%0d%0ab', 'a%0d%0aX-Injected:%201', 'a%0ab', 'a%0db'])('a header value with CR/LF (fed from ?v=%s) is a 400 problem, and nothing goes upstream', async (v) => {
    const res = await call(`${rt.rest}/echo?v=${v}`);
    expect(res.status).toBe(400);
    expect(isProblem(res)).toBe(true);
    const named = res.json.invalid_params?.map((p: { name: string }) => p.name) ?? [];
    expect(named.some((n: string) => n === 'v' || n === 'X-Trace')).toBe(true);
    expect(upstream.requests).toHaveLength(0);
  });

  it('a plain header value fed from a query input goes upstream', async () => {
    await call(`${rt.rest}/echo?v=trace-1`);
    expect(upstream.requests[0]!.headers['x-trace']).toBe('trace-1');
  });
});
