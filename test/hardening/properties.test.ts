/**
 * Property tests (issue 11) over path, query, header and body inputs: what reaches the upstream for any
 * caller string, on REST and MCP (SEMANTICS §3–§4). One runtime for the file; runs are bounded.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { call, jsonInit, mcpClient, startRecorder, tmpDir, type Recorder, type TmpDir } from '../runtime/helpers.js';
import { timedTool } from './helpers.js';

const TOKEN = 's3cret-token';
const RUNS = { numRuns: 150 };
const BOUND_MS = 5_000;

const CAPABILITY = `
naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      HOST: UPSTREAM_HOST
      TOKEN: UPSTREAM_TOKEN
capability:
  consumes:
    - namespace: api
      type: http
      baseUri: "http://{{HOST}}"
      authentication:
        type: bearer
        token: "{{TOKEN}}"
      resources:
        - name: item
          path: "/items/{{id}}"
          operations:
            - name: get-item
              method: GET
              inputParameters:
                - name: id
                  in: path
                - name: q
                  in: query
                - name: HOST
                  in: query
                - name: X-Trace
                  in: header
        - name: voyages
          path: /voyages
          operations:
            - name: create
              method: POST
              body: |
                {"ship": "{{ship}}", "note": "n: {{note}}"}
  exposes:
    - type: rest
      namespace: api-rest
      port: 19960
      resources:
        - name: item
          path: "/items/{id}"
          operations:
            - method: GET
              call: api.get-item
              with:
                id: api-rest.id
                q: api-rest.q
                HOST: api-rest.HOST
                X-Trace: api-rest.trace
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: id
                - name: q
                  in: query
                  type: string
                  required: false
                  description: a query value
                - name: HOST
                  in: query
                  type: string
                  required: false
                  description: named like the baseUri variable
                - name: trace
                  in: header
                  type: string
                  required: false
                  description: a header value
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
                - name: note
                  in: body
                  type: string
                  description: note
    - type: mcp
      namespace: api-mcp
      port: 19961
      tools:
        - name: get-item
          description: one item
          call: api.get-item
          with:
            id: api-mcp.id
            q: api-mcp.q
            HOST: api-mcp.HOST
            X-Trace: api-mcp.trace
          inputParameters:
            - name: id
              type: string
              description: id
            - name: q
              type: string
              required: false
              description: a query value
            - name: HOST
              type: string
              required: false
              description: named like the baseUri variable
            - name: trace
              type: string
              required: false
              description: a header value
        - name: create
          description: a voyage
          call: api.create
          with:
            ship: api-mcp.ship
            note: api-mcp.note
          inputParameters:
            - name: ship
              type: string
              description: ship
            - name: note
              type: string
              description: note
`;

/** Any string: ASCII, full Unicode (astral, U+2028…), control characters, percent and dot sequences. */
const anyString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('.', '/', '\\', '%', '2', 'e', 'E', 'f', 'F', '?', '#', '@', ':', ' ', '\u0000', '\n'), maxLength: 12 }),
  fc.constantFrom('', '.', '..', '%2e', '%2E%2e', '../admin', '..%2f', '/', '//evil.example', '@evil.example', 'http://evil.example/'),
);
/** lone surrogates are not strings a JSON or URL caller can send */
const wellFormed = anyString.filter((s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s));

