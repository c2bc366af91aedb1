/**
 * Review: FEATURES §3(d) "Steps run **sequentially** in declaration order" and "the first failing call
 * aborts the run"; docs/errors.md "the first call step that answers ≥ 300 ends the run". The engine
 * starts consecutive call steps that do not read each other at the same time (planWaves), so a later
 * non-idempotent step (POST) is already sent, and executed by the upstream, when an earlier one fails.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, jsonInit, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';

const YAML = `
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: shop
      baseUri: http://127.0.0.1:9
      resources:
        - name: orders
          path: /orders
          operations:
            - name: create-order
              method: POST
              inputParameters:
                - name: sku
                  in: body
                  type: string
        - name: payments
          path: /payments
          operations:
            - name: charge
              method: POST
              inputParameters:
                - name: amount
                  in: body
                  type: number
  exposes:
    - type: rest
      namespace: shop-rest
      port: 8080
      resources:
        - path: /checkout
          name: checkout
          operations:
            - method: POST
              name: checkout
              inputParameters:
                - name: sku
                  in: body
                  type: string
                  required: true
                  description: the item
                - name: amount
                  in: body
                  type: number
                  required: true
                  description: the amount
              steps:
                - name: order
                  type: call
                  call: shop.create-order
                - name: pay
                  type: call
                  call: shop.charge
              mappings:
                - targetName: order
                  value: $.order
                - targetName: payment
                  value: $.pay
`;

describe('review: orchestration step order', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let rt: Started;

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    rt = await start({ file: dir.write('shop.yaml', YAML), baseUris: new Map([['shop', upstream.url]]), env: {} });
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('a failing first step (409, out of stock) means the second step (charge) is never sent', async () => {
    upstream.answer = (req) => (req.path === '/orders'
      ? { status: 409, delayMs: 150, body: { error: 'out of stock' } }
      : { status: 200, body: { charged: true } });
    const res = await call(`${rt.rest}/checkout`, jsonInit('POST', { sku: 'x', amount: 10 }));
    expect(res.status).toBe(409);
    // the customer must not be charged for an order that was refused
    expect(upstream.requests.map((r) => r.path)).toEqual(['/orders']);
  });

  it('a step is sent only after the step declared before it has answered', async () => {
    const arrived = new Map<string, number>();
    upstream.answer = (req) => {
      arrived.set(req.path, Date.now());
      return { status: 200, delayMs: req.path === '/orders' ? 200 : 0, body: { ok: req.path } };
    };
    const res = await call(`${rt.rest}/checkout`, jsonInit('POST', { sku: 'x', amount: 10 }));
    expect(res.status).toBe(200);
    expect(arrived.get('/payments')! - arrived.get('/orders')!).toBeGreaterThanOrEqual(190);
  });
});
