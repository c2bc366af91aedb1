/**
 * Long and large MCP calls (issue 8 §4): progress notifications while an orchestration runs, a per-tool
 * timeout answered as a tool error with the upstream call cancelled, a client's cancellation reaching
 * the upstream, and binary answers as image, audio or embedded-resource content.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { mcpClient, serveLocal, tmpDir, type TmpDir, until } from './helpers.js';

const SPEC = (upstream: string) => `
naftiko: 1.0.0-alpha3
info:
  label: Long calls
  description: slow steps and binary answers
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "${upstream}"
      resources:
        - { name: a, path: /a, operations: [{ name: get-a, method: GET }] }
        - { name: b, path: /b, operations: [{ name: post-b, method: POST }] }
        - { name: c, path: /c, operations: [{ name: post-c, method: POST }] }
        - { name: slow, path: /slow, operations: [{ name: get-slow, method: GET }] }
        - { name: picture, path: /picture, operations: [{ name: get-picture, method: GET }] }
        - { name: big, path: /big, operations: [{ name: get-big, method: GET }] }
        - { name: sound, path: /sound, operations: [{ name: get-sound, method: GET }] }
        - { name: pdf, path: /pdf, operations: [{ name: get-pdf, method: GET }] }
  exposes:
    - type: mcp
      namespace: tools
      port: 1
      tools:
        - name: three-steps
          description: three slow steps in a row
          steps:
            - { name: first, type: call, call: up.get-a }
            - { name: second, type: call, call: up.post-b }
            - { name: third, type: call, call: up.post-c }
          mappings:
            - { targetName: a, value: $.first.v }
            - { targetName: c, value: $.third.v }
          outputParameters:
            - { name: a, type: string }
            - { name: c, type: string }
        - { name: slow, description: never answers, call: up.get-slow }
        - { name: picture, description: a PNG, call: up.get-picture }
        - { name: big-picture, description: a PNG past the result limit, call: up.get-big }
        - { name: sound, description: a WAV, call: up.get-sound }
        - { name: pdf, description: a PDF, call: up.get-pdf }
`;

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4b00000000049454e44ae426082', 'hex');
const WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(20, 1)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from([0, 1, 2, 250, 251, 252])]);

describe('long and large MCP calls', () => {
  let upstream: Awaited<ReturnType<typeof serveLocal>>;
  let dir: TmpDir;
  let runtime: Runtime;
  let mcp = '';
  const slowClosed: number[] = [];

  beforeAll(async () => {
    upstream = await serveLocal((req: IncomingMessage, res) => {
      const json = (v: unknown, delay = 0) => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v)), delay);
      const binary = (type: string, body: Buffer) => res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
      req.resume();
      switch (req.url) {
        case '/a': return json({ v: 'A' }, 50);
        case '/b': return json({ v: 'B' }, 50);
        case '/c': return json({ v: 'C' }, 50);
        case '/slow': return void res.on('close', () => slowClosed.push(Date.now()));
        case '/picture': return binary('image/png', PNG);
        case '/big': return binary('image/png', Buffer.alloc(2 * 1024 * 1024, 7));
        case '/sound': return binary('audio/wav', WAV);
        case '/pdf': return binary('application/pdf', PDF);
        default: return void res.writeHead(404).end();
      }
    });
    dir = tmpDir();
    runtime = await startRuntime({ files: [dir.write('long.yaml', SPEC(upstream.url))], ports: new Map([['tools', 0]]), logLevel: 'silent', env: {}, mcpToolTimeoutMs: 1500, invoker: { retries: 0 } });
    mcp = runtime.adapters[0]!.url;
  });
  afterAll(async () => {
    await runtime?.close();
    await upstream?.close();
    dir?.remove();
  });

  it('sends notifications/progress as each orchestration step finishes when the client sent a progress token', async () => {
    const client = await mcpClient(mcp);
    try {
      const seen: { progress: number; total?: number; message?: string }[] = [];
      const result = await client.callTool({ name: 'three-steps', arguments: {} }, undefined, { onprogress: (p) => seen.push(p) });
      expect(result.structuredContent, JSON.stringify(result)).toEqual({ a: 'A', c: 'C' });
      expect(seen).toEqual([
        { progress: 1, total: 3, message: 'step "first" done' },
        { progress: 2, total: 3, message: 'step "second" done' },
        { progress: 3, total: 3, message: 'step "third" done' },
      ]);
      // without a token: one JSON answer, no event stream
      const plain = await fetch(mcp, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'picture', arguments: {} } }) });
      expect(plain.headers.get('content-type')).toContain('application/json');
      await plain.text();
    } finally {
      await client.close();
    }
  });

  it('answers a tool error when the tool takes longer than --mcp-tool-timeout, and cancels the upstream call', async () => {
    const client = await mcpClient(mcp);
    try {
      const before = slowClosed.length;
      const started = Date.now();
      const result = await client.callTool({ name: 'slow', arguments: {} });
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0]!.text).toMatch(/^Tool timed out \(NR_ERR_TOOL_TIMEOUT, status 504\): tool slow did not finish within 1500 ms/);
      await until(() => slowClosed.length > before);
    } finally {
      await client.close();
    }
  });

  it('a client that cancels its call closes the upstream request', async () => {
    const quick = await startRuntime({ files: [dir.write('cancel.yaml', SPEC(upstream.url))], ports: new Map([['tools', 0]]), logLevel: 'silent', env: {}, invoker: { retries: 0 } });
    const client = await mcpClient(quick.adapters[0]!.url);
    try {
      const before = slowClosed.length;
      const abort = new AbortController();
      const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: abort.signal });
      setTimeout(() => abort.abort(), 200);
      await expect(call).rejects.toThrow();
      await until(() => slowClosed.length > before);
    } finally {
      await client.close();
      await quick.close();
    }
  });

  it('ignores a cancellation from another caller, or one that names two running calls', async () => {
    const quick = await startRuntime({ files: [dir.write('ambiguous.yaml', SPEC(upstream.url))], ports: new Map([['tools', 0]]), logLevel: 'silent', env: {}, invoker: { retries: 0 } });
    const url = quick.adapters[0]!.url;
    const post = (body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
    const slowCall = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'slow', arguments: {} } };
    const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9, reason: 'test' } };
    const hangUp = new AbortController();
    try {
      const before = slowClosed.length;
      const calls = [post(slowCall, { authorization: 'Bearer one' }, hangUp.signal), post(slowCall, { authorization: 'Bearer one' }, hangUp.signal)].map((p) => p.catch(() => undefined));
      await new Promise((r) => setTimeout(r, 200));
      expect((await post(cancel, { authorization: 'Bearer one' })).status).toBe(202); // two calls with id 9: ambiguous
      expect((await post(cancel, { authorization: 'Bearer two' })).status).toBe(202); // another caller's
      await new Promise((r) => setTimeout(r, 300));
      expect(slowClosed.length).toBe(before);
      hangUp.abort();
      await Promise.all(calls);
      await until(() => slowClosed.length >= before + 2); // hanging up still cancels each
    } finally {
      await quick.close();
    }
  });

  it('answers image and audio upstream bodies as MCP image and audio content, other binary as an embedded resource', async () => {
    const client = await mcpClient(mcp);
    try {
      expect((await client.callTool({ name: 'picture', arguments: {} })).content).toEqual([{ type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' }]);
      expect((await client.callTool({ name: 'sound', arguments: {} })).content).toEqual([{ type: 'audio', data: WAV.toString('base64'), mimeType: 'audio/wav' }]);
      expect((await client.callTool({ name: 'pdf', arguments: {} })).content).toEqual([{ type: 'resource', resource: { uri: 'naftiko-run://result/pdf', mimeType: 'application/pdf', blob: PDF.toString('base64') } }]);
      const big = await client.callTool({ name: 'big-picture', arguments: {} });
      expect(big.isError).toBe(true);
      expect((big.content as { text: string }[])[0]!.text).toContain('image/png larger than 1048576 bytes');
    } finally {
      await client.close();
    }
  });
});
