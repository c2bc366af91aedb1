/**
 * The reference engine's feature fixtures (test/fixtures/, copied from its src/test/resources) served
 * IN PLACE by naftiko-run and called end to end: every exposed REST operation and MCP tool, against a
 * recording upstream on 127.0.0.1 that answers with the matching sample payload
 * (shared/naftiko/fixtures/schemas/). The expected answers are literal: the trees FEATURES §13 says each
 * decoder produces, shaped by the fixture's own outputParameters (or, for the step fixtures, by its
 * mappings, FEATURES §3).
 *
 * Fixtures already served elsewhere and not repeated here: register.capability.yml and
 * http/http-forward-value-capability.yaml (forward.test.ts), skill-capability.yaml (skill.test.ts);
 * baseuri-trailing-slash-capability.yaml is a negative fixture that must not load (tutorial/load.test.ts).
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { ROOT, call, closedPort, isProblem, mcpClient, startRecorder, tmpDir, type Answer, type Recorded, type Recorder, type TmpDir } from './helpers.js';

const FIXTURES = path.join(ROOT, 'test/fixtures');
/** The sample payloads: test/fixtures/schemas holds only sample-users.yaml, the shared copy holds them all. */
const SAMPLE_DIRS = [path.join(FIXTURES, 'schemas'), path.join(ROOT, '../shared/naftiko/fixtures/schemas')];
function samplePath(name: string): string {
  const found = SAMPLE_DIRS.map((d) => path.join(d, name)).find((p) => existsSync(p));
  if (!found) throw new Error(`sample ${name} not found in ${SAMPLE_DIRS.join(', ')}`);
  return found;
}
const sample = (name: string): Buffer => readFileSync(samplePath(name));
const fixture = (rel: string): string => path.join(FIXTURES, rel);

const cjs = createRequire(import.meta.url);
const avro = cjs('avsc') as typeof import('avsc');
const protobuf = cjs('protobufjs') as typeof import('protobufjs');

/** The sample users of sample-users.{xml,csv,yaml}: every leaf a string (FEATURES §13). */
const USERS = [
  { id: '1', name: 'Alice Smith', email: 'alice@example.com' },
  { id: '2', name: 'Bob Johnson', email: 'bob@example.com' },
  { id: '3', name: 'Carol White', email: 'carol@example.com' },
];

interface Served {
  readonly runtime: Runtime;
  readonly rest: string;
  readonly mcp: string;
  close(): Promise<void>;
}

/** Starts `file` with its consumes namespaces pointed at `baseUris` and its exposes namespaces on port 0, all on 127.0.0.1. */
async function serve(file: string, baseUris: Record<string, string>, exposes: readonly string[]): Promise<Served> {
  const runtime = await startRuntime({
    files: [file],
    ports: new Map(exposes.map((ns) => [ns, 0])),
    baseUris: new Map(Object.entries(baseUris)),
    // the fixtures say `address: localhost`, which may resolve to ::1: keep every socket on 127.0.0.1
    host: '127.0.0.1',
    logLevel: 'silent',
    env: {},
  });
  return {
    runtime,
    rest: runtime.adapters.find((a) => a.type === 'rest')?.url ?? '',
    mcp: runtime.adapters.find((a) => a.type === 'mcp')?.url ?? '',
    close: () => runtime.close(),
  };
}

/** The one request the upstream received since the last reset. */
function only(rec: Recorder): Recorded {
  expect(rec.requests).toHaveLength(1);
  return rec.requests[0]!;
}

const warningCodes = (rt: Runtime): string[] => rt.warnings.map((w) => w.code);

/** What the upstream got beyond `host` (checked to be the upstream's own) and `connection`: exactly the headers the fixture declares. */
function sentHeaders(r: Recorded, upstreamUrl: string): Record<string, unknown> {
  const { host, connection, 'x-request-id': requestId, ...rest } = r.headers;
  expect(host).toBe(new URL(upstreamUrl).host);
  expect(connection).toBe('keep-alive');
  // every call carries the inbound request's id (a UUID: these callers send none)
  expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  return rest;
}

const JSON_TYPE = 'application/json; charset=utf-8';

// ───────────────────────────── formats/*: the text decoders ─────────────────────────────

