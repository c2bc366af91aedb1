/** MCP adapter over capabilities/bulksync.yaml, driven by the official SDK client (Streamable HTTP). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { API_VERSION, OPERATIONS, SYNC_ID, expectUpstreamRequest } from './bulksync-cases.js';
import { KEY, mcpClient, mcpError, rawRequest, start, startRecorder, type Recorder, type Started } from './helpers.js';

type TextResult = { content: { type: string; text: string }[]; structuredContent?: unknown; isError?: boolean };

/** hints in capabilities/bulksync.yaml, as MCP annotations */
const ANNOTATIONS: Record<string, { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean }> = {
  'list-bulk-syncs': { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  'create-bulk-sync': { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  'get-bulk-sync': { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  'update-bulk-sync': { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  'delete-bulk-sync': { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  'activate-bulk-sync': { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  'cancel-bulk-sync': { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  'start-bulk-sync-execution': { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  'get-bulk-sync-status': { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  'get-bulk-source': { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  'get-bulk-destination': { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
};

describe('MCP adapter: tools of the bulk-sync capability', () => {
  let upstream: Recorder;
  let rt: Started;
  let client: Client;
  let tools: Tool[];

  beforeAll(async () => {
    upstream = await startRecorder();
    rt = await start({ upstream: upstream.url, env: { POLYTOMIC_API_KEY: KEY } });
    client = await mcpClient(rt.mcp);
    tools = (await client.listTools()).tools;
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  const tool = (name: string) => tools.find((t) => t.name === name)!;

  it('serves /mcp on 127.0.0.1', () => {
    expect(rt.mcp).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('tools/list shows the 11 tools with descriptions and annotations from hints', () => {
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(ANNOTATIONS).sort());
    for (const t of tools) {
      expect(t.annotations, t.name).toMatchObject(ANNOTATIONS[t.name]!);
      expect(t.description, t.name).toBeTruthy();
    }
    expect(tool('delete-bulk-sync').description).toBe('Delete Bulk Sync');
  });

  it('input schemas carry types, descriptions and required, and never Authorization', () => {
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      const props = t.inputSchema.properties ?? {};
      expect(Object.keys(props).map((k) => k.toLowerCase()), t.name).not.toContain('authorization');
      expect(props['X-Polytomic-Version'], t.name).toMatchObject({ type: 'string' });
      expect(t.inputSchema.required ?? [], t.name).not.toContain('X-Polytomic-Version');
    }
    const get = tool('get-bulk-sync').inputSchema;
    expect(get.properties).toMatchObject({ id: { type: 'string' }, refresh_schemas: { type: 'boolean' } });
    expect(get.required).toEqual(['id']);

    const list = tool('list-bulk-syncs').inputSchema;
    expect(list.properties?.active).toMatchObject({ type: 'boolean', description: expect.stringContaining('active') });
    expect(list.required ?? []).toEqual([]);

    const create = tool('create-bulk-sync').inputSchema;
    expect(create.properties?.body).toMatchObject({ type: 'object' });
    expect(Object.keys(create.properties ?? {}).sort()).toEqual(['X-Polytomic-Version', 'body']);

    expect(tool('get-bulk-source').inputSchema.properties?.include_fields).toMatchObject({ type: 'boolean' });
    expect(tool('cancel-bulk-sync').inputSchema.properties?.id).toMatchObject({ type: 'string', description: expect.stringContaining('cancel') });
    for (const name of Object.keys(ANNOTATIONS).filter((n) => !['list-bulk-syncs', 'create-bulk-sync'].includes(n))) {
      expect(tool(name).inputSchema.required, name).toContain('id');
    }
  });

  it.each(OPERATIONS)('$tool: forwards like REST $op and returns the upstream answer', async (c) => {
    upstream.answer = () => ({ status: c.answer.status, headers: { 'content-type': 'application/json' }, body: c.answer.text });
    const r = (await client.callTool({ name: c.tool, arguments: c.args })) as TextResult;

    expect(upstream.requests).toHaveLength(1);
    expectUpstreamRequest(upstream.requests[0], c);
    expect(r.isError).toBeFalsy();
    expect(r.content).toEqual([{ type: 'text', text: c.answer.text }]);
    expect(r.structuredContent).toEqual(JSON.parse(c.answer.text));
  });

  it('a JSON array answer is text without structuredContent', async () => {
    upstream.answer = () => ({ status: 200, body: [1, 2, 3] });
    const r = (await client.callTool({ name: 'list-bulk-syncs', arguments: {} })) as TextResult;
    expect(r.isError).toBeFalsy();
    expect(JSON.parse(r.content[0]!.text)).toEqual([1, 2, 3]);
    expect(r.structuredContent).toBeUndefined();
  });

  it('an upstream 404 is a result with isError, the status and the body', async () => {
    const body = '{"status":404,"message":"bulk sync not found","key":"not_found"}';
    upstream.answer = () => ({ status: 404, headers: { 'content-type': 'application/json' }, body });
    const r = (await client.callTool({ name: 'get-bulk-sync', arguments: { id: SYNC_ID } })) as TextResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('404');
    expect(r.content[0]!.text).toContain(body);
    expect(upstream.requests).toHaveLength(1);
  });

  it('an upstream 204 is a plain (non-error) result', async () => {
    upstream.answer = () => ({ status: 204 });
    const r = (await client.callTool({ name: 'delete-bulk-sync', arguments: { id: SYNC_ID } })) as TextResult;
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toBeUndefined();
    expect(r.content[0]!.type).toBe('text');
  });

  describe('invalid arguments are JSON-RPC -32602, naming the argument, and nothing goes upstream', () => {
    async function expectInvalid(name: string, args: Record<string, unknown>, argument: string) {
      const e = await mcpError(client.callTool({ name, arguments: args }));
      expect(e.code).toBe(ErrorCode.InvalidParams);
      expect(e.message).toContain(argument);
      expect(upstream.requests).toHaveLength(0);
    }
    it('wrong type', () => expectInvalid('list-bulk-syncs', { active: 'maybe' }, 'active'));
    it('wrong type for an object body', () => expectInvalid('create-bulk-sync', { body: 'not an object' }, 'body'));
    it('missing required', () => expectInvalid('get-bulk-sync-status', { 'X-Polytomic-Version': API_VERSION }, 'id'));
    it('unknown argument', () => expectInvalid('get-bulk-sync', { id: SYNC_ID, refresh: true }, 'refresh'));
    it('a string is not coerced to a boolean (MCP arguments are JSON)', () => expectInvalid('get-bulk-sync', { id: SYNC_ID, refresh_schemas: 'true' }, 'refresh_schemas'));
    it('a fraction for a string argument stays an error', () => expectInvalid('get-bulk-sync', { id: 1.5 }, 'id'));
    it('a boolean for a string argument stays an error', () => expectInvalid('get-bulk-sync', { id: true }, 'id'));
  });

  it('an exact integer for a string argument is taken as its decimal string (the Inspector sends --tool-arg id=1 as 1)', async () => {
    const r = (await client.callTool({ name: 'get-bulk-sync', arguments: { id: 1 } })) as TextResult;
    expect(r.isError).toBeFalsy();
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.url).toMatch(/^\/api\/bulk\/syncs\/1(\?|$)/);
  });

  describe('DNS-rebinding protection on the loopback adapter', () => {
    const initialize = JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'probe', version: '0' } },
    });
    const headers = (extra: Record<string, string>) => ({
      'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extra,
    });

    it('a local Origin is served (control)', async () => {
      const port = new URL(rt.mcp).port;
      const res = await rawRequest(rt.mcp, { method: 'POST', headers: headers({ host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }), body: initialize });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).result.serverInfo).toBeDefined();
    });

    it('Origin: http://evil.example is rejected with 403', async () => {
      const port = new URL(rt.mcp).port;
      const res = await rawRequest(rt.mcp, { method: 'POST', headers: headers({ host: `127.0.0.1:${port}`, origin: 'http://evil.example' }), body: initialize });
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('serverInfo');
    });

    it('Host: evil.example is rejected with 403', async () => {
      const res = await rawRequest(rt.mcp, { method: 'POST', headers: headers({ host: 'evil.example' }), body: initialize });
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('serverInfo');
    });

    it('a rejected tools/call never reaches upstream', async () => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get-bulk-sync', arguments: { id: SYNC_ID } } });
      const res = await rawRequest(rt.mcp, { method: 'POST', headers: headers({ host: 'evil.example:80', origin: 'http://evil.example' }), body });
      expect(res.status).toBe(403);
      expect(upstream.requests).toHaveLength(0);
    });
  });
});