/** A GET with the request line and headers sent byte for byte (latin1), for values fetch refuses to send. */
function rawGet(base: string, target: string, headers: Record<string, string> = {}): Promise<number> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (c: string) => (data += c));
    sock.on('error', reject);
    sock.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      if (status === 0) reject(new Error(`no HTTP answer to ${JSON.stringify(target)} ${JSON.stringify(headers)}: ${JSON.stringify(data)}`));
      else resolve(status);
    });
    const lines = [`GET ${target} HTTP/1.1`, `Host: ${u.host}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    sock.write(Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'));
    setTimeout(() => sock.destroy(), BOUND_MS).unref();
  });
}

describe('what reaches the upstream, for any input', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  let runtime: Runtime;
  let rest = '';
  let client: Client;
  let host = '';

  beforeAll(async () => {
    upstream = await startRecorder();
    host = new URL(upstream.url).host;
    dir = tmpDir();
    const file = dir.write('cap.yaml', CAPABILITY);
    runtime = await startRuntime({
      files: [file], ports: new Map([['api-rest', 0], ['api-mcp', 0]]), logLevel: 'silent',
      env: { UPSTREAM_HOST: host, UPSTREAM_TOKEN: TOKEN },
    });
    rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    client = await mcpClient(runtime.adapters.find((a) => a.type === 'mcp')!.url);
  });
  afterAll(async () => {
    await client?.close();
    await runtime?.close(1_000);
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  /** the one request a call sent: to our origin, with the configured credential */
  const sentOne = (before: number) => {
    const got = upstream.requests.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.headers.host).toBe(host);
    expect(got[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    return got[0]!;
  };
  const isDotOrEmpty = (s: string) => s === '' || s === '.' || s === '..';

  // ───────────── path ─────────────

  it('REST: a path value reaches the upstream as exactly one encodeURIComponent segment; "", ".", ".." are 400', async () => {
    await fc.assert(fc.asyncProperty(wellFormed.filter((s) => encodeURIComponent(s).length <= 100), async (id) => {
      const before = upstream.requests.length;
      // sent byte for byte: a URL string would have its dot segments resolved by the client
      const status = await rawGet(rest, `/items/${encodeURIComponent(id)}`);
      if (isDotOrEmpty(id)) {
        expect(status, JSON.stringify(id)).toBe(400);
        expect(upstream.requests.length).toBe(before);
        return;
      }
      expect(status, JSON.stringify(id)).toBe(200);
      const sent = sentOne(before);
      expect(sent.path).toBe(`/items/${encodeURIComponent(id)}`);
    }), RUNS);
  });

  it('REST: a raw (unencoded) segment of path characters reaches the upstream decoded and re-encoded, as one segment', async () => {
    // RFC 3986 pchar without "%": what a caller may write unencoded in a path segment
    const pchar = fc.string({ unit: fc.constantFrom(...'aZ09-._~!$&\'()*+,;=:@'.split('')), minLength: 1, maxLength: 20 });
    await fc.assert(fc.asyncProperty(pchar, async (raw) => {
      const before = upstream.requests.length;
      const status = await rawGet(rest, `/items/${raw}`);
      if (raw === '.' || raw === '..') {
        expect(status, raw).toBe(400);
        expect(upstream.requests.length).toBe(before);
        return;
      }
      expect(status, raw).toBe(200);
      expect(sentOne(before).path).toBe(`/items/${encodeURIComponent(decodeURIComponent(raw))}`);
    }), RUNS);
  });

  it('MCP: a path argument reaches the upstream as exactly one encodeURIComponent segment; "", ".", ".." are -32602', async () => {
    await fc.assert(fc.asyncProperty(wellFormed, async (id) => {
      const before = upstream.requests.length;
      const r = await timedTool(client, 'get-item', { id }, BOUND_MS);
      if (isDotOrEmpty(id)) {
        expect(r.rpcError?.code).toBe(-32602);
        expect(upstream.requests.length).toBe(before);
        return;
      }
      expect(r.rpcError, JSON.stringify(id)).toBeUndefined();
      expect(r.isError).toBe(false);
      const sent = sentOne(before);
      const segment = sent.path.slice('/items/'.length);
      expect(sent.path.startsWith('/items/')).toBe(true);
      expect(segment).not.toContain('/');
      expect(decodeURIComponent(segment)).toBe(id);
      expect(segment).toBe(encodeURIComponent(id));
    }), RUNS);
  });

  // ───────────── query, and the origin ─────────────

  it('REST and MCP: query values round-trip exactly; an input named like the baseUri variable never changes the origin', async () => {
    await fc.assert(fc.asyncProperty(wellFormed, wellFormed, async (q, hostInput) => {
      let before = upstream.requests.length;
      const r = await call(`${rest}/items/x?${new URLSearchParams({ q, HOST: hostInput })}`);
      expect(r.status, JSON.stringify([q, hostInput])).toBe(200);
      let sent = sentOne(before);
      expect(sent.path).toBe('/items/x');
      expect(sent.query.get('q')).toBe(q);
      expect(sent.query.get('HOST')).toBe(hostInput);

      before = upstream.requests.length;
      const t = await timedTool(client, 'get-item', { id: 'x', q, HOST: hostInput }, BOUND_MS);
      expect(t.rpcError, JSON.stringify([q, hostInput])).toBeUndefined();
      expect(t.isError).toBe(false);
      sent = sentOne(before);
      expect(sent.query.get('q')).toBe(q);
      expect(sent.query.get('HOST')).toBe(hostInput);
    }), RUNS);
  });

  // ───────────── headers, and the credential ─────────────

  /** what an HTTP header value may hold: tab, visible ASCII, space, obs-text (0x80–0xff) */
  const headerSafe = (s: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(s);

  it('MCP: a header argument is sent as is, or refused with -32602 when it holds a control character; never 5xx, never -32603', async () => {
    await fc.assert(fc.asyncProperty(wellFormed, async (trace) => {
      const before = upstream.requests.length;
      const r = await timedTool(client, 'get-item', { id: 'x', trace }, BOUND_MS);
      expect(r.timedOut).toBe(false);
      if (/[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]/.test(trace)) {
        expect(r.rpcError?.code, JSON.stringify(trace)).toBe(-32602);
        expect(upstream.requests.length).toBe(before);
        return;
      }
      // any other value is either sent, or refused as bad input (never an upstream or internal error)
      if (r.rpcError) {
        expect(r.rpcError.code, JSON.stringify(trace)).toBe(-32602);
        expect(headerSafe(trace), `${JSON.stringify(trace)} is a valid header value but was refused`).toBe(false);
        return;
      }
      expect(r.isError, `${JSON.stringify(trace)}: ${r.text}`).toBe(false);
      expect(headerSafe(trace), `${JSON.stringify(trace)} cannot be a header value but was sent`).toBe(true);
      const sent = sentOne(before);
      expect(sent.headers['x-trace'] ?? '').toBe(trace.replace(/^[\t ]+|[\t ]+$/g, ''));
    }), RUNS);
  });

  it('REST: a header with any byte but CR/LF is sent as is, or refused with 400; a caller Authorization never replaces the credential', async () => {
    const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 0xff }).filter((c) => c !== 10 && c !== 13).map((c) => String.fromCharCode(c)), maxLength: 20 });
    await fc.assert(fc.asyncProperty(latin1, latin1, async (trace, auth) => {
      const before = upstream.requests.length;
      const status = await rawGet(rest, '/items/x', { trace, Authorization: auth });
      if (status === 200) {
        const sent = sentOne(before);
        expect(sent.headers['x-trace'] ?? '').toBe(trace.replace(/^[\t ]+|[\t ]+$/g, ''));
        return;
      }
      expect(status, JSON.stringify([trace, auth])).toBe(400);
      expect(headerSafe(trace) && headerSafe(auth), `${JSON.stringify([trace, auth])} are valid header values but were refused`).toBe(false);
      expect(upstream.requests.length).toBe(before);
    }), RUNS);
  });

  it('MCP: an Authorization argument, whatever its value, is refused (-32602) and the credential stays the configured one', async () => {
    await fc.assert(fc.asyncProperty(wellFormed, async (auth) => {
      const before = upstream.requests.length;
      const r = await timedTool(client, 'get-item', { id: 'x', Authorization: auth }, BOUND_MS);
      expect(r.rpcError?.code, JSON.stringify(auth)).toBe(-32602);
      expect(upstream.requests.length).toBe(before);
      const ok = await timedTool(client, 'get-item', { id: 'x' }, BOUND_MS);
      expect(ok.isError).toBe(false);
      sentOne(before);
    }), { numRuns: 50 });
  });

  // ───────────── body template ─────────────

  it('REST and MCP: a JSON body template filled with any strings stays valid JSON with exactly its fields', async () => {
    await fc.assert(fc.asyncProperty(wellFormed, wellFormed, async (ship, note) => {
      let before = upstream.requests.length;
      const r = await call(`${rest}/voyages`, jsonInit('POST', { ship, note }));
      expect(r.status, JSON.stringify([ship, note])).toBe(200);
      let sent = sentOne(before);
      expect(JSON.parse(sent.body)).toEqual({ ship, note: `n: ${note}` });

      before = upstream.requests.length;
      const t = await timedTool(client, 'create', { ship, note }, BOUND_MS);
      expect(t.rpcError, JSON.stringify([ship, note])).toBeUndefined();
      expect(t.isError).toBe(false);
      sent = sentOne(before);
      expect(JSON.parse(sent.body)).toEqual({ ship, note: `n: ${note}` });
    }), RUNS);
  });
});
