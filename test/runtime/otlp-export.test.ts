/**
 * OTLP export (issue 9 §1): with an endpoint (the spec's `exporters.otlp.endpoint`, or
 * OTEL_EXPORTER_OTLP_ENDPOINT without any control adapter) the spans of a request reach a local
 * OTLP/HTTP receiver started by the test, in one trace, with the upstream seeing that trace's
 * `traceparent`; without one nothing is sent and nothing is traced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRuntime } from '../../src/runtime.js';
import { otlpTracesUrl } from '../../src/observe/otlp-export.js';
import { call, startRecorder, tmpDir, type Recorder, type TmpDir, until } from './helpers.js';
import { OBSERVED } from './observed-fixture.js';
import { Serving } from './serving-cli.js';
import { ensureBuilt } from '../build-dist.js';

interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; status?: { code?: number }; attributes: { key: string; value: Record<string, unknown> }[] }
interface Received { path: string; contentType: string; resource: Record<string, unknown>; spans: OtlpSpan[] }

/** A minimal OTLP/HTTP JSON receiver: records what was posted to /v1/traces. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const resource = Object.fromEntries((rs.resource?.attributes ?? []).map((a: { key: string; value: { stringValue?: string } }) => [a.key, a.value.stringValue]));
        received.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), resource, spans: rs.scopeSpans.flatMap((s: { spans: OtlpSpan[] }) => s.spans) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}

function answer(req: { path: string }) {
  return req.path === '/stock' ? { status: 200, body: { count: 7 } } : { status: 200, body: { id: 'x', name: 'widget' } };
}


describe('OTLP trace export', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  beforeAll(async () => {
    upstream = await startRecorder(answer);
    dir = tmpDir();
  });
  afterAll(async () => {
    await upstream?.close();
    dir?.remove();
  });

  it('exports the inbound, step and upstream spans of a request in one trace to the spec\'s endpoint (binds rendered)', async () => {
    const receiver = await startReceiver();
    const spec = OBSERVED(upstream.url)
      .replace('naftiko: 1.0.0-alpha3\n', 'naftiko: 1.0.0-alpha3\nbinds:\n  - namespace: telemetry\n    keys:\n      OTEL_COLLECTOR: OTEL_COLLECTOR\n')
      .replace('          local:\n            buffer-size: 10\n', '          local:\n            buffer-size: 10\n        exporters:\n          otlp:\n            endpoint: "{{OTEL_COLLECTOR}}"\n');
    const runtime = await startRuntime({ files: [dir.write('exported.yaml', spec)], ports: new Map([['control', 0], ['shop-rest', 0], ['shop-mcp', 0]]), logLevel: 'silent', env: { OTEL_COLLECTOR: receiver.url }, invoker: { retries: 0 } });
    try {
      upstream.requests.length = 0;
      const rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
      expect((await call(`${rest}/items/t1/stock`)).status).toBe(200);
    } finally {
      await runtime.close(); // flushes what is queued
    }
    try {
      const spans = receiver.received.flatMap((r) => r.spans);
      expect(receiver.received[0]).toMatchObject({ path: '/v1/traces', resource: { 'service.name': 'naftiko-Observed shop' } });
      expect(receiver.received[0]!.contentType).toContain('application/json');
      const root = spans.find((s) => s.name === 'rest.request')!;
      expect(root).toBeDefined();
      expect(root.kind).toBe(2); // OTLP SPAN_KIND_SERVER
      const trace = spans.filter((s) => s.traceId === root.traceId);
      const steps = trace.filter((s) => s.name === 'step.call');
      const clients = trace.filter((s) => s.name === 'http.client.GET');
      expect(steps).toHaveLength(2);
      expect(clients).toHaveLength(2);
      for (const s of steps) expect(s.parentSpanId).toBe(root.spanId);
      expect(clients.map((c) => c.parentSpanId).sort()).toEqual(steps.map((s) => s.spanId).sort());
      expect(clients.every((c) => c.kind === 3)).toBe(true); // SPAN_KIND_CLIENT
      expect(root.attributes.find((a) => a.key === 'naftiko.operation.id')?.value).toEqual({ stringValue: '/items/{id}/stock GET' });
      // the upstream saw each client span as its parent, in the exported trace
      expect(upstream.requests.map((r) => String(r.headers.traceparent)).sort()).toEqual(clients.map((c) => `00-${root.traceId}-${c.spanId}-01`).sort());
    } finally {
      await receiver.close();
    }
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT alone turns tracing and export on, with no control adapter', async () => {
    const receiver = await startReceiver();
    const plain = OBSERVED(upstream.url).replace(/    - type: control[\s\S]*?buffer-size: 10\n/, '');
    const runtime = await startRuntime({ files: [dir.write('plain.yaml', plain)], ports: new Map([['shop-rest', 0], ['shop-mcp', 0]]), logLevel: 'silent', env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_SERVICE_NAME: 'shop-facade' }, invoker: { retries: 0 } });
    try {
      expect(runtime.adapters.map((a) => a.type)).not.toContain('control');
      upstream.requests.length = 0;
      await call(`${runtime.adapters.find((a) => a.type === 'rest')!.url}/items/x`);
      expect(String(upstream.requests[0]!.headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    } finally {
      await runtime.close();
    }
    try {
      await until(() => receiver.received.length > 0);
      expect(receiver.received[0]).toMatchObject({ path: '/v1/traces', resource: { 'service.name': 'shop-facade' } });
      expect(receiver.received.flatMap((r) => r.spans).map((s) => s.name).sort()).toEqual(['http.client.GET', 'rest.request']);
    } finally {
      await receiver.close();
    }
  });

  it('exports from the built CLI (the bundle loads the exporter lazily)', async () => {
    ensureBuilt();
    const receiver = await startReceiver();
    const plain = OBSERVED(upstream.url).replace(/    - type: control[\s\S]*?buffer-size: 10\n/, '');
    const s = new Serving([dir.write('cli.yaml', plain), '--port', 'shop-rest=0', '--port', 'shop-mcp=0'], { PATH: process.env.PATH ?? '', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    try {
      const [, rest] = await s.waitFor(/^REST\s+shop-rest\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
      expect((await call(`${rest}/items/x`)).status).toBe(200);
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
    try {
      expect(receiver.received.flatMap((r) => r.spans).map((s) => s.name).sort()).toEqual(['http.client.GET', 'rest.request']);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('keeps serving, and drops spans quietly, when the collector is unreachable', async () => {
    const receiver = await startReceiver();
    await receiver.close(); // nothing listens there now
    const plain = OBSERVED(upstream.url).replace(/    - type: control[\s\S]*?buffer-size: 10\n/, '');
    const runtime = await startRuntime({ files: [dir.write('gone.yaml', plain)], ports: new Map([['shop-rest', 0], ['shop-mcp', 0]]), logLevel: 'silent', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, invoker: { retries: 0 } });
    const rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    try {
      for (let i = 0; i < 5; i++) expect((await call(`${rest}/items/x`)).status).toBe(200);
    } finally {
      const started = Date.now();
      await runtime.close();
      expect(Date.now() - started).toBeLessThan(4_000); // the last export is bounded on close
    }
  });

  it('chooses the traces URL: spec endpoint, then the signal variable, then the base variable; OTEL_SDK_DISABLED wins', () => {
    expect(otlpTracesUrl(undefined, {})).toBeUndefined();
    expect(otlpTracesUrl('http://127.0.0.1:4318/', {})).toBe('http://127.0.0.1:4318/v1/traces');
    expect(otlpTracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe('http://127.0.0.1:4318/v1/traces');
    expect(otlpTracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/t' })).toBe('http://127.0.0.1:9/t');
    expect(otlpTracesUrl('http://127.0.0.1:1', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:2' })).toBe('http://127.0.0.1:1/v1/traces');
    expect(otlpTracesUrl('http://127.0.0.1:1', { OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(otlpTracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:2', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });
});
