/**
 * Sandbox upstream: a local, stateful HTTP server that behaves like Polytomic's Bulk Sync API
 * (version 2024-02-08, as described in /work/shared/polytomic/API.md). Plain node:http.
 *
 * This module is the HTTP layer only (auth, body limits, routing, envelopes); state and the
 * execution lifecycle live in ./state.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PolytomicState, SandboxHttpError, apiError } from './state.js';
import type { PolytomicSandbox, PolytomicSandboxOptions, RecordedRequest, RestErrResponse } from './types.js';

export type { PolytomicSandbox, PolytomicSandboxOptions, RecordedRequest } from './types.js';
export { CONNECTION_IDS, SEEDED_SYNC_IDS } from './seed.js';

export const DEFAULT_API_VERSION = '2024-02-08';
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this many bytes an oversized body is no longer drained: the socket is destroyed. */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;

interface Call {
  params: string[];
  query: URLSearchParams;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
}
interface Reply {
  status: number;
  /** Wrapped as `{data: …}`; omitted for 204. */
  data?: unknown;
}
type Handler = (state: PolytomicState, call: Call) => Reply;
interface Route {
  /** Literal segments, or ':' for a path parameter. */
  pattern: string[];
  methods: Record<string, Handler>;
}

const ok = (data: unknown): Reply => ({ status: 200, data });

/** `?name=true|false`; absent → fallback; anything else → 400. */
function boolParam(query: URLSearchParams, name: string, fallback?: boolean): boolean | undefined {
  const v = query.get(name);
  if (v === null) return fallback;
  if (v === 'true' || v === 'false') return v === 'true';
  throw apiError(400, `${name} must be true or false`, 'bad_request', { field: name });
}

const id = (call: Call) => call.params[0] ?? '';

// Order matters: the literal `/api/bulk/syncs/status` comes before `/api/bulk/syncs/{id}`.
const ROUTES: Route[] = [
  {
    pattern: ['api', 'bulk', 'syncs'],
    methods: {
      GET: (s, c) => ok(s.listSyncs(boolParam(c.query, 'active'))),
      POST: (s, c) => ok(s.createSync(c.body)),
    },
  },
  {
    // executions.listStatus (not one of the 11 operations): non-advancing view of all executions.
    pattern: ['api', 'bulk', 'syncs', 'status'],
    methods: { GET: (s, c) => ok(s.listStatus(c.query.getAll('sync_id'))) },
  },
  {
    pattern: ['api', 'bulk', 'syncs', ':'],
    methods: {
      // refresh_schemas is accepted and has no effect: the sandbox's catalogs never change.
      GET: (s, c) => ok(s.getSync(id(c))),
      PUT: (s, c) => ok(s.updateSync(id(c), c.body)),
      // API.md §9 open question "Whether DELETE returns 200 or 204": we answer 204 with no
      // body. The SDK accepts both (API.md §5.2 probe 7) and an empty 204 can never be
      // mistaken for a non-JSON 2xx body, which the SDK would reject.
      DELETE: (s, c) => {
        s.deleteSync(id(c));
        return { status: 204 };
      },
    },
  },
  { pattern: ['api', 'bulk', 'syncs', ':', 'activate'], methods: { POST: (s, c) => ok(s.activate(id(c), c.body)) } },
  { pattern: ['api', 'bulk', 'syncs', ':', 'cancel'], methods: { POST: (s, c) => ok(s.cancel(id(c))) } },
  { pattern: ['api', 'bulk', 'syncs', ':', 'executions'], methods: { POST: (s, c) => ok(s.start(id(c), c.body)) } },
  { pattern: ['api', 'bulk', 'syncs', ':', 'status'], methods: { GET: (s, c) => ok(s.status(id(c))) } },
  {
    pattern: ['api', 'connections', ':', 'bulksync', 'source'],
    methods: { GET: (s, c) => ok(s.source(id(c), boolParam(c.query, 'include_fields', true) ?? true)) },
  },
  { pattern: ['api', 'connections', ':', 'bulksync', 'target'], methods: { GET: (s, c) => ok(s.destination(id(c))) } },
];

/** Routes with a JSON request body (everything else ignores what it is sent). */
const BODY_METHODS = new Set(['POST', 'PUT']);

