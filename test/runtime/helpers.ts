/**
 * Shared helpers for the runtime integration tests: one recording upstream (node:http on 127.0.0.1),
 * one runtime starter (every adapter on port 0), small-capability files in a tmp dir, an MCP client,
 * and a raw HTTP request for what fetch cannot send.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { loadCapability } from '../../src/spec/load.js';
import type { InvokerOptions } from '../../src/invoke/invoker.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BULKSYNC = path.join(ROOT, 'capabilities/bulksync.yaml');
export const REST_NS = 'polytomic-subpackage-bulksync-rest';
export const MCP_NS = 'polytomic-subpackage-bulksync-mcp';
export const CONSUMES_NS = 'polytomic-subpackage-bulksync';
export const KEY = 'k-test';

// ───────────────────────────── recording upstream ─────────────────────────────

export interface Recorded {
  readonly method: string;
  /** raw request target, undecoded, query included */
  readonly url: string;
  /** path part of `url` */
  readonly path: string;
  /** parsed query of `url` */
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Answer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** an object is sent as JSON (content-type application/json unless headers say otherwise) */
  readonly body?: unknown;
  /** wait this long before sending the response headers */
  readonly delayMs?: number;
}

export interface Recorder {
  readonly url: string;
  readonly requests: Recorded[];
  /** how the next requests are answered; default 200 `{"data":{"echo":<method path>}}` */
  answer: (req: Recorded) => Answer;
  close(): Promise<void>;
}

export const defaultAnswer = (req: Recorded): Answer => ({ status: 200, body: { data: { echo: `${req.method} ${req.url}` } } });

