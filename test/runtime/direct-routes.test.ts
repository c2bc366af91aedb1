/**
 * Direct routes (src/expose/rest/direct-routes.ts): operation requests answered without fastify's
 * request lifecycle must answer exactly what fastify's routes answer. Two apps on one invoker, one
 * with direct routes and one without, get the same requests (tricky URLs included: encodings, dot
 * segments, trailing and double slashes, literal colons, a parameter route beside static ones, over-long
 * segments, bodies on every method); status, headers, body, the upstream request and the access line
 * must agree. A fastify hook counts what fastify itself served, to show the direct app really skipped it.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadCapabilityText } from '../../src/spec/load.js';
import type { RestAdapter } from '../../src/spec/model.js';
import { DEFAULT_INVOKER_OPTIONS, Invoker } from '../../src/invoke/invoker.js';
import { buildRestApp } from '../../src/expose/rest/rest-adapter.js';
import { defaultAnswer, rawRequest, startRecorder, type Recorder } from './helpers.js';

const CAPABILITY = `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: http://127.0.0.1:9
      resources:
        - name: item
          path: "/items/{{id}}"
          operations:
            - name: get-item
              method: GET
              inputParameters:
                - name: id
                  in: path
                - name: tag
                  in: query
                - name: X-Trace
                  in: header
            - name: delete-item
              method: DELETE
              inputParameters:
                - name: id
                  in: path
        - name: cancel
          path: "/jobs/{{id}}:cancel"
          operations:
            - name: cancel-job
              method: POST
              inputParameters:
                - name: id
                  in: path
        - name: notes
          path: /notes
          operations:
            - name: add-note
              method: POST
              body: |
                {"text": "{{text}}"}
        - name: page
          path: "/pages/{{slug}}"
          operations:
            - name: get-page
              method: GET
              inputParameters:
                - name: slug
                  in: path
  exposes:
    - type: rest
      namespace: shop
      port: 8080
      resources:
        - path: "/items/{id}"
          operations:
            - method: GET
              call: up.get-item
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: id
                - name: tag
                  in: query
                  type: string
                  required: false
                  description: tag
                - name: X-Trace
                  in: header
                  type: string
                  required: false
                  description: trace
            - method: DELETE
              call: up.delete-item
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: id
        - path: "/items/{id}/summary"
          operations:
            - method: GET
              call: up.get-item
              with:
                id: shop.id
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: id
              outputParameters:
                - type: object
                  properties:
                    echo:
                      type: string
                      mapping: $.data.echo
        - path: "/jobs/{id}:cancel"
          operations:
            - method: POST
              call: up.cancel-job
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: id
        - path: /notes
          operations:
            - method: POST
              call: up.add-note
              inputParameters:
                - name: text
                  in: body
                  type: string
                  description: text
        - path: "/{slug}"
          operations:
            - method: GET
              call: up.get-page
              inputParameters:
                - name: slug
                  in: path
                  type: string
                  description: slug
        - path: "/fwd/{{path}}"
          forward:
            targetNamespace: up
        - path: "/hyb/{{path}}"
          operations:
            - method: GET
              name: hybrid-get
              inputParameters:
                - name: path
                  in: path
                  type: string
                  description: the rest of the path
              outputParameters:
                - name: source
                  type: string
                  value: operation
          forward:
            targetNamespace: up
`;

type Answer = Awaited<ReturnType<typeof rawRequest>>;

/** A request with its path sent byte for byte (no normalisation). */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return rawRequest(base, { method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, ...(body !== undefined ? { body } : {}) });
}

interface Served {
  app: FastifyInstance;
  base: string;
  /** requests fastify's own lifecycle ran (its onRequest hook) */
  throughFastify: number;
  log: () => Record<string, unknown>[];
}

/** What the request observer reported (a stand-in for the control adapter's telemetry). */
type Reported = { operation: string; status: number }[];