function match(segments: string[]): { route: Route; params: string[] } | undefined {
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: string[] = [];
    const hit = route.pattern.every((p, i) => {
      if (p === ':') params.push(segments[i]!);
      return p === ':' || p === segments[i];
    });
    if (hit) return { route, params };
  }
  return undefined;
}

/** Splits and percent-decodes the path; undefined if a segment cannot be decoded. */
function pathSegments(rawPath: string): string[] | undefined {
  try {
    return rawPath.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

type BodyResult = { kind: 'ok'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

function readBody(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.on('end', () =>
      resolve(size > MAX_BODY_BYTES ? { kind: 'too_large' } : { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => resolve({ kind: 'aborted' }));
    req.on('close', () => resolve({ kind: 'aborted' })); // no-op if already resolved
  });
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function unauthorized(error: string): RestErrResponse {
  return { code: 401, status: 'Unauthorized', error };
}

/** Accepts `Bearer <token>` (scheme case-insensitive); with a configured token, only that one. */
function authError(header: string | undefined, expected: string | undefined): RestErrResponse | undefined {
  const m = /^Bearer[ \t]+(\S.*)$/i.exec(header ?? '');
  if (!m) return unauthorized('missing or malformed bearer token');
  if (expected !== undefined && m[1]!.trim() !== expected) return unauthorized('invalid API key');
  return undefined;
}

async function handle(
  req: IncomingMessage, res: ServerResponse, state: PolytomicState, options: PolytomicSandboxOptions, log: RecordedRequest[],
): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const body = await readBody(req);
  if (body.kind === 'aborted') return;
  log.push({ method, path: rawUrl, headers: { ...req.headers }, body: body.kind === 'ok' ? body.text : '' });

  // Every response names the API version that served it: the requested one, else 2024-02-08.
  const requested = req.headers['x-polytomic-version'];
  const version = typeof requested === 'string' && /^[\x20-\x7e]+$/.test(requested) ? requested : DEFAULT_API_VERSION;
  res.setHeader('x-polytomic-version', version);

  if (body.kind === 'too_large') {
    send(res, 413, { status: 413, message: `request body exceeds ${MAX_BODY_BYTES} bytes`, key: 'payload_too_large' });
    return;
  }
  const queryAt = rawUrl.indexOf('?');
  const segments = pathSegments(queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt));
  const found = segments && match(segments);
  if (!found) {
    // An undecodable or unknown id under a known route shape still reads as "not found".
    send(res, 404, { status: 404, message: 'not found', key: 'not_found' });
    return;
  }
  const handler = found.route.methods[method];
  if (!handler) {
    const allow = Object.keys(found.route.methods).join(', ');
    send(res, 405, { status: 405, message: `method ${method} not allowed`, key: 'method_not_allowed' }, { allow });
    return;
  }
  const authFailure = authError(req.headers.authorization, options.token);
  if (authFailure) {
    send(res, 401, authFailure, { 'www-authenticate': 'Bearer' });
    return;
  }
  try {
    let parsed: unknown;
    if (BODY_METHODS.has(method) && body.text.trim() !== '') {
      try {
        parsed = JSON.parse(body.text);
      } catch {
        throw apiError(400, 'invalid JSON body', 'bad_request');
      }
    }
    const reply = handler(state, { params: found.params, query: new URLSearchParams(queryAt < 0 ? '' : rawUrl.slice(queryAt + 1)), body: parsed });
    send(res, reply.status, reply.status === 204 ? undefined : { data: reply.data });
  } catch (err) {
    if (err instanceof SandboxHttpError) send(res, err.status, err.body);
    else send(res, 500, { status: 500, message: 'internal error' });
  }
}

export async function startPolytomicSandbox(options: PolytomicSandboxOptions = {}): Promise<PolytomicSandbox> {
  const host = options.host ?? '127.0.0.1';
  const state = new PolytomicState(options.seed ?? true, options.now);
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    handle(req, res, state, options, requests).catch(() => send(res, 500, { status: 500, message: 'internal error' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    reset() {
      requests.length = 0;
      state.reset();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // SDK clients keep connections alive
      });
      return closing;
    },
  };
}
