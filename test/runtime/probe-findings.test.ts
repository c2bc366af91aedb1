/**
 * The adversarial probe's low and medium findings about what upstreams and callers can throw at the
 * adapters (issue "Hardening"): F4 deep upstream JSON, F11 deep request bodies and impossible
 * statuses, F12 unasked-for gzip, F13 redirects reaching MCP as success, F14 header control
 * characters, F15 oversized MCP bodies. Each answer is checked, and that nothing hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { call, mcpClient, mcpError, tmpDir, type TmpDir } from './helpers.js';

const DEEP_OBJECT = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);

/** Raw answers by path: bodies as bytes, any status, any header. */
function rawUpstream(): Promise<{ url: string; seen: { path: string; headers: Record<string, unknown> }[]; close(): Promise<void> }> {
  const seen: { path: string; headers: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const path = (req.url ?? '').split('?')[0];
    const json = { 'content-type': 'application/json' };
    req.resume();
    switch (path) {
      case '/deep':
        res.writeHead(200, json).end(DEEP_OBJECT);
        return;
      case '/status999':
        res.writeHead(999, json).end('{}');
        return;
      case '/gzip':
        res.writeHead(200, { ...json, 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify({ id: 'z1', name: 'zipped' })));
        return;
      case '/bomb':
        // 64 MiB of zeros compress to ~64 KiB: decompression must stop at the response limit
        res.writeHead(200, { ...json, 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)));
        return;
      case '/moved':
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere', 'content-type': 'text/plain' }).end('moved');
        return;
      default:
        res.writeHead(200, json).end(JSON.stringify({ id: 'x1', name: 'plain', echo: req.headers['x-trace'] ?? null }));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  })));
}

const op = (name: string, path: string, mapped: boolean) => `
            - name: ${name}
              method: GET
              call: up.${name}
              inputParameters:
                - name: trace
                  in: header
                  type: string
                  required: false
                  description: a header value
              with:
                X-Trace: rest.trace
${mapped ? `              outputParameters:
                - type: object
                  properties:
                    name:
                      type: string
                      mapping: $.name` : ''}`;

const ROUTES: [string, boolean][] = [['deep', false], ['deep-mapped', true], ['status999', false], ['gzip', false], ['gzip-mapped', true], ['bomb-mapped', true], ['moved', false]];
const upstreamPath = (name: string) => `/${name.replace('-mapped', '')}`;

const CAPABILITY = `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "{{BASE}}"
      resources:
${ROUTES.map(([name]) => `        - name: ${name}
          path: ${upstreamPath(name)}
          operations:
            - name: ${name}
              method: GET
              inputParameters:
                - name: X-Trace
                  in: header`).join('\n')}
  exposes:
    - type: rest
      namespace: api
      port: 19980
      resources:
${ROUTES.map(([name, mapped]) => `        - name: ${name}
          path: /${name}
          operations:${op(name, `/${name}`, mapped)}`).join('\n')}
    - type: mcp
      namespace: tools
      port: 19981
      tools:
${ROUTES.map(([name, mapped]) => `        - name: ${name}
          description: ${name}
          call: up.${name}
          with:
            X-Trace: tools.trace
          inputParameters:
            - name: trace
              type: string
              required: false
              description: a header value
${mapped ? `          outputParameters:
            - type: object
              properties:
                name:
                  type: string
                  mapping: $.name` : ''}`).join('\n')}
`;

