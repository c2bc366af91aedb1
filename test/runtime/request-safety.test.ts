/**
 * What reaches the upstream when a caller's input is hostile: the adversarial probe's F2 (dot
 * segments), F3 (empty path values) and F10 (an input named like a bind variable choosing the host),
 * and JSON text bodies whose placeholders must never add fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { request } from 'node:http';
import { call, jsonInit, mcpClient, mcpError, startRecorder, tmpDir, type Recorder, type TmpDir } from './helpers.js';

/** GET with the path sent byte for byte (a URL string would have its dot segments resolved first). */
function exactPath(base: string, path: string): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const CAPABILITY = `
naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      HOST: UPSTREAM_HOST
capability:
  consumes:
    - namespace: api
      type: http
      baseUri: "http://{{HOST}}"
      inputParameters:
        - name: X-Tenant
          in: header
          value: "{{HOST}}"
      resources:
        - name: item
          path: "/items/{{id}}"
          operations:
            - name: get-item
              method: GET
              inputParameters:
                - name: id
                  in: path
                - name: HOST
                  in: query
        - name: voyages
          path: /voyages
          operations:
            - name: create
              method: POST
              body: |
                {"ship": "{{ship}}", "crew": {{crew}}, "cargo": {{cargo}}, "note": "n: {{note}}"}
  exposes:
    - type: rest
      namespace: api-rest
      port: 19990
      resources:
        - name: item
          path: "/items/{id}"
          operations:
            - method: GET
              call: api.get-item
              with:
                id: api-rest.id
                HOST: api-rest.HOST
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: id
                - name: HOST
                  in: query
                  type: string
                  description: a caller value named like the bind variable
        - name: voyages
          path: /voyages
          operations:
            - method: POST
              call: api.create
              inputParameters:
                - name: ship
                  in: body
                  type: string
                  description: ship
                - name: crew
                  in: body
                  type: array
                  description: crew
                - name: cargo
                  in: body
                  type: array
                  required: false
                  description: cargo
                - name: note
                  in: body
                  type: string
                  required: false
                  description: note
    - type: mcp
      namespace: api-mcp
      port: 19991
      tools:
        - name: get-item
          description: one item
          call: api.get-item
          with:
            id: api-mcp.id
          inputParameters:
            - name: id
              type: string
              description: id
`;

describe('inputs never reach server-side values, and never change the path or the JSON shape', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  let runtime: Runtime;
  let rest = '';
  let client: Client;

  beforeAll(async () => {
    upstream = await startRecorder();
    dir = tmpDir();
    const file = dir.write('cap.yaml', CAPABILITY);
    runtime = await startRuntime({ files: [file], ports: new Map([['api-rest', 0], ['api-mcp', 0]]), logLevel: 'silent', env: { UPSTREAM_HOST: new URL(upstream.url).host } });
    rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    client = await mcpClient(runtime.adapters.find((a) => a.type === 'mcp')!.url);
  });
  afterAll(async () => {
    await client.close();
    await runtime.close();
    await upstream.close();
    dir.remove();
  });

  it('F10: an input named like the baseUri variable is a query value, never the host; adapter-wide headers keep the bind value', async () => {
    const before = upstream.requests.length;
    const r = await call(`${rest}/items/7?HOST=127.0.0.2:9`);
    expect(r.status).toBe(200);
    const got = upstream.requests.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.path).toBe('/items/7');
    expect(got[0]!.query.get('HOST')).toBe('127.0.0.2:9');
    expect(got[0]!.headers['x-tenant']).toBe(new URL(upstream.url).host);
  });

  it('F2: "." and ".." ids are refused (REST 400, MCP -32602) and never reach the upstream', async () => {
    const before = upstream.requests.length;
    for (const id of ['%2E%2E', '%2e', '..', '.', '%2e%2E']) {
      const r = await exactPath(rest, `/items/${id}`);
      expect(r.status, id).toBe(400);
      expect(JSON.parse(r.text).invalid_params[0], id).toEqual({ name: 'id', reason: expect.stringMatching(/must not be "\.\.?": a dot segment/) });
    }
    for (const id of ['..', '.']) {
      const e = await mcpError(client.callTool({ name: 'get-item', arguments: { id } }));
      expect(e.code).toBe(-32602);
      expect(e.message).toContain('id');
    }
    expect(upstream.requests.length).toBe(before);
    // a dot inside a value is an ordinary character
    const ok = await call(`${rest}/items/v1.2`);
    expect(ok.status).toBe(200);
  });

  it('F3: an empty required path value is refused (REST 400, MCP -32602)', async () => {
    const before = upstream.requests.length;
    const r = await exactPath(rest, '/items/');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).invalid_params[0]).toEqual({ name: 'id', reason: 'must not be empty: it fills a path segment' });
    const e = await mcpError(client.callTool({ name: 'get-item', arguments: { id: '' } }));
    expect(e.code).toBe(-32602);
    expect(e.message).toMatch(/id: must not be empty/);
    expect(upstream.requests.length).toBe(before);
  });

  it('a JSON text body: values are JSON-escaped in quotes, JSON values elsewhere, a missing optional value is null', async () => {
    const before = upstream.requests.length;
    const r = await call(`${rest}/voyages`, jsonInit('POST', { ship: 'x", "admin": true, "y": "', crew: ['C1', 'C2'], note: 'line\nbreak "quoted"' }));
    expect(r.status).toBe(200);
    const sent = upstream.requests[before]!;
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body)).toEqual({ ship: 'x", "admin": true, "y": "', crew: ['C1', 'C2'], cargo: null, note: 'n: line\nbreak "quoted"' });
  });
});
