/**
 * Bounds a client or a shutdown cannot break (probe F5, F6, F7, F8): no event stream held open by a
 * stateless MCP endpoint, a request that trickles in is cut at the request timeout, a caller that goes
 * away cancels its upstream call, and a shutdown closes idle and half-received connections at once and
 * answers 503 to a call still running at the drain deadline.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { serveLocal, tmpDir, type TmpDir } from './helpers.js';

/** An upstream that answers after `delay` ms and records whether the caller closed the request first. */
async function slowUpstream(delay: number) {
  const events: string[] = [];
  const handler: Parameters<typeof serveLocal>[0] = ((req: IncomingMessage, res) => {
    events.push(`start ${req.url}`);
    const t = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), req.url === '/fast' ? 0 : req.url === '/medium' ? 300 : delay);
    res.on('close', () => {
      clearTimeout(t);
      if (!res.writableFinished) events.push(`cancelled ${req.url}`);
    });
  });
  return { ...(await serveLocal(handler)), events };
}

const CAPABILITY = (base: string) => `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "${base}"
      resources:
        - name: slow
          path: /slow
          operations:
            - name: slow
              method: GET
        - name: fast
          path: /fast
          operations:
            - name: fast
              method: GET
        - name: medium
          path: /medium
          operations:
            - name: medium
              method: GET
        - name: post
          path: /post
          operations:
            - name: post
              method: POST
              inputParameters:
                - name: body
                  in: body
  exposes:
    - type: rest
      namespace: api
      port: 19970
      resources:
        - name: slow
          path: /slow
          operations:
            - method: GET
              call: up.slow
        - name: fast
          path: /fast
          operations:
            - method: GET
              call: up.fast
        - name: medium
          path: /medium
          operations:
            - method: GET
              call: up.medium
        - name: post
          path: /post
          operations:
            - method: POST
              call: up.post
        - name: both
          path: /both
          operations:
            - method: GET
              name: both
              steps:
                - type: call
                  name: one
                  call: up.slow
                - type: call
                  name: two
                  call: up.medium
        - path: "/fwd/{path}"
          forward:
            targetNamespace: up
    - type: mcp
      namespace: tools
      port: 19971
      tools:
        - name: slow
          description: slow
          call: up.slow
`;

