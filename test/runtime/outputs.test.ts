/** Mapped outputs (JSONPath, 2xx only) and mock operations, through REST and MCP. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, mcpClient, startMapped, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from './helpers.js';

type TextResult = { content: { type: string; text: string }[]; structuredContent?: unknown; isError?: boolean };

describe('mapped outputs and mocks', () => {
  let upstream: Recorder;
  let rt: Started;
  let dir: TmpDir;
  let client: Client;

  beforeAll(async () => {
    upstream = await startRecorder();
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

  const thing = { name: 'anvil', dims: { size: '3.5' }, secret_field: 'not for callers' };

  it('REST: the answer is built from the mapping (typed), nothing else', async () => {
    upstream.answer = () => ({ status: 200, body: thing });
    const res = await call(`${rt.rest}/things/t%201`);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/things/t%201']);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual({ name: 'anvil', size: 3.5 });
  });

  it('REST: a mapped operation passes a non-2xx answer through unchanged', async () => {
    const body = '{"status":404,"message":"no such thing"}';
    upstream.answer = () => ({ status: 404, headers: { 'content-type': 'application/json' }, body });
    const res = await call(`${rt.rest}/things/t1`);
    expect(res.status).toBe(404);
    expect(res.text).toBe(body);
  });

  it('REST: a mock operation answers from its static values, with no upstream call', async () => {
    const res = await call(`${rt.rest}/hello?who=Ada`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ message: 'Hello, Ada!', source: 'mock' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('MCP: a tool with declared outputs advertises an outputSchema, its label as title, and its hints', async () => {
    const { tools } = await client.listTools();
    const t = tools.find((x) => x.name === 'get-thing')!;
    expect(t.outputSchema).toMatchObject({ type: 'object', properties: { name: { type: 'string' }, size: { type: 'number' } } });
    expect(t.inputSchema).toMatchObject({ properties: { id: { type: 'string' } }, required: ['id'] });
    expect(t.title).toBe('Get thing');
    expect(t.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
  });

  it('MCP: the mapped output is the structuredContent and the text', async () => {
    upstream.answer = () => ({ status: 200, body: thing });
    const r = (await client.callTool({ name: 'get-thing', arguments: { id: 't1' } })) as TextResult;
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ name: 'anvil', size: 3.5 });
    expect(JSON.parse(r.content[0]!.text)).toEqual({ name: 'anvil', size: 3.5 });
  });
});