async function serve(adapter: RestAdapter, invoker: Invoker, directRoutes: boolean, reported?: Reported): Promise<Served> {
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const observe = reported ? { capability: 'direct', telemetry: { tracer: undefined, request: (_kind: string, operation: string, status: number) => reported.push({ operation, status }) } as never } : undefined;
  const app = buildRestApp(adapter, invoker, { logger: { level: 'info', stream }, host: '127.0.0.1', directRoutes, docs: { prefix: '', info: { label: 'direct routes' } as never }, ...(observe ? { observe } : {}) });
  const served: Served = {
    app,
    base: '',
    throughFastify: 0,
    log: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)),
  };
  app.addHook('onRequest', (_req, _reply, done) => {
    served.throughFastify++;
    done();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  served.base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return served;
}

/** What must agree: everything but the per-request id and the date. */
function comparable(a: Answer): unknown {
  const { 'x-request-id': _id, date: _date, ...headers } = a.headers;
  return { status: a.status, headers, body: a.text.replace(/"instance":"[^"]*"/, '"instance":…') };
}

type Case = readonly [method: string, path: string, headers?: Record<string, string>, body?: string];

/** requests a direct route may answer (an operation route, no body to parse) */
const DIRECT: Case[] = [
  ['GET', '/items/abc'],
  ['GET', '/items/abc?tag=red&other=1'],
  ['GET', '/items/abc?tag=a&tag=b'],
  ['GET', '/items/a%20b?tag=%E2%9C%93'],
  ['GET', '/items/a%2Fb'],
  ['GET', '/items/%2E%2E'],
  ['GET', '/items/.'],
  ['GET', '/items/abc', { 'x-trace': 't-1' }],
  ['GET', '/items/abc', { 'x-request-id': 'caller-7' }],
  ['GET', '/items/abc/summary'],
  ['HEAD', '/items/abc'],
  ['DELETE', '/items/abc'],
  ['GET', '/about'],
  ['GET', '/items/abc', {}, 'a body on a GET is not read'],
  // an empty path value matches the route and is refused by the input rules (probe F3)
  ['GET', '/items/'],
  // POST without a body has nothing to parse
  ['POST', '/jobs/j1:cancel'],
  // forwards without a body
  ['GET', '/fwd/a/b?x=1&y=%20'],
  ['GET', '/fwd/a%2Fb/c'],
  ['HEAD', '/fwd/a'],
  ['DELETE', '/fwd/z'],
  ['GET', '/fwd/%2E%2E/etc'],
  // a resource with an operation and a forward: GET is the operation, other methods forward
  ['GET', '/hyb/a/b'],
  ['GET', '/hyb'],
  ['DELETE', '/hyb/a'],
];

/** requests only fastify answers: no route, other routes, bodies, router errors */
const FASTIFY: Case[] = [
  ['GET', '/items//abc'],
  ['GET', '/items/abc/'],
  ['GET', '/ITEMS/abc'],
  ['GET', '/docs'],
  ['GET', '/openapi.json'],
  ['POST', '/fwd/a', { 'content-type': 'text/plain' }, 'raw'],
  ['PUT', '/fwd/a', {}, 'a body without a type'],
  ['PUT', '/items/abc'],
  ['OPTIONS', '/items/abc'],
  ['POST', '/jobs/j1:cancel', { 'content-type': 'application/json' }, '{}'],
  ['POST', '/notes', { 'content-type': 'application/json' }, '{"text":"hi"}'],
  ['POST', '/notes', { 'content-type': 'text/plain' }, 'hi'],
  ['POST', '/notes', { 'content-type': 'application/json' }, '{"text":'],
  ['DELETE', '/items/abc', { 'content-type': 'application/json' }, '{}'],
  ['GET', '/nowhere/at/all'],
];

/** requests fastify's router refuses before any hook (malformed percent-encoding, an over-long segment) */
const ROUTER: Case[] = [
  ['GET', '/items/%E0%A4%A'],
  ['GET', `/items/${'x'.repeat(101)}`],
];

describe('direct routes answer exactly what fastify answers', () => {
  let upstream: Recorder;
  let invoker: Invoker;
  let direct: Served;
  let viaFastify: Served;

  beforeAll(async () => {
    upstream = await startRecorder();
    const { model } = loadCapabilityText('direct.yaml', CAPABILITY, { env: {} });
    invoker = new Invoker(model, { ...DEFAULT_INVOKER_OPTIONS, baseUriOverrides: new Map([['up', upstream.url]]) });
    const adapter = model.exposes.find((a) => a.namespace === 'shop') as RestAdapter;
    direct = await serve(adapter, invoker, true);
    viaFastify = await serve(adapter, invoker, false);
  });
  afterAll(async () => {
    await direct?.app.close();
    await viaFastify?.app.close();
    await invoker?.close();
    await upstream?.close();
  });

  it.each([...DIRECT.map((c) => ['direct', c] as const), ...FASTIFY.map((c) => ['fastify', c] as const), ...ROUTER.map((c) => ['router', c] as const)])('%s: %j', async (servedBy, [method, path, headers, body]) => {
    const beforeDirect = direct.throughFastify;
    upstream.requests.length = 0;
    const a = await send(direct.base, method, path, headers, body);
    const upA = upstream.requests.map((r) => ({ method: r.method, url: r.url, trace: r.headers['x-trace'], body: r.body }));
    const beforeFastify = viaFastify.throughFastify;
    upstream.requests.length = 0;
    const b = await send(viaFastify.base, method, path, headers, body);
    const upB = upstream.requests.map((r) => ({ method: r.method, url: r.url, trace: r.headers['x-trace'], body: r.body }));

    expect(comparable(a)).toEqual(comparable(b));
    expect(upA).toEqual(upB);
    expect(viaFastify.throughFastify - beforeFastify).toBe(servedBy === 'router' ? 0 : 1);
    expect(direct.throughFastify - beforeDirect).toBe(servedBy === 'fastify' ? 1 : 0);
    if (headers?.['x-request-id']) expect(a.headers['x-request-id']).toBe(headers['x-request-id']);
  });

  it('writes the same access line for a direct answer as fastify does', async () => {
    await send(direct.base, 'GET', '/items/line-1?tag=secret', { 'x-request-id': 'line-1' });
    await send(viaFastify.base, 'GET', '/items/line-1?tag=secret', { 'x-request-id': 'line-1' });
    await new Promise((r) => setTimeout(r, 50));
    const strip = (l: Record<string, unknown> | undefined) => (l ? { ...l, time: 0, ms: 0 } : l);
    const lineA = strip(direct.log().find((l) => l.reqId === 'line-1'));
    const lineB = strip(viaFastify.log().find((l) => l.reqId === 'line-1'));
    expect(lineA).toEqual({ level: 30, time: 0, pid: process.pid, hostname: expect.any(String), reqId: 'line-1', method: 'GET', url: '/items/line-1', status: 200, ms: 0, msg: 'request' });
    expect(lineA).toEqual(lineB);
  });

  it('reports requests to the control adapter\'s observer as fastify\'s hooks do, a caller who went away as 499', async () => {
    const reportedDirect: Reported = [];
    const reportedFastify: Reported = [];
    const adapter = loadCapabilityText('direct.yaml', CAPABILITY, { env: {} }).model.exposes.find((a) => a.namespace === 'shop') as RestAdapter;
    const a = await serve(adapter, invoker, true, reportedDirect);
    const b = await serve(adapter, invoker, false, reportedFastify);
    try {
      upstream.answer = (req) => (req.url.includes('slow') ? { status: 200, body: {}, delayMs: 400 } : { status: 200, body: { data: { echo: req.url } } });
      for (const s of [a, b]) {
        await send(s.base, 'GET', '/items/abc');
        await send(s.base, 'GET', '/fwd/x');
        await send(s.base, 'GET', '/nowhere/at/all');
        // a caller who gives up before the (slow) upstream answers
        await new Promise<void>((resolve) => {
          const u = new URL(s.base);
          const req = httpRequest({ host: u.hostname, port: u.port, path: '/items/slow', method: 'GET' });
          req.on('error', () => resolve());
          req.end();
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 100);
        });
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(a.throughFastify).toBe(1); // only the unmatched request
      expect(reportedDirect).toEqual(reportedFastify);
      expect(reportedDirect).toEqual([
        { operation: '/items/{id} GET', status: 200 },
        { operation: '/fwd/* GET', status: 200 },
        { operation: 'unmatched', status: 404 },
        { operation: '/items/{id} GET', status: 499 },
      ]);
    } finally {
      upstream.answer = defaultAnswer;
      await a.app.close();
      await b.app.close();
    }
  });
});
