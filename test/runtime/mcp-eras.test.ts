/**
 * Both MCP protocol eras on one adapter (issue 8 §3): a 2026-07-28 exchange (raw requests with the
 * per-request `_meta` envelope and the Mcp-Method/Mcp-Name headers, and the official 2.x client) and a
 * 2025-11-25 one (the SDK 1.x Client) against the same URL in the same test; headers that disagree with
 * the body refused; log notifications for a call's upstream steps in both eras; resources/list pages;
 * completion/complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from '@modelcontextprotocol/client';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { mcpClient, mcpError, serveLocal, tmpDir, type TmpDir } from './helpers.js';

const SPEC = (upstream: string, folder: string) => `
naftiko: 1.0.0-alpha3
info:
  label: Two eras
  description: one adapter for 2025 and 2026-07-28 clients
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "${upstream}"
      resources:
        - { name: a, path: /a, operations: [{ name: get-a, method: GET }] }
        - { name: b, path: /b, operations: [{ name: get-b, method: GET }] }
        - name: flags
          path: /flags
          operations:
            - name: get-flags
              method: GET
              inputParameters:
                - { name: active, in: query, type: boolean, description: only the active ones }
  exposes:
    - type: mcp
      namespace: tools
      port: 1
      description: Two eras, one adapter.
      tools:
        - { name: get-a, description: the A document, call: up.get-a }
        - name: two-steps
          description: A then B
          steps:
            - { name: first, type: call, call: up.get-a }
            - { name: second, type: call, call: up.get-b }
          mappings:
            - { targetName: a, value: $.first.v }
            - { targetName: b, value: $.second.v }
          outputParameters:
            - { name: a, type: string }
            - { name: b, type: string }
      resources:
        - { name: files, label: Files, description: many files, uri: "files://all", location: "file://${folder}" }
        - name: flags
          label: Flags
          description: flags by activity
          uri: "flags://list/{active}"
          call: up.get-flags
      prompts:
        - name: greet
          label: Greet
          description: a greeting
          arguments:
            - { name: who, description: whom to greet }
          template:
            - { role: user, content: "Hello {{who}}" }
`;

const V = '2026-07-28';
const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };

describe('MCP protocol eras on one adapter', () => {
  let upstream: Awaited<ReturnType<typeof serveLocal>>;
  let dir: TmpDir;
  let runtime: Runtime;
  let mcp = '';

  beforeAll(async () => {
    upstream = await serveLocal((req: IncomingMessage, res) => {
      req.resume();
      const v = req.url === '/a' ? 'A' : req.url === '/b' ? 'B' : req.url?.startsWith('/flags') ? req.url : undefined;
      if (v === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ v }));
    });
    dir = tmpDir();
    for (let i = 0; i < 105; i++) dir.write(`f${String(i).padStart(3, '0')}.txt`, `file ${i}`);
    const spec = tmpDir();
    runtime = await startRuntime({ files: [spec.write('eras.yaml', SPEC(upstream.url, dir.dir))], ports: new Map([['tools', 0]]), logLevel: 'silent', env: {}, invoker: { retries: 0 } });
    mcp = runtime.adapters[0]!.url;
  });
  afterAll(async () => {
    await runtime?.close();
    await upstream?.close();
    dir?.remove();
  });

  /** one 2026-07-28 POST: the envelope in params._meta, the standard headers (override or drop with `headers`) */
  const modern = async (method: string, params: Record<string, unknown> = {}, headers: Record<string, string | undefined> = {}, id: number | null = 1) => {
    const name = typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
    const all: Record<string, string | undefined> = {
      'content-type': 'application/json', accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V, 'mcp-method': method, ...(name !== undefined ? { 'mcp-name': name } : {}), ...headers,
    };
    const res = await fetch(mcp, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
      body: JSON.stringify({ jsonrpc: '2.0', ...(id !== null ? { id } : {}), method, params: { ...params, _meta: { ...ENVELOPE, ...(params._meta as object) } } }),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
  };

  it('serves a 2026-07-28 exchange and a 2025-11-25 one on the same adapter', async () => {
    // 2026-07-28, raw: no initialize; server/discover first, then calls, each with its envelope and headers
    const discover = await modern('server/discover');
    expect(discover.status).toBe(200);
    expect(discover.body.result).toMatchObject({
      resultType: 'complete', supportedVersions: [V], serverInfo: { name: 'Two eras' }, instructions: 'Two eras, one adapter.',
      capabilities: { tools: {}, resources: {}, prompts: {}, logging: {}, completions: {} },
    });
    const list = await modern('tools/list');
    expect(list.body.result.tools.map((t: { name: string }) => t.name)).toEqual(['get-a', 'two-steps']);
    expect(list.body.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'public' });
    const call = await modern('tools/call', { name: 'two-steps', arguments: {} });
    expect(call.type).toContain('application/json');
    expect(call.body.result).toMatchObject({ resultType: 'complete', structuredContent: { a: 'A', b: 'B' } });
    expect(call.body.result.ttlMs).toBeUndefined();
    // an Mcp-Name value in the =?base64?…?= form is decoded before it is compared
    const b64 = await modern('tools/call', { name: 'get-a', arguments: {} }, { 'mcp-name': `=?base64?${Buffer.from('get-a').toString('base64')}?=` });
    expect(b64.body.result.structuredContent).toEqual({ v: 'A' });

    // 2026-07-28, the official 2.x client pinned to the revision
    const modernClient = new Client2({ name: 'eras-test', version: '1' }, { versionNegotiation: { mode: { pin: V } } });
    await modernClient.connect(new Transport2(new URL(mcp)));
    try {
      expect(modernClient.getNegotiatedProtocolVersion()).toBe(V);
      expect((await modernClient.listTools()).tools).toHaveLength(2);
      expect((await modernClient.callTool({ name: 'get-a', arguments: {} })).structuredContent).toEqual({ v: 'A' });
      expect((await modernClient.readResource({ uri: 'flags://list/true' })).contents[0]).toMatchObject({ uri: 'flags://list/true' });
      expect((await modernClient.getPrompt({ name: 'greet', arguments: { who: 'Ada' } })).messages[0]!.content).toEqual({ type: 'text', text: 'Hello Ada' });
    } finally {
      await modernClient.close();
    }

    // 2025-11-25, the SDK 1.x client: initialize, then the same tools
    const legacy = await mcpClient(mcp);
    try {
      expect(legacy.getServerVersion()).toMatchObject({ name: 'Two eras' });
      expect((await legacy.listTools()).tools.map((t) => t.name)).toEqual(['get-a', 'two-steps']);
      expect((await legacy.callTool({ name: 'two-steps', arguments: {} })).structuredContent).toEqual({ a: 'A', b: 'B' });
    } finally {
      await legacy.close();
    }
  });

  it('refuses a 2026-07-28 request whose headers disagree with its body: 400, -32020', async () => {
    const refused = async (r: Promise<{ status: number; body: { error?: { code: number; message: string } } }>, code = -32020) => {
      const { status, body } = await r;
      expect(status).toBe(400);
      expect(body.error?.code, JSON.stringify(body)).toBe(code);
      return body.error!.message;
    };
    expect(await refused(modern('tools/call', { name: 'get-a', arguments: {} }, { 'mcp-method': 'tools/list' }))).toMatch(/names method tools\/call but Mcp-Method names tools\/list.*NR_ERR_MCP_HEADER_MISMATCH/);
    expect(await refused(modern('tools/call', { name: 'get-a', arguments: {} }, { 'mcp-name': 'two-steps' }))).toMatch(/params.name "get-a" but Mcp-Name names "two-steps"/);
    expect(await refused(modern('resources/read', { uri: 'flags://list/true' }, { 'mcp-name': 'flags://list/false' }))).toMatch(/params.uri/);
    expect(await refused(modern('tools/list', {}, { 'mcp-protocol-version': '2025-11-25' }))).toMatch(/MCP-Protocol-Version names 2025-11-25/);
    expect(await refused(modern('tools/list', {}, { 'mcp-method': undefined }))).toMatch(/Mcp-Method header is required/);
    expect(await refused(modern('tools/call', { name: 'get-a' }, { 'mcp-name': undefined }))).toMatch(/Mcp-Name header is required/);
    expect(await refused(modern('tools/list', {}, { 'mcp-protocol-version': undefined }))).toMatch(/MCP-Protocol-Version header is required/);
    expect(await refused(modern('tools/call', { name: 'get-a' }, { 'mcp-name': '=?base64?***?=' }))).toMatch(/invalid =\?base64/);
    // an unknown revision names the supported ones; a modern header without the envelope is invalid params
    const unsupported = await modern('tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': '2027-01-01' } }, { 'mcp-protocol-version': '2027-01-01' });
    expect(unsupported).toMatchObject({ status: 400, body: { error: { code: -32022, data: { supported: [V], requested: '2027-01-01' } } } });
    const bare = await fetch(mcp, { method: 'POST', headers: { 'content-type': 'application/json', 'mcp-protocol-version': V, 'mcp-method': 'tools/list' }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }) });
    expect(bare.status).toBe(400);
    expect((await bare.json()).error.code).toBe(-32602);
    // nothing was called upstream by any of them; the same request with agreeing headers is served
    expect((await modern('tools/call', { name: 'get-a', arguments: {} })).status).toBe(200);
  });

  it('2026-07-28 has no initialize (404, -32601) and takes notifications with 202', async () => {
    const init = await modern('initialize', { protocolVersion: V, capabilities: {}, clientInfo: { name: 'x', version: '1' } });
    expect(init.status).toBe(404);
    expect(init.body.error.code).toBe(-32601);
    expect((await modern('logging/setLevel', { level: 'debug' })).status).toBe(404);
    expect((await modern('notifications/cancelled', { requestId: 99 }, {}, null)).status).toBe(202);
  });

  it('sends notifications/message for each upstream step, to a 2025 client that set a level and a 2026 request that asks', async () => {
    const legacy = await mcpClient(mcp);
    try {
      const logs: { level: string; logger?: string; data: Record<string, unknown> }[] = [];
      legacy.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params as never));
      await legacy.callTool({ name: 'two-steps', arguments: {} });
      expect(logs).toEqual([]);  // no level set: no log messages
      await legacy.setLoggingLevel('debug');
      await legacy.callTool({ name: 'two-steps', arguments: {} });
      expect(logs.map((l) => `${l.level} ${l.logger} ${l.data.event}`)).toEqual([
        'debug tool two-steps started',
        'debug step first started', 'debug step second started',
        'info step first done', 'info step second done',
        'info tool two-steps done',
      ]);
      expect(logs[3]!.data).toMatchObject({ step: 'first', call: 'up.get-a', status: 200, ms: expect.any(Number) });
      logs.length = 0;
      await legacy.setLoggingLevel('info');
      await legacy.callTool({ name: 'two-steps', arguments: {} });
      expect(logs.map((l) => l.level)).toEqual(['info', 'info', 'info']);
    } finally {
      await legacy.close();
    }

    const asked = await modern('tools/call', { name: 'two-steps', arguments: {}, _meta: { 'io.modelcontextprotocol/logLevel': 'info' } });
    expect(asked.type).toContain('text/event-stream');
    const events = asked.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    expect(events.filter((e) => e.method === 'notifications/message').map((e) => `${e.params.level} ${e.params.logger}`)).toEqual(['info step first', 'info step second', 'info tool two-steps']);
    expect(events.at(-1)).toMatchObject({ id: 1, result: { resultType: 'complete', structuredContent: { a: 'A', b: 'B' } } });
    const progress = await modern('tools/call', { name: 'two-steps', arguments: {}, _meta: { progressToken: 'p1' } });
    const progressEvents = progress.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    expect(progressEvents.filter((e) => e.method === 'notifications/progress').map((e) => e.params)).toEqual([
      { progressToken: 'p1', progress: 1, total: 2, message: 'step "first" done' },
      { progressToken: 'p1', progress: 2, total: 2, message: 'step "second" done' },
    ]);
    const quiet = await modern('tools/call', { name: 'two-steps', arguments: {} });
    expect(quiet.type).toContain('application/json');
  });

  it('pages resources/list with a cursor, and refuses a forged one', async () => {
    const client = await mcpClient(mcp);
    try {
      const first = await client.listResources();
      expect(first.resources).toHaveLength(100);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await client.listResources({ cursor: first.nextCursor });
      expect(second.resources.map((r) => r.name)).toEqual(['f100.txt', 'f101.txt', 'f102.txt', 'f103.txt', 'f104.txt']);
      expect(second.nextCursor).toBeUndefined();
      const all = [...first.resources, ...second.resources].map((r) => r.uri);
      expect(new Set(all).size).toBe(105);
      const bad = await mcpError(client.listResources({ cursor: 'not a cursor' }));
      expect(bad.code).toBe(-32602);
      expect(bad.message).toMatch(/NR_ERR_MCP_CURSOR/);
    } finally {
      await client.close();
    }
    const modernPage = await modern('resources/list', { cursor: undefined });
    expect(modernPage.body.result).toMatchObject({ resultType: 'complete', nextCursor: expect.any(String) });
  });

  it('completes a template variable from its type, and a prompt argument with no values', async () => {
    const client = await mcpClient(mcp);
    try {
      expect(client.getServerCapabilities()?.completions).toEqual({});
      const flags = await client.complete({ ref: { type: 'ref/resource', uri: 'flags://list/{active}' }, argument: { name: 'active', value: 't' } });
      expect(flags.completion).toEqual({ values: ['true'], total: 1, hasMore: false });
      const both = await client.complete({ ref: { type: 'ref/resource', uri: 'flags://list/{active}' }, argument: { name: 'active', value: '' } });
      expect(both.completion.values).toEqual(['true', 'false']);
      const who = await client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'A' } });
      expect(who.completion).toEqual({ values: [], total: 0, hasMore: false });
      expect((await mcpError(client.complete({ ref: { type: 'ref/prompt', name: 'nope' }, argument: { name: 'who', value: '' } }))).code).toBe(-32602);
      expect((await mcpError(client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'whom', value: '' } }))).code).toBe(-32602);
    } finally {
      await client.close();
    }
  });
});
