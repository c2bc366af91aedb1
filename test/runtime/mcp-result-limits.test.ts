/**
 * Probe F9: what one MCP tool result may hold is bounded. A pass-through answer is read only up to the
 * limit (the rest never buffered), a result past it ends with a marker and carries no partial
 * structuredContent, and a tool with an outputSchema reports the cut as an error so a validating client
 * never gets a partial object. Memory stays bounded with many large answers at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { mcpClient, serveLocal, tmpDir, type TmpDir } from './helpers.js';

const BIG = 30 * 1024 * 1024;
const LIMIT = 64 * 1024;

/** /big: a 30 MB JSON array (streamed); /rows: a mapped object of `n` rows; /small: a short object. */
async function bigUpstream() {
  const finished: boolean[] = [];
  const handler: Parameters<typeof serveLocal>[0] = ((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(BIG) });
      const row = Buffer.from('"' + 'é'.repeat(510) + '",'); // 1 KiB, two-byte characters to test the cut
      let sent = 1;
      res.write('[');
      const pump = () => {
        while (sent + row.length < BIG - 3) {
          sent += row.length;
          if (!res.write(row)) return void res.once('drain', pump);
        }
        res.end('"' + ' '.repeat(BIG - sent - 3) + '"]');
      };
      res.on('close', () => finished.push(res.writableFinished));
      pump();
      return;
    }
    const n = Number(url.searchParams.get('n') ?? '2');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ rows: Array.from({ length: n }, (_, i) => ({ id: `r${i}`, text: 'x'.repeat(100) })) }));
  });
  return { ...(await serveLocal(handler)), finished };
}

const CAPABILITY = (base: string) => `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "${base}"
      resources:
        - name: big
          path: /big
          operations:
            - name: big
              method: GET
        - name: rows
          path: /rows
          operations:
            - name: rows
              method: GET
              inputParameters:
                - name: n
                  in: query
              outputParameters:
                - name: rows
                  type: array
                  value: $.rows
  exposes:
    - type: mcp
      namespace: tools
      port: 19999
      tools:
        - name: big
          description: a 30 MB answer, passed through
          call: up.big
        - name: rows
          description: rows, mapped
          call: up.rows
          inputParameters:
            - name: n
              type: string
              description: how many rows
          outputParameters:
            - type: object
              properties:
                rows:
                  type: array
                  mapping: $.rows
                  items:
                    type: object
                    properties:
                      id:
                        type: string
                        mapping: $.id
                      text:
                        type: string
                        mapping: $.text
`;

describe('MCP result limits (probe F9)', () => {
  let up: Awaited<ReturnType<typeof bigUpstream>>;
  let dir: TmpDir;
  let runtime: Runtime;
  let client: Client;

  beforeAll(async () => {
    up = await bigUpstream();
    dir = tmpDir();
    runtime = await startRuntime({ files: [dir.write('cap.yaml', CAPABILITY(up.url))], ports: new Map([['tools', 0]]), logLevel: 'silent', env: {}, mcpMaxResultBytes: LIMIT });
    client = await mcpClient(runtime.adapters[0]!.url);
  });
  afterAll(async () => {
    await client?.close();
    await runtime?.close(100);
    await up.close();
    dir.remove();
  });

  it('a pass-through answer past the limit is cut at a character boundary, marked, and never read whole', async () => {
    const r = await client.callTool({ name: 'big', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toBeUndefined();
    const text = (r.content as { type: string; text: string }[])[0]!.text;
    const [body, marker] = text.split('\n[naftiko-run ');
    expect(Buffer.byteLength(body!)).toBeLessThanOrEqual(LIMIT);
    expect(Buffer.byteLength(body!)).toBeGreaterThan(LIMIT - 4);
    expect(body).not.toContain('\uFFFD'); // no split character
    expect(marker).toMatch(/^NR_WARN_RESULT_TRUNCATED: the upstream answer is 31457280 bytes; the result is cut at 65536 bytes\. .*--mcp-max-result-bytes\]$/);
    // the runtime stopped reading: the upstream's response was closed before it finished
    await expect.poll(() => up.finished.length).toBe(1);
    expect(up.finished[0]).toBe(false);
  });

  it('a mapped result within the limit is whole, with structuredContent', async () => {
    const r = await client.callTool({ name: 'rows', arguments: { n: '3' } });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { rows: unknown[] }).rows).toHaveLength(3);
  });

  it('a mapped result past the limit is an error (its outputSchema is never broken), cut and marked', async () => {
    // the real client validates structuredContent against the outputSchema: a partial object would throw
    const r = await client.callTool({ name: 'rows', arguments: { n: '2000' } });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    const text = (r.content as { text: string }[])[0]!.text;
    expect(text).toMatch(/\[naftiko-run NR_WARN_RESULT_TRUNCATED: the mapped result is \d+ bytes; the result is cut at 65536 bytes/);
    expect(text.startsWith('{"rows":[{"id":"r0"')).toBe(true);
  });

  it('memory stays bounded with 16 calls of 30 MB answers at once', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      const results = await Promise.all(Array.from({ length: 16 }, () => client.callTool({ name: 'big', arguments: {} })));
      for (const r of results) expect((r.content as { text: string }[])[0]!.text).toContain('NR_WARN_RESULT_TRUNCATED');
    } finally {
      clearInterval(sampler);
    }
    // before the fix each call held the whole body several times (~290 MiB a call)
    expect(peak - before).toBeLessThan(256 * 1024 * 1024);
  }, 30_000);
});
