/** Load shedding: while the event loop lags past --max-event-loop-lag, new requests get 503 at once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { startRecorder, tmpDir, type Recorder, type TmpDir } from './helpers.js';

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
  exposes:
    - type: rest
      namespace: api
      port: 19990
      resources:
        - name: item
          path: /item
          operations:
            - method: GET
              call: up.get-item
    - type: mcp
      namespace: tools
      port: 19991
      tools:
        - name: item
          description: the item
          call: up.get-item
`;

/** Blocks this process's event loop for `ms`, then lets the timers phase (and the lag monitor) run. */
async function block(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* a handler stuck on the CPU */ }
  await new Promise((r) => setTimeout(r, 1));
}

describe('load shedding', () => {
  let up: Recorder;
  let dir: TmpDir;
  let runtime: Runtime;
  let rest = '';
  let mcp = '';
  beforeAll(async () => {
    up = await startRecorder();
    dir = tmpDir();
    runtime = await startRuntime({ files: [dir.write('cap.yaml', CAPABILITY(up.url))], ports: new Map([['api', 0], ['tools', 0]]), logLevel: 'silent', env: {}, maxEventLoopLagMs: 200 });
    rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    mcp = runtime.adapters.find((a) => a.type === 'mcp')!.url;
  });
  afterAll(async () => {
    await runtime?.close(100);
    await up?.close();
    dir?.remove();
  });

  it('REST: a request right after a 400 ms stall is refused with 503 NR_ERR_OVERLOADED and Retry-After; once caught up it is served', async () => {
    expect((await fetch(`${rest}/item`)).status).toBe(200);
    const before = up.requests.length;
    await block(400);
    const shed = await fetch(`${rest}/item`);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    const body = await shed.json();
    expect(body.code).toBe('NR_ERR_OVERLOADED');
    expect(body.detail).toMatch(/event loop is \d+ ms behind \(limit 200 ms/);
    expect(up.requests.length).toBe(before); // nothing was sent upstream
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${rest}/item`)).status).toBe(200);
  });

  it('MCP: the same, as a JSON-RPC error with HTTP 503', async () => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) };
    await block(400);
    const shed = await fetch(mcp, init);
    expect(shed.status).toBe(503);
    expect((await shed.json()).error.message).toMatch(/NR_ERR_OVERLOADED/);
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(mcp, init)).status).toBe(200);
  });
});