export async function startRecorder(answer: (req: Recorded) => Answer = defaultAnswer): Promise<Recorder> {
  const requests: Recorded[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const state = { answer };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const rec: Recorded = {
        method: req.method ?? '',
        url,
        path: q < 0 ? url : url.slice(0, q),
        query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      const a = state.answer(rec);
      const send = () => {
        if (res.destroyed) return;
        const headers: Record<string, string> = { ...(a.headers ?? {}) };
        let text: string | undefined;
        if (typeof a.body === 'string') text = a.body;
        else if (a.body !== undefined) {
          text = JSON.stringify(a.body);
          headers['content-type'] ??= 'application/json';
        }
        res.writeHead(a.status ?? 200, headers);
        res.end(text);
      };
      if (a.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, a.delayMs);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get answer() {
      return state.answer;
    },
    set answer(fn) {
      state.answer = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A 127.0.0.1 port that nothing listens on (bound, then released). */
/**
 * A port nothing listens on, from 30000–32767: below Linux's ephemeral range, so a server another test
 * opens with listen(0) cannot take it between this check and the connection that must be refused.
 */
/** A node:http server on 127.0.0.1 (free port) with its URL and a close that also ends keep-alive sockets. */
export async function serveLocal(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

export async function closedPort(): Promise<number> {
  for (;;) {
    const port = 30000 + Math.floor(Math.random() * 2768);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

// ───────────────────────────── runtime ─────────────────────────────

export interface Started {
  readonly runtime: Runtime;
  /** http://127.0.0.1:PORT of the (first) REST adapter, if any */
  readonly rest: string;
  /** http://127.0.0.1:PORT/mcp of the (first) MCP adapter, if any */
  readonly mcp: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** capability file (default: capabilities/bulksync.yaml) */
  readonly file?: string;
  /** consumes namespace → URL (default: bulksync's consumes namespace → upstream) */
  readonly upstream?: string;
  readonly baseUris?: ReadonlyMap<string, string>;
  /** bind variables; always explicit so the machine's environment never leaks in */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly invoker?: Partial<InvokerOptions>;
}

export async function start(options: StartOptions): Promise<Started> {
  const file = options.file ?? BULKSYNC;
  const baseUris = options.baseUris ?? new Map(options.upstream !== undefined ? [[CONSUMES_NS, options.upstream]] : []);
  const runtime = await startRuntime({
    files: [file],
    // every adapter on port 0: a test never depends on a fixed port being free (the demo holds 8080/9090)
    ports: new Map(loadCapability(file).model.exposes.map((e) => [e.namespace, 0])),
    baseUris,
    logLevel: 'silent',
    env: options.env,
    ...(options.invoker ? { invoker: options.invoker } : {}),
  });
  const rest = runtime.adapters.find((a) => a.type === 'rest')?.url ?? '';
  const mcp = runtime.adapters.find((a) => a.type === 'mcp')?.url ?? '';
  return { runtime, rest, mcp, close: () => runtime.close() };
}

// ───────────────────────────── small capabilities ─────────────────────────────

export interface TmpDir {
  readonly dir: string;
  /** writes `text` to `name` in the dir and returns its path */
  write(name: string, text: string): string;
  remove(): void;
}

export function tmpDir(): TmpDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'naftiko-run-test-'));
  return {
    dir,
    write(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ───────────────────────────── callers ─────────────────────────────

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** JSON.parse(text), or undefined when the body is empty or not JSON */
  readonly json: any;
}

/** fetch to a 127.0.0.1 URL; the body is read whole. */
export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A JSON request with the given method and body. */
export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * node:http request with exactly the headers given (fetch will not send a foreign Host). `path`: sent
 * byte for byte to `url`'s host instead of `url`'s own (a URL string has its dot segments resolved).
 */
export function rawRequest(
  url: string, options: { method?: string; headers?: Record<string, string>; body?: string; path?: string },
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const settings = { method: options.method ?? 'GET', headers: options.headers ?? {} };
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const { hostname, port } = new URL(url);
    const req = options.path === undefined ? httpRequest(url, settings, onResponse) : httpRequest({ ...settings, host: hostname, port, path: options.path }, onResponse);
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An SDK MCP client connected to `url` over Streamable HTTP. */
export async function mcpClient(url: string): Promise<Client> {
  const client = new Client({ name: 'naftiko-run-tests', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** The problem+json content type check every runtime-made error must pass. */
/** The JSON-RPC error a call must end with (the SDK client throws McpError). */
export async function mcpError(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(McpError);
    return e as McpError;
  }
  throw new Error('expected a JSON-RPC error');
}

export function isProblem(reply: Reply): boolean {
  return /^application\/problem\+json/.test(reply.headers.get('content-type') ?? '');
}

/**
 * A capability with a real output mapping (REST and MCP), and a mock REST operation (no call).
 * Consumes namespace `up`; exposes `mapped-rest` and `mapped-mcp`.
 */
export const MAPPED_YAML = `
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: thing
          path: /things/{id}
          operations:
            - name: get-thing
              method: GET
              inputParameters:
                - name: id
                  in: path
                  type: string
                  required: true
  exposes:
    - type: rest
      namespace: mapped-rest
      port: 8080
      resources:
        - path: /things/{id}
          name: things
          operations:
            - method: GET
              name: get-thing
              call: up.get-thing
              with:
                id: rest.id
              outputParameters:
                - type: object
                  properties:
                    name:
                      type: string
                      mapping: $.name
                    size:
                      type: number
                      mapping: $.dims.size
        - path: /hello
          name: hello
          operations:
            - method: GET
              name: hello
              inputParameters:
                - name: who
                  in: query
                  type: string
                  description: who to greet
              outputParameters:
                - name: message
                  type: string
                  value: "Hello, {{who}}!"
                - name: source
                  type: string
                  value: mock
    - type: mcp
      namespace: mapped-mcp
      port: 9090
      description: tools with a mapped output
      tools:
        - name: get-thing
          label: Get thing
          description: Get a thing
          hints:
            readOnly: true
            openWorld: true
          call: up.get-thing
          with:
            id: tools.id
          outputParameters:
            - type: object
              properties:
                name:
                  type: string
                  mapping: $.name
                size:
                  type: number
                  mapping: $.dims.size
`;

/** Starts MAPPED_YAML (written into `dir`) against `upstream`. */
export function startMapped(dir: TmpDir, upstream: string, invoker?: Partial<InvokerOptions>): Promise<Started> {
  return start({
    file: dir.write('mapped.yaml', MAPPED_YAML), baseUris: new Map([['up', upstream]]), env: {},
    ...(invoker ? { invoker } : {}),
  });
}

/** Resolves once `check` holds (polled every 25 ms); throws after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
