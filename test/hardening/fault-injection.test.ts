/**
 * Fault injection (issue 11): every upstream fault crossed with every surface — REST pass-through (no
 * output mapping), REST mapped (`mapping:` outputs), MCP tools/call over Streamable HTTP. Each cell
 * asserts the answer (docs/errors.md, SEMANTICS.md §5–§7), that it came within a bound, and that the
 * same surface serves a normal call right after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { closedPort, mcpClient, tmpDir, type TmpDir } from '../runtime/helpers.js';
import { faultServer, timedCall, timedTool, trickle, type FaultHandler, type FaultServer, type TimedReply, type TimedTool } from './helpers.js';

const RESPONSE_TIMEOUT_MS = 400;
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** no call may take longer than this (timeouts are 400 ms; a fault that is not bounded shows here) */
const BOUND_MS = 4_000;

const JSON_TYPE = { 'content-type': 'application/json' };
const DEEP = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
const HUGE = Buffer.alloc(50 * 1024 * 1024, 0x20);
const GZIPPED = gzipSync(JSON.stringify({ name: 'zipped' }));
const ERROR_BODY = (s: number) => `{"status":${s},"message":"upstream says no"}`;

const FAULTS: Record<string, FaultHandler> = {
  '/reset-before-headers': (req) => req.socket.destroy(),
  '/reset-mid-body': (_req, res) => {
    res.writeHead(200, { ...JSON_TYPE, 'content-length': '1000' });
    res.write('{"name": "half');
    setTimeout(() => res.socket?.destroy(), 50);
  },
  '/stall': () => {},
  // the status line and headers, then silence: no byte of the body ever comes
  '/stall-after-headers': (_req, res) => {
    res.writeHead(200, { ...JSON_TYPE, 'content-length': '1000' });
    res.flushHeaders();
  },
  '/stall-mid-body': (_req, res) => {
    res.writeHead(200, { ...JSON_TYPE, 'content-length': '1000' });
    res.write('{"name": ');
  },
  '/trickle': (_req, res) => {
    res.writeHead(200, JSON_TYPE);
    res.write('{"name": "slow", "pad": "');
    trickle(res, 100);
  },
  '/status-500': (_req, res) => res.writeHead(500, JSON_TYPE).end(ERROR_BODY(500)),
  '/status-502': (_req, res) => res.writeHead(502, JSON_TYPE).end(ERROR_BODY(502)),
  '/status-503': (_req, res) => res.writeHead(503, { ...JSON_TYPE, 'retry-after': '7' }).end(ERROR_BODY(503)),
  '/invalid-json': (_req, res) => res.writeHead(200, JSON_TYPE).end('{"name": "anvil", '),
  '/deep-json': (_req, res) => res.writeHead(200, JSON_TYPE).end(DEEP),
  // writeHead sends its headers as they are: without an explicit Content-Length the body would go chunked
  '/huge': (_req, res) => res.writeHead(200, { ...JSON_TYPE, 'content-length': String(HUGE.length) }).end(HUGE),
  // the same 50 MB with no Content-Length (chunked): the limit can only be seen while streaming
  '/huge-chunked': (_req, res) => {
    res.writeHead(200, JSON_TYPE);
    for (let i = 0; i < 50; i++) res.write(HUGE.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    res.end();
  },
  '/gzip-unasked': (_req, res) => res.writeHead(200, { ...JSON_TYPE, 'content-encoding': 'gzip' }).end(GZIPPED),
  '/redirect': (_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere', 'content-type': 'text/plain' }).end('moved'),
};
const OK: FaultHandler = (_req, res) => res.writeHead(200, JSON_TYPE).end(JSON.stringify({ name: 'fine', extra: 1 }));

// ───────────────────────────── expectations ─────────────────────────────

/** What one cell must answer. */
type Expect =
  | { problem: readonly [number, string] }                             // REST: runtime-made problem+json
  | { upstream: number; body?: string; location?: string; json?: unknown; encoding?: string } // REST: the upstream's answer
  | { cut: true }                                                // REST pass-through: headers sent, then the body must end in an error
  | { toolError: RegExp }                                        // MCP: isError with this text
  | { tool: { text?: string; structured?: unknown } };           // MCP: a normal result

/** a short name of an expectation, for the test titles (bodies are not printed) */
function describeExpect(e: Expect): string {
  if ('problem' in e) return `${e.problem[0]} ${e.problem[1]}`;
  if ('upstream' in e) return `upstream's ${e.upstream} passed through${e.location ? ' with Location' : ''}${e.encoding ? ` with Content-Encoding ${e.encoding}` : ''}`;
  if ('cut' in e) return 'body cut, never a complete 200';
  if ('toolError' in e) return `isError ${e.toolError.source.slice(0, 40)}`;
  return `result ${e.tool.structured ? 'with structuredContent' : 'with the text'}`;
}

const unreachable = { problem: [502, 'NR_ERR_UPSTREAM_UNREACHABLE'] } as const;
const timeout = { problem: [504, 'NR_ERR_UPSTREAM_TIMEOUT'] } as const;
const tooLarge = { problem: [502, 'NR_ERR_UPSTREAM_TOO_LARGE'] } as const;
const badBody = { problem: [502, 'NR_ERR_UPSTREAM_BAD_BODY'] } as const;

interface Fault {
  readonly fault: string;
  readonly pass: Expect;
  readonly mapped: Expect;
  readonly mcp: Expect;
}

const MATRIX: Fault[] = [
  { fault: 'refused', pass: unreachable, mapped: unreachable, mcp: { toolError: /NR_ERR_UPSTREAM_UNREACHABLE/ } },
  { fault: 'reset-before-headers', pass: unreachable, mapped: unreachable, mcp: { toolError: /NR_ERR_UPSTREAM_UNREACHABLE/ } },
  // pass-through has sent 200 and its headers when the upstream breaks: the caller must see a broken body, never a complete one
  { fault: 'reset-mid-body', pass: { cut: true }, mapped: unreachable, mcp: { toolError: /NR_ERR_UPSTREAM_UNREACHABLE/ } },
  { fault: 'stall', pass: timeout, mapped: timeout, mcp: { toolError: /NR_ERR_UPSTREAM_TIMEOUT/ } },
  // nothing of the body has reached the caller when the upstream falls silent: pass-through can still answer a problem
  { fault: 'stall-after-headers', pass: timeout, mapped: timeout, mcp: { toolError: /NR_ERR_UPSTREAM_TIMEOUT/ } },
  { fault: 'stall-mid-body', pass: { cut: true }, mapped: timeout, mcp: { toolError: /NR_ERR_UPSTREAM_TIMEOUT/ } },
  // one byte every 100 ms, for ever: a body that never ends must not hold the call past the response timeout
  { fault: 'trickle', pass: { cut: true }, mapped: timeout, mcp: { toolError: /NR_ERR_UPSTREAM_TIMEOUT/ } },
  ...[500, 502, 503].map((s): Fault => ({
    fault: `status-${s}`,
    pass: { upstream: s, body: ERROR_BODY(s) },
    mapped: { upstream: s, body: ERROR_BODY(s) }, // mapping applies to 2xx only; an error body passes unchanged
    mcp: { toolError: new RegExp(`^Upstream answered ${s}: ${ERROR_BODY(s).replace(/[{}]/g, '\\$&')}$`) },
  })),
  { fault: 'invalid-json', pass: { upstream: 200, body: '{"name": "anvil", ' }, mapped: badBody, mcp: { tool: { text: '{"name": "anvil", ' } } },
  { fault: 'deep-json', pass: { upstream: 200, body: DEEP }, mapped: badBody, mcp: { toolError: /NR_ERR_UPSTREAM_BAD_BODY.*nested deeper than 256/ } },
  // 50 MB against a 1 MiB limit; the upstream declares its Content-Length, so even pass-through can refuse before a byte
  { fault: 'huge', pass: tooLarge, mapped: tooLarge, mcp: { toolError: /NR_ERR_UPSTREAM_TOO_LARGE/ } },
  // pass-through has sent its 200 when the limit is passed: the body must be cut there, not streamed whole
  { fault: 'huge-chunked', pass: { cut: true }, mapped: tooLarge, mcp: { toolError: /NR_ERR_UPSTREAM_TOO_LARGE/ } },
  {
    fault: 'gzip-unasked',
    pass: { upstream: 200, json: { name: 'zipped' }, encoding: 'gzip' }, // bytes and Content-Encoding pass together
    mapped: { upstream: 200, json: { name: 'zipped' } },
    mcp: { tool: { structured: { name: 'zipped' } } },
  },
  {
    fault: 'redirect',
    pass: { upstream: 302, location: 'http://127.0.0.1:1/elsewhere' },
    mapped: { upstream: 302, location: 'http://127.0.0.1:1/elsewhere' },
    mcp: { toolError: /^Upstream answered 302 \(redirects are not followed; Location: http:\/\/127\.0\.0\.1:1\/elsewhere\)/ },
  },
];

// ───────────────────────────── capability ─────────────────────────────

const NAMES = [...MATRIX.map((f) => f.fault), 'ok'];
const ns = (name: string) => (name === 'refused' ? 'dead' : 'up');

const consumed = (name: string) => `        - name: ${name}
          path: /${name}
          operations:
            - name: ${name}
              method: GET`;

const MAPPING = `outputParameters:
                - type: object
                  properties:
                    name:
                      type: string
                      mapping: $.name`;

const capability = (upUrl: string, deadUrl: string) => `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "${upUrl}"
      resources:
${NAMES.filter((n) => ns(n) === 'up').map(consumed).join('\n')}
    - namespace: dead
      type: http
      baseUri: "${deadUrl}"
      resources:
${consumed('refused')}
  exposes:
    - type: rest
      namespace: api
      port: 19970
      resources:
${NAMES.map((n) => `        - name: pass-${n}
          path: /pass/${n}
          operations:
            - name: pass-${n}
              method: GET
              call: ${ns(n)}.${n}
        - name: mapped-${n}
          path: /mapped/${n}
          operations:
            - name: mapped-${n}
              method: GET
              call: ${ns(n)}.${n}
              ${MAPPING}`).join('\n')}
    - type: mcp
      namespace: tools
      port: 19971
      tools:
${NAMES.map((n) => `        - name: ${n}
          description: the ${n} fault
          call: ${ns(n)}.${n}`).join('\n')}
`;

// ───────────────────────────── assertions ─────────────────────────────

function assertRest(r: TimedReply, e: Expect, label: string): void {
  expect(r.timedOut, `${label}: no answer within ${BOUND_MS} ms`).toBe(false);
  expect(r.ms, label).toBeLessThan(BOUND_MS);
  if ('problem' in e) {
    expect(r.bodyError, label).toBeUndefined();
    expect([r.status, r.json?.code], label).toEqual(e.problem);
    expect(r.headers?.get('content-type'), label).toMatch(/^application\/problem\+json/);
    expect(r.json?.status, label).toBe(e.problem[0]);
  } else if ('upstream' in e) {
    expect(r.bodyError, label).toBeUndefined();
    expect(r.status, label).toBe(e.upstream);
    if (e.body !== undefined) expect(r.text, label).toBe(e.body);
    if (e.json !== undefined) expect(r.json, label).toEqual(e.json);
    if (e.location !== undefined) expect(r.headers?.get('location'), label).toBe(e.location);
    if (e.encoding !== undefined) expect(r.headers?.get('content-encoding'), label).toBe(e.encoding);
  } else if ('cut' in e) {
    // either refused before the headers (a problem) or a body that visibly breaks; never a complete 200
    if (r.bodyError === undefined) {
      expect(r.status, `${label}: a broken upstream body reached the caller as a complete answer`).toBeGreaterThanOrEqual(500);
      expect(r.headers?.get('content-type'), label).toMatch(/^application\/problem\+json/);
    }
  } else throw new Error(`${label}: not a REST expectation`);
}

function assertTool(r: TimedTool, e: Expect, label: string): void {
  expect(r.timedOut, `${label}: no answer within ${BOUND_MS} ms`).toBe(false);
  expect(r.ms, label).toBeLessThan(BOUND_MS);
  expect(r.rpcError, `${label}: a tool error must be a result, not a JSON-RPC error`).toBeUndefined();
  if ('toolError' in e) {
    expect(r.isError, label).toBe(true);
    expect(r.text, label).toMatch(e.toolError);
  } else if ('tool' in e) {
    expect(r.isError, label).toBe(false);
    if (e.tool.text !== undefined) expect(r.text, label).toBe(e.tool.text);
    if (e.tool.structured !== undefined) expect(r.structured, label).toEqual(e.tool.structured);
  } else throw new Error(`${label}: not an MCP expectation`);
}

// ───────────────────────────── the matrix ─────────────────────────────

describe('upstream faults × surfaces', () => {
  let up: FaultServer;
  let dir: TmpDir;
  let runtime: Runtime;
  let rest = '';
  let client: Client;

  beforeAll(async () => {
    up = await faultServer(FAULTS, OK);
    dir = tmpDir();
    const file = dir.write('faults.yaml', capability(up.url, `http://127.0.0.1:${await closedPort()}`));
    runtime = await startRuntime({
      files: [file], ports: new Map([['api', 0], ['tools', 0]]), logLevel: 'silent', env: {},
      // every fault hits one origin: the breaker would open and answer 503 for the cells after it (it has
      // tests of its own in test/runtime/resilience.test.ts); the deadline bounds a trickling body
      invoker: { responseTimeoutMs: RESPONSE_TIMEOUT_MS, connectTimeoutMs: 1_000, maxResponseBytes: MAX_RESPONSE_BYTES, deadlineMs: 2_000, circuitBreaker: false },
    });
    rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    client = await mcpClient(runtime.adapters.find((a) => a.type === 'mcp')!.url);
  });
  afterAll(async () => {
    await client?.close();
    await runtime?.close(1_000);
    await up?.close();
    dir?.remove();
  });

  it('the normal call works on every surface (the baseline each cell returns to)', async () => {
    assertRest(await timedCall(`${rest}/pass/ok`, BOUND_MS), { upstream: 200, json: { name: 'fine', extra: 1 } }, 'pass ok');
    assertRest(await timedCall(`${rest}/mapped/ok`, BOUND_MS), { upstream: 200, json: { name: 'fine' } }, 'mapped ok');
    assertTool(await timedTool(client, 'ok', {}, BOUND_MS), { tool: { structured: { name: 'fine', extra: 1 } } }, 'mcp ok');
  });

  describe.each(MATRIX)('$fault', (f) => {
    // the normal call right after is asserted first: a cell that fails still shows whether the server recovered
    it(`REST pass-through → ${describeExpect(f.pass)}`, async () => {
      const r = await timedCall(`${rest}/pass/${f.fault}`, BOUND_MS);
      const after = await timedCall(`${rest}/pass/ok`, BOUND_MS);
      assertRest(after, { upstream: 200, json: { name: 'fine', extra: 1 } }, `pass ok after ${f.fault}`);
      assertRest(r, f.pass, `pass ${f.fault}`);
    });

    it(`REST mapped → ${describeExpect(f.mapped)}`, async () => {
      const r = await timedCall(`${rest}/mapped/${f.fault}`, BOUND_MS);
      const after = await timedCall(`${rest}/mapped/ok`, BOUND_MS);
      assertRest(after, { upstream: 200, json: { name: 'fine' } }, `mapped ok after ${f.fault}`);
      assertRest(r, f.mapped, `mapped ${f.fault}`);
    });

    it(`MCP tools/call → ${describeExpect(f.mcp)}`, async () => {
      const r = await timedTool(client, f.fault, {}, BOUND_MS);
      const after = await timedTool(client, 'ok', {}, BOUND_MS);
      assertTool(after, { tool: { structured: { name: 'fine', extra: 1 } } }, `mcp ok after ${f.fault}`);
      assertTool(r, f.mcp, `mcp ${f.fault}`);
    });
  });
});
