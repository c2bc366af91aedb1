/**
 * Resilience toward upstreams: idempotent calls retried (never POST), Retry-After honoured or passed on,
 * every attempt within the call's deadline, a per-origin concurrency limit with a bounded queue, and a
 * per-origin circuit breaker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import type { InvokerOptions } from '../../src/invoke/invoker.js';
import { CircuitBreaker } from '../../src/consume/breaker.js';
import { DEFAULT_RETRY, parseRetryAfter, retryDelay } from '../../src/consume/retry.js';
import { serveLocal, tmpDir, type TmpDir } from './helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

async function upstream(handler: Handler) {
  let n = 0;
  const seen: string[] = [];
  const served = await serveLocal((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    handler(req, res, ++n);
  });
  return { ...served, seen };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

const CAPABILITY = (base: string) => `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "${base}"
      resources:
        - name: item
          path: /item
          operations:
            - name: get-item
              method: GET
            - name: post-item
              method: POST
              inputParameters:
                - name: body
                  in: body
  exposes:
    - type: rest
      namespace: api
      port: 19980
      resources:
        - name: item
          path: /item
          operations:
            - method: GET
              call: up.get-item
            - method: POST
              call: up.post-item
`;

describe('retries, deadline, limits and breaker', () => {
  let dir: TmpDir | undefined;
  let runtime: Runtime | undefined;
  let up: Awaited<ReturnType<typeof upstream>> | undefined;

  async function serve(handler: Handler, invoker: Partial<InvokerOptions> = {}): Promise<string> {
    up = await upstream(handler);
    dir = tmpDir();
    runtime = await startRuntime({ files: [dir.write('cap.yaml', CAPABILITY(up.url))], ports: new Map([['api', 0]]), logLevel: 'silent', env: {}, invoker });
    return `${runtime.adapters[0]!.url}/item`;
  }

  afterEach(async () => {
    await runtime?.close(100);
    await up?.close();
    dir?.remove();
    runtime = undefined;
    up = undefined;
  });

  it('a GET answered 503 is tried again and the caller gets the answer that worked', async () => {
    const url = await serve((_req, res, n) => (n === 1 ? json(res, 503, { busy: true }) : json(res, 200, { ok: n })));
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: 2 });
    expect(up!.seen).toEqual(['GET /item', 'GET /item']);
  });

  it('a GET whose connection breaks before the answer is tried again', async () => {
    const url = await serve((req, res, n) => (n === 1 ? req.socket.destroy() : json(res, 200, { ok: n })));
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(up!.seen).toHaveLength(2);
  });

  it('a POST is never retried: the 503 reaches the caller, the upstream saw one request', async () => {
    const url = await serve((_req, res) => json(res, 503, { busy: true }));
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(503);
    expect(up!.seen).toEqual(['POST /item']);
  });

  it('gives up after --retries more attempts and passes the last answer on', async () => {
    const url = await serve((_req, res, n) => json(res, 502, { n }), { retries: 3 });
    const res = await fetch(url);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ n: 4 });
    expect(up!.seen).toHaveLength(4);
  });

  it('--retries 0 sends one request', async () => {
    const url = await serve((_req, res) => json(res, 503, {}), { retries: 0 });
    expect((await fetch(url)).status).toBe(503);
    expect(up!.seen).toHaveLength(1);
  });

  it('a short Retry-After is waited for; a long one is passed on at once', async () => {
    let url = await serve((_req, res, n) => (n === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, { ok: true })));
    const t0 = Date.now();
    expect((await fetch(url)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    await runtime!.close(100);
    await up!.close();

    url = await serve((_req, res) => json(res, 503, {}, { 'retry-after': '120' }));
    const t1 = Date.now();
    const res = await fetch(url);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('120');
    expect(Date.now() - t1).toBeLessThan(1000);
    expect(up!.seen).toHaveLength(1);
  });

  it('every attempt and wait stays within the deadline', async () => {
    const url = await serve((_req, res) => setTimeout(() => json(res, 503, {}), 150), { retries: 10, deadlineMs: 400 });
    const t0 = Date.now();
    const res = await fetch(url);
    const took = Date.now() - t0;
    expect([503, 504]).toContain(res.status);
    expect(took).toBeLessThan(1000);
    expect(up!.seen.length).toBeLessThanOrEqual(3);
  });

  it('past the per-origin concurrency limit and queue a call is refused at once: 503 NR_ERR_UPSTREAM_BUSY with Retry-After', async () => {
    const url = await serve((_req, res) => setTimeout(() => json(res, 200, { ok: true }), 400), { connectionsPerOrigin: 1, upstreamQueue: 1 });
    const first = fetch(url);
    await expect.poll(() => up!.seen.length).toBe(1);
    const queued = fetch(url);
    await new Promise((r) => setTimeout(r, 50));
    const refused = await fetch(url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await refused.json()).code).toBe('NR_ERR_UPSTREAM_BUSY');
    expect((await first).status).toBe(200);
    expect((await queued).status).toBe(200);
    expect(up!.seen).toHaveLength(2);
  });

  it('--operation-concurrency: one operation\'s slow calls wait or are refused (503 NR_ERR_OPERATION_BUSY) while another operation of the same origin still runs', async () => {
    const url = await serve((req, res) => (req.method === 'GET' ? setTimeout(() => json(res, 200, { ok: true }), 400) : json(res, 201, { made: true })), { operationConcurrency: 1, operationQueue: 1 });
    const first = fetch(url);
    await expect.poll(() => up!.seen.length).toBe(1);
    const queued = fetch(url);
    await new Promise((r) => setTimeout(r, 50));
    const refused = await fetch(url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const problem = await refused.json();
    expect(problem.code).toBe('NR_ERR_OPERATION_BUSY');
    expect(problem.detail).toContain('rest:GET /item has 1 calls in flight and 1 waiting');
    // the other operation has slots of its own
    const other = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"body":{}}' });
    expect(other.status).toBe(201);
    expect((await first).status).toBe(200);
    expect((await queued).status).toBe(200);
    // the streamed answers released their slots: the next call goes through
    expect((await fetch(url)).status).toBe(200);
    expect(up!.seen.filter((r) => r.startsWith('GET'))).toHaveLength(3);
  });

  it('an origin that keeps failing opens its breaker: calls are refused without reaching it (503 NR_ERR_CIRCUIT_OPEN)', async () => {
    const url = await serve((_req, res) => json(res, 503, {}), { retries: 0 });
    for (let i = 0; i < 20; i++) expect((await fetch(url)).status).toBe(503);
    expect(up!.seen).toHaveLength(20);
    const res = await fetch(url);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.code).toBe('NR_ERR_CIRCUIT_OPEN');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(up!.seen).toHaveLength(20);
  });

  it('--no-circuit-breaker keeps calling', async () => {
    const url = await serve((_req, res) => json(res, 503, {}), { retries: 0, circuitBreaker: false });
    for (let i = 0; i < 25; i++) await fetch(url);
    expect(up!.seen).toHaveLength(25);
  });
});

describe('circuit breaker states', () => {
  it('opens at the failure rate, lets one probe through after openMs, closes on its success and reopens on its failure', () => {
    let now = 1_000_000;
    const b = new CircuitBreaker('http://u', { failureRate: 0.5, minCalls: 4, windowMs: 10_000, openMs: 5_000 }, () => now);
    for (const failed of [false, true, false]) b.record(failed, b.admit());
    expect(b.current).toBe('closed');
    b.record(true, b.admit()); // 2 of 4
    expect(b.current).toBe('open');
    expect(() => b.admit()).toThrow(/refused for 5 s/);
    now += 5_000;
    expect(b.current).toBe('half-open');
    const probe = b.admit();
    expect(probe).toBe(true);
    expect(() => b.admit()).toThrow(); // only one probe at a time
    b.record(true, probe);
    expect(b.current).toBe('open');
    now += 5_000;
    b.record(false, b.admit());
    expect(b.current).toBe('closed');
  });

  it('forgets failures older than its window', () => {
    let now = 0;
    const b = new CircuitBreaker('http://u', { failureRate: 0.5, minCalls: 4, windowMs: 2_000, openMs: 5_000 }, () => now);
    for (let i = 0; i < 3; i++) b.record(true, b.admit());
    now += 3_000;
    b.record(true, b.admit());
    expect(b.current).toBe('closed');
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off with jitter under a growing ceiling, and declines a Retry-After past its cap', () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const d = retryDelay(attempt, DEFAULT_RETRY)!;
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1)));
    }
    expect(retryDelay(1, DEFAULT_RETRY, '2')).toBe(2000);
    expect(retryDelay(1, DEFAULT_RETRY, '60')).toBeUndefined();
  });
});

describe('upstream origins in error details', () => {
  it('are named on a loopback adapter and replaced by "upstream" with --upstream-in-errors hide (REST and MCP)', async () => {
    const { closedPort } = await import('./helpers.js');
    const { errorResult } = await import('../../src/expose/mcp/tool-result.js');
    const { InvokeError } = await import('../../src/consume/errors.js');
    const port = await closedPort();
    const dir = tmpDir();
    const file = dir.write('cap.yaml', CAPABILITY(`http://127.0.0.1:${port}`));
    for (const mode of [undefined, 'hide'] as const) {
      const rt = await startRuntime({ files: [file], ports: new Map([['api', 0]]), logLevel: 'silent', env: {}, invoker: { retries: 0 }, ...(mode ? { upstreamInErrors: mode } : {}) });
      try {
        const body = await (await fetch(`${rt.adapters[0]!.url}/item`)).json();
        expect(body.code).toBe('NR_ERR_UPSTREAM_UNREACHABLE');
        if (mode === 'hide') {
          expect(body.detail).not.toContain(`127.0.0.1:${port}`);
          expect(body.detail).toContain('GET upstream/item');
        } else {
          expect(body.detail).toContain(`http://127.0.0.1:${port}/item`);
        }
      } finally {
        await rt.close(100);
      }
    }
    dir.remove();
    const e = new InvokeError('NR_ERR_UPSTREAM_TIMEOUT', 504, 'Upstream timeout', 'GET https://internal.corp:8443/x did not answer in time');
    expect((errorResult(e, true).content[0] as { text: string }).text).toContain('GET upstream/x did not answer');
  });
});