describe('what a hostile upstream or caller cannot do', () => {
  let up: Awaited<ReturnType<typeof rawUpstream>>;
  let dir: TmpDir;
  let runtime: Runtime;
  let rest = '';
  let mcp = '';
  let client: Client;

  beforeAll(async () => {
    up = await rawUpstream();
    dir = tmpDir();
    const file = dir.write('cap.yaml', CAPABILITY.replace('{{BASE}}', up.url));
    runtime = await startRuntime({ files: [file], ports: new Map([['api', 0], ['tools', 0]]), logLevel: 'silent', env: {}, invoker: { maxResponseBytes: 8 * 1024 * 1024 } });
    rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    mcp = runtime.adapters.find((a) => a.type === 'mcp')!.url;
    client = await mcpClient(mcp);
  });
  afterAll(async () => {
    await client.close();
    await runtime.close();
    await up.close();
    dir.remove();
  });

  const tool = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await client.callTool({ name, arguments: args });
    return { isError: r.isError === true, text: (r.content as { text: string }[])[0]!.text, structured: r.structuredContent };
  };

  it('F4: an MCP call over 5,000-level JSON answers at once with a tool error, not a hang', async () => {
    const started = Date.now();
    const r = await tool('deep');
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/NR_ERR_UPSTREAM_BAD_BODY.*nested deeper than 256 levels/);
    const mapped = await tool('deep-mapped');
    expect(mapped.isError).toBe(true);
    expect(mapped.text).toMatch(/nested deeper than 256 levels/);
    expect(Date.now() - started).toBeLessThan(5000);
    // REST: pass-through is bytes (never parsed); a mapped output needs the tree and answers 502
    expect((await call(`${rest}/deep`)).status).toBe(200);
    const m = await call(`${rest}/deep-mapped`);
    expect([m.status, m.json.code]).toEqual([502, 'NR_ERR_UPSTREAM_BAD_BODY']);
  });

  it('F11: a request body nested 20,000 levels deep is a 400 (REST) and a parse error (MCP), not a 500', async () => {
    const body = '{"a":'.repeat(20000) + '1' + '}'.repeat(20000);
    const r = await call(`${rest}/deep`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    // POST is not a method of /deep: the body is refused before routing matters, or the method is
    expect([400, 405]).toContain(r.status);
    const m = await fetch(mcp, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
    expect(m.status).toBe(400);
    expect((await m.json()).error.code).toBe(-32700);
  });

  it('F11: an upstream status 999 is a 502 problem (REST) and a tool error (MCP)', async () => {
    const r = await call(`${rest}/status999`);
    expect([r.status, r.json.code]).toEqual([502, 'NR_ERR_UPSTREAM_BAD_STATUS']);
    const t = await tool('status999');
    expect(t.isError).toBe(true);
    expect(t.text).toContain('NR_ERR_UPSTREAM_BAD_STATUS');
  });

  it('F12: an unasked-for gzip body passes with its Content-Encoding, and is decoded where it is read', async () => {
    const res = await fetch(`${rest}/gzip`);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.json()).toEqual({ id: 'z1', name: 'zipped' }); // fetch decodes what the header announces
    expect((await call(`${rest}/gzip-mapped`)).json).toEqual({ name: 'zipped' });
    expect((await tool('gzip')).structured).toEqual({ id: 'z1', name: 'zipped' });
    expect((await tool('gzip-mapped')).structured).toEqual({ name: 'zipped' });
  });

  it('F12: a decompression bomb stops at the response limit (502 too large)', async () => {
    const r = await call(`${rest}/bomb-mapped`);
    expect([r.status, r.json.code]).toEqual([502, 'NR_ERR_UPSTREAM_TOO_LARGE']);
  });

  it('F13: an upstream redirect reaches an MCP caller as an error naming the Location, never as success', async () => {
    const t = await tool('moved');
    expect(t.isError).toBe(true);
    expect(t.text).toBe('Upstream answered 302 (redirects are not followed; Location: http://127.0.0.1:1/elsewhere): moved');
    const r = await fetch(`${rest}/moved`, { redirect: 'manual' });
    expect([r.status, r.headers.get('location')]).toEqual([302, 'http://127.0.0.1:1/elsewhere']);
  });

  it('F14: header arguments with U+2028, \\x01 or \\x7f are -32602 / 400 naming the input, never sent', async () => {
    const before = up.seen.length;
    for (const bad of ['a\u2028b', 'a\x01b', 'a\x7fb']) {
      const e = await mcpError(client.callTool({ name: 'gzip', arguments: { trace: bad } }));
      expect(e.code).toBe(-32602);
      expect(e.message).toContain('X-Trace');
    }
    const r = await call(`${rest}/gzip`, { headers: { trace: 'a\u00e9b' } });
    expect(r.status).toBe(200); // Latin-1 is a valid header character
    expect(up.seen.length).toBe(before + 1);
  });

  it('F15: an MCP body over 4 MiB is a 413 with a JSON-RPC size error, not -32603', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'gzip', arguments: { trace: 'x'.repeat(5 * 1024 * 1024) } } });
    const m = await fetch(mcp, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
    expect(m.status).toBe(413);
    const j = await m.json();
    expect(j.error.code).toBe(-32600);
    expect(j.error.message).toContain('NR_ERR_BODY_TOO_LARGE');
  });
});