describe('formats fixtures: text decoders, served in place', () => {
  let rec: Recorder;
  let tmp: TmpDir;
  beforeAll(async () => {
    rec = await startRecorder();
    tmp = tmpDir();
  });
  afterAll(async () => {
    await rec?.close();
    tmp?.remove();
  });
  beforeEach(() => {
    rec.requests.length = 0;
  });

  /** Serves `file`, answers every request with `answer`, calls GET `route` once. */
  async function getOnce(file: string, ns: string, exposes: string, route: string, answer: Answer) {
    rec.answer = () => answer;
    const rt = await serve(file, { [ns]: rec.url }, [exposes]);
    try {
      expect(rt.runtime.adapters.map((a) => a.routes)).toEqual([[`GET ${route}`]]);
      const reply = await call(`${rt.rest}${route}`);
      return { reply, upstream: only(rec), runtime: rt.runtime };
    } finally {
      await rt.close();
    }
  }

  it('xml-capability.yaml: GET /xml/users → GET /api/users with its User-Agent; `$.root.user` names the dropped root, so the array is empty', async () => {
    const { reply, upstream, runtime } = await getOnce(fixture('formats/xml-capability.yaml'), 'mock-xml', 'test-xml', '/xml/users', {
      status: 200, headers: { 'content-type': 'application/xml' }, body: sample('sample-users.xml').toString('utf8'),
    });
    expect(warningCodes(runtime)).toEqual([]);
    expect(upstream.method).toBe('GET');
    expect(upstream.url).toBe('/api/users');
    expect([...upstream.query]).toEqual([]);
    expect(sentHeaders(upstream, rec.url)).toEqual({ 'user-agent': 'Naftiko/1.0.0-alpha2' });
    expect(upstream.body).toBe('');
    // FEATURES §13: Jackson drops the root element, so the decoded tree is {user: [...]} and the fixture's
    // `$.root.user` matches nothing; a missing array mapping is [] in naftiko-run (Java would fall back to
    // the raw XML, REF §2.4). See the tmp copy below for the same call with `$.user`.
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(JSON_TYPE);
    expect(reply.json).toEqual([]);
  });

  it('xml-capability.yaml with `$.user` (tmp copy, the only change): the decoded users, strings as in the XML', async () => {
    const text = readFileSync(fixture('formats/xml-capability.yaml'), 'utf8');
    expect(text).toContain('mapping: "$.root.user"');
    const file = tmp.write('xml-user.yaml', text.replace('mapping: "$.root.user"', 'mapping: "$.user"'));
    const { reply, upstream } = await getOnce(file, 'mock-xml', 'test-xml', '/xml/users', {
      status: 200, headers: { 'content-type': 'application/xml' }, body: sample('sample-users.xml').toString('utf8'),
    });
    expect(upstream.url).toBe('/api/users');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual(USERS);
  });

  it('html-capability.yaml: GET /html/products → GET /api/products; the rows of table.products, mapped to name/price/stock', async () => {
    const { reply, upstream, runtime } = await getOnce(fixture('formats/html-capability.yaml'), 'mock-html', 'test-html', '/html/products', {
      status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: sample('sample-products.html').toString('utf8'),
    });
    expect(warningCodes(runtime)).toEqual([]);
    expect(upstream.method).toBe('GET');
    expect(upstream.url).toBe('/api/products');
    expect(sentHeaders(upstream, rec.url)).toEqual({});
    expect(upstream.body).toBe('');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(JSON_TYPE);
    expect(reply.json).toEqual([
      { name: 'Widget', price: '$42', stock: '150' },
      { name: 'Gadget', price: '$99', stock: '30' },
    ]);
  });

  it('html-capability.yaml: the selector scopes the tables (a table outside table.products is not tables[0])', async () => {
    const page = sample('sample-products.html').toString('utf8')
      .replace('<section class="inventory">', '<table class="orders"><tr><th>Order</th></tr><tr><td>O-1</td></tr></table><section class="inventory">');
    const { reply } = await getOnce(fixture('formats/html-capability.yaml'), 'mock-html', 'test-html', '/html/products', {
      status: 200, headers: { 'content-type': 'text/html' }, body: page,
    });
    expect(reply.json).toEqual([
      { name: 'Widget', price: '$42', stock: '150' },
      { name: 'Gadget', price: '$99', stock: '30' },
    ]);
  });

  it('markdown-capability.yaml: GET /markdown/features → GET /api/readme; the GFM table rows, mapped to feature/status', async () => {
    const { reply, upstream, runtime } = await getOnce(fixture('formats/markdown-capability.yaml'), 'mock-markdown', 'test-markdown', '/markdown/features', {
      status: 200, headers: { 'content-type': 'text/markdown; charset=utf-8' }, body: sample('sample-readme.md').toString('utf8'),
    });
    expect(warningCodes(runtime)).toEqual([]);
    expect(upstream.method).toBe('GET');
    expect(upstream.url).toBe('/api/readme');
    expect(sentHeaders(upstream, rec.url)).toEqual({});
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(JSON_TYPE);
    expect(reply.json).toEqual([
      { feature: 'HTML support', status: 'GA' },
      { feature: 'Markdown support', status: 'Beta' },
    ]);
  });

  it('csv-capability.yaml: GET /csv/users → GET /api/users with its User-Agent; the rows keyed by the header row', async () => {
    const { reply, upstream, runtime } = await getOnce(fixture('formats/csv-capability.yaml'), 'mock-csv', 'test-csv', '/csv/users', {
      status: 200, headers: { 'content-type': 'text/csv' }, body: sample('sample-users.csv').toString('utf8'),
    });
    expect(warningCodes(runtime)).toEqual([]);
    expect(upstream.method).toBe('GET');
    expect(upstream.url).toBe('/api/users');
    expect(sentHeaders(upstream, rec.url)).toEqual({ 'user-agent': 'Naftiko/1.0.0-alpha2' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(JSON_TYPE);
    expect(reply.json).toEqual(USERS);
  });

  it('csv-capability.yaml: the items mapping picks the declared columns only', async () => {
    const { reply } = await getOnce(fixture('formats/csv-capability.yaml'), 'mock-csv', 'test-csv', '/csv/users', {
      status: 200, headers: { 'content-type': 'text/csv' }, body: 'email,id,secret,name\r\nz@example.com,9,s3cr3t,"Zed, Jr."\r\n',
    });
    expect(reply.json).toEqual([{ id: '9', name: 'Zed, Jr.', email: 'z@example.com' }]);
  });

  it('yaml-capability.yaml: GET /yaml/users → GET /api/users with its User-Agent; `$.users` mapped', async () => {
    const { reply, upstream, runtime } = await getOnce(fixture('formats/yaml-capability.yaml'), 'mock-yaml', 'test-yaml', '/yaml/users', {
      status: 200, headers: { 'content-type': 'application/yaml' }, body: sample('sample-users.yaml').toString('utf8'),
    });
    expect(warningCodes(runtime)).toEqual([]);
    expect(upstream.method).toBe('GET');
    expect(upstream.url).toBe('/api/users');
    expect(sentHeaders(upstream, rec.url)).toEqual({ 'user-agent': 'Naftiko/1.0.0-2' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(JSON_TYPE);
    expect(reply.json).toEqual(USERS);
  });

  it('a text-format fixture whose upstream sends a malformed body answers 502 NR_ERR_UPSTREAM_BAD_BODY', async () => {
    const { reply } = await getOnce(fixture('formats/yaml-capability.yaml'), 'mock-yaml', 'test-yaml', '/yaml/users', {
      status: 200, headers: { 'content-type': 'application/yaml' }, body: 'users: [a\nb: {',
    });
    expect(reply.status).toBe(502);
    expect(isProblem(reply)).toBe(true);
    expect(reply.json).toMatchObject({ code: 'NR_ERR_UPSTREAM_BAD_BODY', status: 502 });
  });

  it('an upstream error status passes through unmapped (xml fixture, 404 with an XML body)', async () => {
    const { reply } = await getOnce(fixture('formats/xml-capability.yaml'), 'mock-xml', 'test-xml', '/xml/users', {
      status: 404, headers: { 'content-type': 'application/xml' }, body: '<error><code>none</code></error>',
    });
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toBe('application/xml');
    expect(reply.text).toBe('<error><code>none</code></error>');
  });
});

// ───────────────────────────── formats/*: avro and protobuf ─────────────────────────────

const RECORDS = {
  records: [
    { id: 'r1', title: 'First', description: 'the first record' },
    { id: 'r2', title: 'Zoë – second', description: 'bytes ≥ 0x80: read as bytes, not text' },
  ],
};

interface BinaryCase {
  readonly label: string;
  readonly fixture: string;
  readonly consumes: string;
  readonly exposes: string;
  readonly route: string;
  readonly accept: string;
  readonly format: string;
  readonly schema: string;
  readonly contentType: string;
  readonly encode: (value: unknown) => Buffer;
}

const avroType = (): import('avsc').Type => avro.Type.forSchema(JSON.parse(sample('test-records.avsc').toString('utf8')));
const protoType = (): import('protobufjs').Type => protobuf.loadSync(samplePath('test-records.proto')).lookupType('test.records.RecordsList');

const BINARY: readonly BinaryCase[] = [
  {
    label: 'avro', fixture: 'formats/avro-capability.yaml', consumes: 'mock-avro', exposes: 'test-avro', route: '/avro/records',
    accept: 'application/avro', format: 'avro', schema: 'test-records.avsc', contentType: 'application/avro',
    encode: (v) => avroType().toBuffer(v),
  },
  {
    label: 'protobuf', fixture: 'formats/proto-capability.yaml', consumes: 'mock-proto', exposes: 'test-protobuf', route: '/proto/records',
    accept: 'application/protobuf', format: 'protobuf', schema: 'test-records.proto', contentType: 'application/protobuf',
    encode: (v) => {
      const t = protoType();
      return Buffer.from(t.encode(t.fromObject(v as Record<string, unknown>)).finish());
    },
  },
];

/** An upstream that answers every request with these exact bytes (the helpers' recorder sends strings as UTF-8). */
async function startBytesUpstream(contentType: string): Promise<{ url: string; requests: Recorded[]; body: Buffer; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const state: { body: Buffer } = { body: Buffer.alloc(0) };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (ch: Buffer) => chunks.push(ch));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      requests.push({
        method: req.method ?? '', url, path: q < 0 ? url : url.slice(0, q), query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
        headers: req.headers, body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': contentType, 'content-length': String(state.body.length) });
      res.end(state.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get body() {
      return state.body;
    },
    set body(b: Buffer) {
      state.body = b;
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

describe.each(BINARY)('formats fixture: $label', (c) => {
  let up: Awaited<ReturnType<typeof startBytesUpstream>>;
  let tmp: TmpDir;
  beforeAll(async () => {
    up = await startBytesUpstream(c.contentType);
    up.body = c.encode(RECORDS);
    tmp = tmpDir();
    // The fixture with `outputSchema` added goes into a tmp dir: the schema file lives in
    // shared/naftiko/fixtures/schemas while the fixture lives in test/fixtures/formats, and outputSchema
    // resolves against the capability's own directory (FEATURES §1.1), so the copy and the schema sit side
    // by side and the copy names it relatively.
    copyFileSync(samplePath(c.schema), path.join(tmp.dir, c.schema));
  });
  afterAll(async () => {
    await up?.close();
    tmp?.remove();
  });
  beforeEach(() => {
    up.requests.length = 0;
  });

  const received = (): Recorded => {
    expect(up.requests).toHaveLength(1);
    const r = up.requests[0]!;
    expect(r.method).toBe('GET');
    expect(r.url).toBe('/api/records');
    expect(sentHeaders(r, up.url)).toEqual({ accept: c.accept });
    expect(r.body).toBe('');
    return r;
  };

  /** The fixture's text with `outputSchema: <schema>` under its outputRawFormat. */
  function withSchema(): string {
    const text = readFileSync(fixture(c.fixture), 'utf8');
    const line = `outputRawFormat: "${c.format}"`;
    expect(text.split(line)).toHaveLength(2);
    return text.replace(line, `${line}\n              outputSchema: "${c.schema}"`);
  }

  it('in place (no outputSchema): loads with NR_WARN_OUTPUT_SCHEMA_MISSING; the mapped GET answers 501 before any upstream call', async () => {
    const rt = await serve(fixture(c.fixture), { [c.consumes]: up.url }, [c.exposes]);
    try {
      expect(rt.runtime.warnings.map((w) => [w.code, w.severity, w.pointer])).toEqual([
        ['NR_WARN_OUTPUT_SCHEMA_MISSING', 'warning', '/capability/consumes/0/resources/0/operations/0/outputRawFormat'],
      ]);
      expect(rt.runtime.adapters.map((a) => a.routes)).toEqual([[`GET ${c.route}`]]);
      const reply = await call(`${rt.rest}${c.route}`);
      expect(up.requests).toHaveLength(0);
      expect(reply.status).toBe(501);
      expect(isProblem(reply)).toBe(true);
      expect(reply.json).toMatchObject({ code: 'NR_ERR_NOT_IMPLEMENTED', status: 501, instance: c.route });
      expect(reply.json.detail).toBe(`${c.consumes}.get-records answers ${c.format}, which can only be decoded with its schema: add "outputSchema" to the operation (a mapped output or a step needs the decoded answer)`);
    } finally {
      await rt.close();
    }
  });

  it('a tmp copy WITH outputSchema: the binary body decodes and maps to the records', async () => {
    const rt = await serve(tmp.write(`${c.label}.yaml`, withSchema()), { [c.consumes]: up.url }, [c.exposes]);
    try {
      expect(warningCodes(rt.runtime)).toEqual([]);
      const reply = await call(`${rt.rest}${c.route}`);
      received();
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe(JSON_TYPE);
      expect(reply.json).toEqual(RECORDS.records);
    } finally {
      await rt.close();
    }
  });

  it('a tmp copy without outputParameters: the binary body passes through byte for byte', async () => {
    const text = readFileSync(fixture(c.fixture), 'utf8');
    const from = text.indexOf('              outputParameters:');
    const to = text.indexOf('\n  consumes:');
    expect(from).toBeGreaterThan(0);
    expect(to).toBeGreaterThan(from);
    const rt = await serve(tmp.write(`${c.label}-passthrough.yaml`, text.slice(0, from) + text.slice(to + 1)), { [c.consumes]: up.url }, [c.exposes]);
    try {
      const res = await fetch(`${rt.rest}${c.route}`);
      const bytes = Buffer.from(await res.arrayBuffer());
      received();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(c.contentType);
      expect(bytes.equals(up.body)).toBe(true);
    } finally {
      await rt.close();
    }
  });
});

// ───────────────────────────── steps with namespaced inputs ─────────────────────────────

const VOYAGE = {
  voyageId: 'VOY-2026-042',
  shipImo: 'IMO-9321483',
  departurePort: 'Oslo',
  arrivalPort: 'Singapore',
  departureDate: '2026-04-10T08:00:00Z',
  arrivalDate: '2026-05-02T14:00:00Z',
  crewIds: ['CREW-001', 'CREW-003'],
  cargoIds: ['CARGO-2024-0451'],
  status: 'planned',
};

/** The registry: one voyage under its exact path, anything else its documented 404. */
function registry(req: Recorded): Answer {
  const m = /^\/voyages\/([^/]+)$/.exec(req.path);
  const id = m ? decodeURIComponent(m[1]!) : undefined;
  if (req.method === 'GET' && id === VOYAGE.voyageId) return { status: 200, body: VOYAGE };
  if (req.method === 'GET' && id === 'VOY 2026/042') return { status: 200, body: { ...VOYAGE, voyageId: id } };
  return { status: 404, body: { error: 'not_found', message: `Voyage ${id ?? req.path} not found` } };
}

interface StepCase {
  readonly label: string;
  readonly fixture: string;
  readonly exposes: string;
  readonly tool: string;
  /** the tool argument carrying the voyage id */
  readonly arg: string;
  /** the mapped result key */
  readonly key: string;
  readonly step: string;
  readonly inputSchema: unknown;
}

const STEP_CASES: readonly StepCase[] = [
  {
    label: 'mcp/mcp-step-with-namespace-capability.yaml (with: {voyageId: shipyard-tools.voyageId})',
    fixture: 'mcp/mcp-step-with-namespace-capability.yaml',
    exposes: 'shipyard-tools',
    tool: 'get-voyage-manifest',
    arg: 'voyageId',
    key: 'voyageId',
    step: 'get-voyage',
    inputSchema: { type: 'object', properties: { voyageId: { type: 'string', description: 'Voyage ID' } }, required: ['voyageId'] },
  },
  {
    label: 'aggregates/aggregate-step-with-namespace.yaml (with: {voyage-id: shipyard.voyage-id}, through the MCP ref)',
    fixture: 'aggregates/aggregate-step-with-namespace.yaml',
    exposes: 'shipyard-mcp',
    tool: 'get-voyage-manifest',
    arg: 'voyage-id',
    key: 'voyage-id',
    step: 'fetch-voyage',
    inputSchema: { type: 'object', properties: { 'voyage-id': { type: 'string', description: 'Voyage identifier' } } },
  },
];

describe.each(STEP_CASES)('$label', (c) => {
  let rec: Recorder;
  let rt: Awaited<ReturnType<typeof serve>>;
  let client: Client;
  beforeAll(async () => {
    rec = await startRecorder(registry);
    rt = await serve(fixture(c.fixture), { registry: rec.url }, [c.exposes]);
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
    await rec?.close();
  });
  beforeEach(() => {
    rec.requests.length = 0;
  });

  it('loads without warnings and lists the one tool with its inputs and the orchestrated output', async () => {
    expect(warningCodes(rt.runtime)).toEqual([]);
    expect(rt.runtime.adapters.map((a) => [a.type, a.tools])).toEqual([['mcp', [c.tool]]]);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([c.tool]);
    const tool = tools[0]!;
    expect(tool.inputSchema).toMatchObject(c.inputSchema as Record<string, unknown>);
    expect(Object.keys(tool.inputSchema.properties ?? {})).toEqual([c.arg]);
    // a mapping that resolves to nothing writes null (FEATURES §3(d)), so the declared string is nullable
    expect(tool.outputSchema).toMatchObject({ type: 'object', properties: { [c.key]: { type: ['string', 'null'] } } });
    expect(Object.keys(tool.outputSchema?.properties ?? {})).toEqual([c.key]);
  });

  it('tools/call: the step URL is built from the namespaced input, and the mapping gives the voyage id', async () => {
    const r = await client.callTool({ name: c.tool, arguments: { [c.arg]: 'VOY-2026-042' } });
    const up = only(rec);
    expect(up.method).toBe('GET');
    expect(up.url).toBe('/voyages/VOY-2026-042');
    expect(up.body).toBe('');
    expect([...up.query]).toEqual([]);
    expect(sentHeaders(up, rec.url)).toEqual({});
    expect(r.isError).toBeFalsy();
    expect(r.content).toEqual([{ type: 'text', text: JSON.stringify({ [c.key]: 'VOY-2026-042' }) }]);
    expect(r.structuredContent).toEqual({ [c.key]: 'VOY-2026-042' });
  });

  it('tools/call: the input is encoded as one path segment', async () => {
    const r = await client.callTool({ name: c.tool, arguments: { [c.arg]: 'VOY 2026/042' } });
    expect(only(rec).url).toBe('/voyages/VOY%202026%2F042');
    expect(r.structuredContent).toEqual({ [c.key]: 'VOY 2026/042' });
  });

  it('tools/call: the step\'s upstream 404 ends the run as isError naming the step', async () => {
    const r = await client.callTool({ name: c.tool, arguments: { [c.arg]: 'VOY-0000' } });
    expect(only(rec).url).toBe('/voyages/VOY-0000');
    expect(r.isError).toBe(true);
    expect(r.content).toEqual([{
      type: 'text',
      text: `Step "${c.step}" (registry.get-voyage): Upstream answered 404: {"error":"not_found","message":"Voyage VOY-0000 not found"}`,
    }]);
  });

  it('tools/call against the fixture\'s unreachable registry (a closed port): isError naming the step and the call', async () => {
    const port = await closedPort();
    const down = await serve(fixture(c.fixture), { registry: `http://127.0.0.1:${port}` }, [c.exposes]);
    const downClient = await mcpClient(down.mcp);
    try {
      const r = await downClient.callTool({ name: c.tool, arguments: { [c.arg]: 'VOY-2026-042' } });
      expect(r.isError).toBe(true);
      const text = (r.content as { type: string; text: string }[])[0]!.text;
      // the failed step comes first, as when a step's upstream answers with an error
      expect(text).toBe(
        `Step "${c.step}" (registry.get-voyage): Upstream unreachable (NR_ERR_UPSTREAM_UNREACHABLE, status 502): GET http://127.0.0.1:${port}/voyages/VOY-2026-042 could not be reached (ECONNREFUSED)`,
      );
      expect(r.structuredContent).toBeUndefined();
    } finally {
      await downClient.close();
      await down.close();
    }
  });
});