describe('lifecycle bounds', () => {
  let up: Awaited<ReturnType<typeof slowUpstream>>;
  let dir: TmpDir;
  let runtime: Runtime | undefined;
  let rest = '';
  let mcp = '';

  beforeEach(async () => {
    up = await slowUpstream(4000);
    dir = tmpDir();
    runtime = await startRuntime({ files: [dir.write('cap.yaml', CAPABILITY(up.url))], ports: new Map([['api', 0], ['tools', 0]]), logLevel: 'silent', env: {}, requestTimeoutMs: 800 });
    rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    mcp = runtime.adapters.find((a) => a.type === 'mcp')!.url;
  });
  afterEach(async () => {
    await runtime?.close(100);
    await up.close();
    dir.remove();
  });

  it('F5: GET and DELETE on the stateless MCP endpoint answer 405 (Allow: POST) at once, opening no stream', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await fetch(mcp, { method, headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(2000) });
      expect(r.status, method).toBe(405);
      expect(r.headers.get('allow')).toBe('POST');
      expect((await r.json()).error.code).toBe(-32000);
    }
  });

  it('F6: a request whose body trickles in is cut at the request timeout', async () => {
    const { port } = new URL(rest);
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /post HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
        const drip = setInterval(() => socket.write(' '), 200);
        let got = '';
        socket.on('data', (d) => (got += d.toString()));
        socket.on('close', () => {
          clearInterval(drip);
          resolve(got);
        });
      });
    });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('F8: a REST caller that goes away cancels the upstream call; other calls are not held up', async () => {
    const ac = new AbortController();
    const pending = fetch(`${rest}/slow`, { signal: ac.signal }).catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    expect(await pending).toBe('aborted');
    await expect.poll(() => up.events.includes('cancelled /slow'), { timeout: 2000 }).toBe(true);
    const fast = await fetch(`${rest}/fast`);
    expect(fast.status).toBe(200);
  });

  it('F8: a forwarded request is cancelled upstream when its caller goes away', async () => {
    const ac = new AbortController();
    const pending = fetch(`${rest}/fwd/slow`, { signal: ac.signal }).catch(() => 'aborted');
    await expect.poll(() => up.events.includes('start /slow'), { timeout: 2000 }).toBe(true);
    ac.abort();
    expect(await pending).toBe('aborted');
    await expect.poll(() => up.events.includes('cancelled /slow'), { timeout: 2000 }).toBe(true);
    expect((await fetch(`${rest}/fwd/fast`)).status).toBe(200);
  });

  it('F8: steps that run together are all cancelled when the caller goes away', async () => {
    const ac = new AbortController();
    const pending = fetch(`${rest}/both`, { signal: ac.signal }).catch(() => 'aborted');
    await expect.poll(() => up.events.includes('start /slow') && up.events.includes('start /medium'), { timeout: 2000 }).toBe(true);
    ac.abort();
    expect(await pending).toBe('aborted');
    await expect.poll(() => up.events.includes('cancelled /slow') && up.events.includes('cancelled /medium'), { timeout: 2000 }).toBe(true);
  });

  it('F8: an MCP caller that disconnects cancels the upstream call', async () => {
    const ac = new AbortController();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: {} } });
    const pending = fetch(mcp, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body, signal: ac.signal }).catch(() => 'aborted');
    await expect.poll(() => up.events.includes('start /slow'), { timeout: 2000 }).toBe(true);
    ac.abort();
    expect(await pending).toBe('aborted');
    await expect.poll(() => up.events.includes('cancelled /slow'), { timeout: 2000 }).toBe(true);
  });

  it('F7: close() ends idle and half-received connections at once, and answers 503 to a call still running at the deadline', async () => {
    const { port } = new URL(rest);
    // an idle keep-alive connection and a request whose body never completes
    const idle = await fetch(`${rest}/fast`);
    expect(idle.status).toBe(200);
    const partialClosed = new Promise<number>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /post HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
      });
      socket.on('close', () => resolve(Date.now()));
      socket.on('error', () => {});
    });
    const running = fetch(`${rest}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await expect.poll(() => up.events.includes('start /slow'), { timeout: 2000 }).toBe(true);

    const started = Date.now();
    const closing = runtime!.close(500);
    expect(await partialClosed - started).toBeLessThan(300);
    const r = await running;
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('NR_ERR_SHUTTING_DOWN');
    await closing;
    expect(Date.now() - started).toBeLessThan(2500);
    runtime = undefined;
  });

  it('F7: a call that finishes within the deadline is answered normally', async () => {
    const running = fetch(`${rest}/medium`).then((r) => r.status);
    await expect.poll(() => up.events.includes('start /medium'), { timeout: 2000 }).toBe(true);
    const closing = runtime!.close(2000);
    expect(await running).toBe(200);
    await closing;
    runtime = undefined;
  });

  it('shutdown under load: every call in flight when close() begins is answered 200', async () => {
    // 200 keep-alive callers in flight on /medium (300 ms upstream), then close with a 5 s deadline
    const calls = Array.from({ length: 200 }, () => fetch(`${rest}/medium`).then(async (r) => ({ status: r.status, body: await r.text() })).catch((e: Error) => ({ status: 0, body: e.message })));
    await expect.poll(() => up.events.filter((e) => e === 'start /medium').length, { timeout: 5000 }).toBe(200);
    const closing = runtime!.close(5000);
    const answers = await Promise.all(calls);
    await closing;
    runtime = undefined;
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(up.events.filter((e) => e.startsWith('cancelled'))).toEqual([]);
  }, 20_000);
});
