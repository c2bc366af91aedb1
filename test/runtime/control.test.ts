/**
 * The control adapter (FEATURES §15) against a real runtime and a real upstream: health, status,
 * Prometheus metrics checked with a real text-format parser against the requests sent, traces with the
 * inbound, step and upstream spans in one trace and the upstream seeing `traceparent`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import parsePrometheus from 'parse-prometheus-text-format';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { call, mcpClient, rawRequest, startRecorder, tmpDir, type Recorder, type TmpDir } from './helpers.js';
import { ROOT } from './helpers.js';
import path from 'node:path';
import { OBSERVED } from './observed-fixture.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';


const ZERO_PORTS = new Map([['control', 0], ['shop-rest', 0], ['shop-mcp', 0]]);

function answer(req: { path: string }) {
  if (req.path === '/stock') return { status: 200, body: { count: 7 } };
  if (req.path === '/items/broken') return { status: 503, body: { error: 'down' } };
  return { status: 200, body: { id: req.path.split('/').pop(), name: 'widget' } };
}

describe('control adapter', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  let runtime: Runtime;
  let control = '';
  let rest = '';
  let mcp = '';

  beforeAll(async () => {
    upstream = await startRecorder(answer);
    dir = tmpDir();
    runtime = await startRuntime({ files: [dir.write('observed.yaml', OBSERVED(upstream.url))], ports: ZERO_PORTS, logLevel: 'silent', env: {}, invoker: { retries: 0 } });
    control = runtime.adapters.find((a) => a.type === 'control')!.url;
    rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    mcp = runtime.adapters.find((a) => a.type === 'mcp')!.url;
  });
  afterAll(async () => {
    await runtime?.close();
    await upstream?.close();
    dir?.remove();
  });

  it('answers /health/live and /health/ready with every adapter started', async () => {
    const live = await call(`${control}/health/live`);
    expect(live.status).toBe(200);
    expect(live.json).toEqual({ status: 'UP' });
    const ready = await call(`${control}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe('UP');
    expect(ready.json.adapters.map((a: { namespace: string; state: string }) => `${a.namespace}:${a.state}`).sort()).toEqual(['control:started', 'shop-mcp:started', 'shop-rest:started']);
  });

  it('reports /status: capability, engine, uptime, adapters, upstream breakers', async () => {
    await call(`${rest}/items/a1`);
    const status = await call(`${control}/status`);
    expect(status.status).toBe(200);
    expect(status.json.capability).toEqual({ label: 'Observed shop', specVersion: '1.0.0-alpha3' });
    expect(status.json.engine).toMatchObject({ name: 'naftiko-run', runtime: `node ${process.versions.node}`, native: false });
    expect(status.json.uptime).toMatch(/^PT(\d+H)?(\d+M)?[\d.]+S$/);
    expect(status.json.otel).toEqual({ status: 'active' });
    expect(status.json.upstreams).toEqual([expect.objectContaining({ origin: upstream.url, breaker: 'closed', inFlight: 0, queued: 0 })]);
    expect(status.json.reload).toMatchObject({ count: 0, inProgress: false });
  });

  it('counts requests in /metrics under the reference engine\'s names, as a Prometheus parser reads them', async () => {
    const beforeRes = await call(`${control}/metrics`);
    const before = metricsOf(beforeRes);
    await Promise.all([call(`${rest}/items/m1`), call(`${rest}/items/m2`), call(`${rest}/items/m3/stock`), call(`${rest}/nope`)]);
    const client = await mcpClient(mcp);
    await client.callTool({ name: 'get-item', arguments: { id: 'm4' } });
    await client.close();
    const res = await call(`${control}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const after = metricsOf(res);
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('naftiko_request_total', { 'naftiko_adapter_type': 'rest', 'naftiko_operation_id': '/items/{id} GET', status: '200' })).toBe(2);
    expect(delta('naftiko_request_total', { 'naftiko_adapter_type': 'rest', 'naftiko_operation_id': '/items/{id}/stock GET', status: '200' })).toBe(1);
    expect(delta('naftiko_request_total', { 'naftiko_adapter_type': 'rest', 'naftiko_operation_id': 'unmatched', status: '404' })).toBe(1);
    expect(delta('naftiko_request_errors', { 'naftiko_adapter_type': 'rest', 'naftiko_operation_id': 'unmatched', status: '404', 'error_type': '404' })).toBe(1);
    expect(delta('naftiko_request_total', { 'naftiko_adapter_type': 'mcp', 'naftiko_operation_id': 'get-item', status: '200' })).toBe(1);
    // five upstream calls: m1, m2, m3 and its stock, m4
    expect(delta('naftiko_http_client_total', { 'http_request_method': 'GET', 'server_address': upstream.url, 'http_response_status_code': '200' })).toBe(5);
    expect(after.find((f) => f.name === 'naftiko_step_duration_seconds')?.type).toBe('HISTOGRAM');
    const stepLabels = 'step_type="call",naftiko_namespace="shop"';
    expect(histogramCount(res.text, 'naftiko_step_duration_seconds', stepLabels) - histogramCount(beforeRes.text, 'naftiko_step_duration_seconds', stepLabels)).toBe(2);
    expect(histogramCount(res.text, 'naftiko_request_duration_seconds', 'naftiko_adapter_type="rest",naftiko_operation_id="/items/{id} GET",status="200"')).toBeGreaterThanOrEqual(2);
    expect(res.text).toMatch(/naftiko_request_duration_seconds_bucket\{naftiko_adapter_type="rest",naftiko_operation_id="\/items\/\{id\} GET",status="200",le="\+Inf"\} \d+/);
    expect(sample(after, 'naftiko_capability_active', { 'naftiko_capability': 'Observed shop' })).toBe(1);
    expect(sample(after, 'naftiko_upstream_circuit_state', { 'server_address': upstream.url })).toBe(0);
    expect(sample(after, 'process_resident_memory_bytes', {})).toBeGreaterThan(10_000_000);
  });

  it('records one trace per request: inbound, step and upstream spans, with traceparent sent upstream', async () => {
    upstream.requests.length = 0;
    const res = await call(`${rest}/items/t1/stock`);
    expect(res.status).toBe(200);
    const list = (await call(`${control}/traces?operation=stock`)).json;
    expect(list.bufferSize).toBe(10);
    const summary = list.traces[0];
    expect(summary).toMatchObject({ operation: '/items/{id}/stock GET', status: 'OK', spanCount: 5 });
    const trace = (await call(`${control}/traces/${summary.traceId}`)).json;
    const byName = (n: string) => trace.spans.filter((s: { name: string }) => s.name === n);
    const [root] = byName('rest.request');
    expect(root.parentSpanId).toBeUndefined();
    const steps = byName('step.call');
    expect(steps).toHaveLength(2);
    for (const s of steps) expect(s.parentSpanId).toBe(root.spanId);
    const clients = byName('http.client.GET');
    expect(clients).toHaveLength(2);
    expect(clients.map((c: { parentSpanId: string }) => c.parentSpanId).sort()).toEqual(steps.map((s: { spanId: string }) => s.spanId).sort());
    // each upstream request carried its client span as parent, in the same trace
    const sent = upstream.requests.map((r) => String(r.headers.traceparent));
    expect(sent.sort()).toEqual(clients.map((c: { spanId: string }) => `00-${summary.traceId}-${c.spanId}-01`).sort());
  });

  it('nests an MCP tool call: mcp.request → mcp.tool → http.client, with the tool span sent upstream as parent', async () => {
    upstream.requests.length = 0;
    const traceId = 'd'.repeat(32);
    // the SDK client sends the caller's trace context on its POST, as an instrumented agent would
    const traced = new Client({ name: 'traced', version: '0.0.0' });
    await traced.connect(new StreamableHTTPClientTransport(new URL(mcp), { requestInit: { headers: { traceparent: `00-${traceId}-${'e'.repeat(16)}-01` } } }));
    const result = await traced.callTool({ name: 'get-item', arguments: { id: 'm1' } });
    await traced.close();
    expect(result.isError).toBeFalsy();
    const spans = (await call(`${control}/traces/${traceId}`)).json.spans as { name: string; spanId: string; parentSpanId?: string }[];
    const tool = spans.find((s) => s.name === 'mcp.tool')!;
    const request = spans.find((s) => s.name === 'mcp.request' && s.spanId === tool.parentSpanId);
    expect(request?.parentSpanId).toBe('e'.repeat(16));
    const client = spans.find((s) => s.name === 'http.client.GET')!;
    expect(client.parentSpanId).toBe(tool.spanId);
    expect(upstream.requests.map((r) => String(r.headers.traceparent))).toEqual([`00-${traceId}-${client.spanId}-01`]);
  });

  it('continues the caller\'s trace context and marks upstream 5xx as ERROR', async () => {
    const traceId = 'a'.repeat(32);
    const res = await rawRequest(`${rest}/items/broken`, { headers: { host: new URL(rest).host, traceparent: `00-${traceId}-${'b'.repeat(16)}-01` } });
    expect(res.status).toBe(503);
    const trace = (await call(`${control}/traces/${traceId}`)).json;
    const root = trace.spans.find((s: { name: string }) => s.name === 'rest.request');
    expect(root.parentSpanId).toBe('b'.repeat(16));
    expect(trace.spans.find((s: { name: string }) => s.name === 'http.client.GET').status).toBe('ERROR');
    expect((await call(`${control}/traces?status=ERROR`)).json.traces.map((t: { traceId: string }) => t.traceId)).toContain(traceId);
  });

  it('answers problems for an unknown trace, a bad filter and an unknown route', async () => {
    const missing = await call(`${control}/traces/${'c'.repeat(32)}`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'NR_ERR_TRACE_NOT_FOUND', status: 404 });
    expect((await call(`${control}/traces?status=MAYBE`)).json.code).toBe('NR_ERR_BAD_INPUT');
    const unknown = await call(`${control}/config`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.detail).toContain('/health/live');
  });

  it('refuses a foreign Host (DNS rebinding), as every loopback adapter does', async () => {
    const res = await rawRequest(`${control}/status`, { headers: { host: 'evil.example' } });
    expect(res.status).toBe(403);
  });
});

describe('control adapter settings', () => {
  const fixtures = path.join(ROOT, 'test/fixtures/control');

  it('serves the reference fixture: health and status, metrics and traces on by default', async () => {
    const runtime = await startRuntime({ files: [path.join(fixtures, 'control-capability.yaml')], ports: new Map([['control', 0]]), logLevel: 'silent', env: {} });
    try {
      const url = runtime.adapters.find((a) => a.type === 'control')!.url;
      expect((await call(`${url}/health/ready`)).status).toBe(200);
      expect((await call(`${url}/status`)).json.capability.label).toBe('Control Port Test Capability');
      expect((await call(`${url}/metrics`)).status).toBe(200);
      expect((await call(`${url}/traces`)).json.bufferSize).toBe(50);
    } finally {
      await runtime.close();
    }
  });

  it('observability.enabled: false serves no /metrics and no /traces', async () => {
    const runtime = await startRuntime({ files: [path.join(fixtures, 'control-observability-disabled.yaml')], ports: new Map([['control', 0]]), logLevel: 'silent', env: {} });
    try {
      const url = runtime.adapters.find((a) => a.type === 'control')!.url;
      expect((await call(`${url}/metrics`)).status).toBe(404);
      expect((await call(`${url}/traces`)).status).toBe(404);
      expect((await call(`${url}/status`)).json.otel).toEqual({ status: 'inactive' });
    } finally {
      await runtime.close();
    }
  });

  it('--control-port adds a control adapter to a capability without one; without it nothing is measured', async () => {
    const upstream = await startRecorder(answer);
    const dir = tmpDir();
    const plain = OBSERVED(upstream.url).replace(/    - type: control[\s\S]*?buffer-size: 10\n/, '');
    const file = dir.write('plain.yaml', plain);
    const without = await startRuntime({ files: [file], ports: new Map([['shop-rest', 0], ['shop-mcp', 0]]), logLevel: 'silent', env: {} });
    try {
      expect(without.adapters.map((a) => a.type)).not.toContain('control');
      upstream.requests.length = 0;
      await call(`${without.adapters.find((a) => a.type === 'rest')!.url}/items/x`);
      expect(upstream.requests[0]!.headers.traceparent).toBeUndefined();
    } finally {
      await without.close();
    }
    const withFlag = await startRuntime({ files: [file], ports: new Map([['shop-rest', 0], ['shop-mcp', 0]]), controlPort: 0, logLevel: 'silent', env: {} });
    try {
      const url = withFlag.adapters.find((a) => a.type === 'control')!.url;
      expect((await call(`${url}/health/live`)).status).toBe(200);
      await call(`${withFlag.adapters.find((a) => a.type === 'rest')!.url}/items/x`);
      expect(metricsOf(await call(`${url}/metrics`)).some((f) => f.name === 'naftiko_request_total')).toBe(true);
    } finally {
      await withFlag.close();
      await upstream.close();
      dir.remove();
    }
  });

  it('guards everything but /health/live with the control adapter\'s authentication', async () => {
    const dir = tmpDir();
    const file = dir.write('guarded.yaml', `
naftiko: 1.0.0-alpha3
binds:
  - namespace: ops
    keys:
      OPS_TOKEN: OPS_TOKEN
capability:
  exposes:
    - type: control
      port: 1
      authentication:
        type: bearer
        token: "{{OPS_TOKEN}}"
      management:
        info: true
`);
    const runtime = await startRuntime({ files: [file], ports: new Map([['control', 0]]), logLevel: 'silent', env: { OPS_TOKEN: 's3cret' } }).catch((e) => {
      dir.remove();
      throw e;
    });
    try {
      const url = runtime.adapters.find((a) => a.type === 'control')!.url;
      expect((await call(`${url}/health/live`)).status).toBe(200);
      expect((await call(`${url}/status`)).status).toBe(401);
      expect((await call(`${url}/metrics`)).status).toBe(401);
      expect((await call(`${url}/status`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    } finally {
      await runtime.close();
      dir.remove();
    }
  });
});

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[] };

function metricsOf(res: { status: number; text: string }): Family[] {
  expect(res.status).toBe(200);
  return parsePrometheus(res.text) as Family[];
}

function matches(labels: Record<string, string> | undefined, want: Record<string, string>): boolean {
  const have = labels ?? {};
  return Object.keys(want).length === Object.keys(have).length && Object.entries(want).every(([k, v]) => have[k] === v);
}

function sample(families: Family[], name: string, labels: Record<string, string>): number {
  const m = families.find((f) => f.name === name)?.metrics.find((x) => matches(x.labels, labels));
  return m ? Number(m.value) : 0;
}

/** A labelled histogram's `_count` (the parser keeps the buckets of labelled histograms but not their labels). */
function histogramCount(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}_count{${labels}} `));
  return line ? Number(line.split(' ').pop()) : 0;
}
