/**
 * The MCP adapter: Streamable HTTP at /mcp (stateless: each POST is served by a fresh SDK Server and
 * transport, so no session state can leak or pile up), tools from the model, calls through the invoker.
 */
import { RunningCalls, callerOf, cancelledIds } from './cancellation.js';
import { compileMethods } from './methods.js';
import { classify, eraHeaders } from './era.js';
import { serveModern, type ModernServer } from './modern.js';
import { CallerLogLevels, type LogLevel } from './log-level.js';
import { DEFAULT_PAGE_SIZE } from './pagination.js';
import type { CallAbort } from '../../consume/call-signal.js';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { McpAdapter } from '../../spec/model.js';
import type { Invoker } from '../../invoke/invoker.js';
import { compileTools } from './tools.js';
import { compileContent } from './content.js';
import { overloaded, overloadedJsonRpc } from '../load-shedding.js';
import type { ResultLimits } from './tool-result.js';
import { isLocalRequest, isLoopback } from '../local-origin.js';
import { serverOptions } from '../logging.js';
import type { ServerFor } from '../server-slot.js';
import { installJsonParser } from '../json-body.js';
import { installInboundAuth, type PreparedInboundAuth } from '../inbound-auth.js';
import { mcpOperation, observeRequests, type RequestObservation } from '../observe-requests.js';
import { carryRequestContext } from '../drain.js';

export interface McpAdapterOptions {
  readonly logger: FastifyServerOptions['logger'] | false;
  readonly serverName: string;
  readonly serverVersion: string;
  readonly limits: ResultLimits;
  /** the address the adapter listens on; loopback turns on the Host/Origin check */
  readonly host: string;
  /** the adapter's inbound `authentication`, prepared; it guards every MCP method */
  readonly auth?: PreparedInboundAuth;
  /** metrics and spans per request (a control adapter is served) */
  readonly observe?: RequestObservation;
  /** the server to listen with (hot reload); default: one of its own */
  readonly serverFor?: ServerFor;
}

/** JSON-RPC request bodies larger than this are refused (413, JSON-RPC -32600). */
const MCP_BODY_LIMIT = 4 * 1024 * 1024;

export function buildMcpApp(adapter: McpAdapter, invoker: Invoker, options: McpAdapterOptions): FastifyInstance {
  const app = Fastify(serverOptions(options.logger, MCP_BODY_LIMIT, options.serverFor));
  installJsonParser(app);
  const tools = compileTools(adapter, invoker, options.limits, options.observe?.telemetry);
  const content = compileContent(adapter, invoker, options.limits);
  if (options.observe) observeRequests(app, options.observe, 'mcp', mcpOperation(new Set(tools.keys())));
  const checkOrigin = isLoopback(options.host);

  app.addHook('onRequest', async (req, reply) => {
    if (overloaded()) return reply.code(503).header('retry-after', '1').header('content-type', 'application/json').send(overloadedJsonRpc());
    if (checkOrigin && !isLocalRequest(req.headers.host, req.headers.origin)) {
      return reply.code(403).header('content-type', 'application/json').send(
        JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Forbidden: Host or Origin is not local (DNS rebinding protection); code NR_ERR_MCP_ORIGIN_REJECTED' }, id: null }),
      );
    }
  });

  installInboundAuth(app, options.auth);

  // The SDK loads once the port listens; a request arriving before that waits for it.
  let protocol: Promise<typeof import('./protocol.js')> | undefined;
  const loadProtocol = () => (protocol ??= import('./protocol.js'));
  app.addHook('onListen', (done) => {
    setImmediate(() => void loadProtocol());
    done();
  });
  const running = new RunningCalls();
  const levels = new CallerLogLevels();
  const methods = compileMethods(adapter, tools, content, options.limits.pageSize ?? DEFAULT_PAGE_SIZE);
  const modernServer: ModernServer = {
    methods,
    serverInfo: { name: options.serverName, version: options.serverVersion },
    ...(adapter.description ? { instructions: adapter.description } : {}),
    cacheScope: options.auth ? 'private' : 'public',
  };
  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method === 'POST') acceptJsonAndStream(req.raw);
    const caller = callerOf(req.raw);
    for (const { id, reason } of cancelledIds(req.body)) running.cancel(caller, id, reason);
    const track = (id: string | number, abort: CallAbort) => {
      // the call's signal carries the request's id (and span) to its upstream calls
      carryRequestContext(abort, req.raw);
      return running.track(caller, id, abort);
    };
    const era = classify(req.body, eraHeaders(req.headers));
    if (era.kind === 'reject') {
      return reply.code(era.status).header('content-type', 'application/json').send(
        JSON.stringify({ jsonrpc: '2.0', id: era.id, error: { code: era.code, message: era.message, ...(era.data !== undefined ? { data: era.data } : {}) } }),
      );
    }
    if (era.kind === 'modern') {
      return serveModern(modernServer, era.message, era.meta, reply, { track, onError: (err) => req.log.error({ err }, 'internal error') });
    }
    const { createMcpServer, serveHttpRequest } = await loadProtocol();
    const logLevel = levels.get(caller);
    const scope = { track, setLogLevel: (level: LogLevel) => levels.set(caller, level), ...(logLevel ? { logLevel } : {}) };
    await serveHttpRequest(createMcpServer(adapter, methods, options.serverName, options.serverVersion, scope), req, reply, streams(req.body, logLevel !== undefined));
  };
  // `/` too: the reference engine serves MCP on any path, and its clients post to the root (FEATURES §1.4)
  for (const url of ['/mcp', '/']) {
    app.post(url, handle);
    // stateless: no server-initiated stream to hold open, no session to delete (probe F5)
    app.route({ method: ['GET', 'DELETE'], url, handler: notStateful });
  }
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).header('content-type', 'application/json').send(JSON.stringify({ error: 'NR_ERR_ROUTE_NOT_FOUND', detail: `the MCP endpoint is /mcp (or /), not ${req.url.split('?')[0]}` })),
  );
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'internal error');
    const [code, message] =
      status === 400 ? [-32700, `Parse error: ${err.message}`]
      : status === 413 ? [-32600, `Invalid request: the body is larger than ${MCP_BODY_LIMIT / 1024 / 1024} MiB (NR_ERR_BODY_TOO_LARGE)`]
      : status === 415 ? [-32600, `Invalid request: the body must be JSON (Content-Type: application/json), got ${JSON.stringify(req.headers['content-type'] ?? 'none')} (NR_ERR_UNSUPPORTED_MEDIA_TYPE)`]
      : status < 500 ? [-32600, `Invalid request: ${err.message}`]
      : [-32603, 'Internal error'];
    return reply.code(status).header('content-type', 'application/json').send(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
  });
  return app;
}

/** GET (a server-to-client event stream) and DELETE (end a session) have no meaning for a stateless server. */
async function notStateful(req: FastifyRequest, reply: FastifyReply) {
  return reply.code(405).header('allow', 'POST').header('content-type', 'application/json').send(
    JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: `Method not allowed: this MCP endpoint is stateless; send JSON-RPC requests with POST (${req.method} opens no stream and ends no session)` }, id: null }),
  );
}

/**
 * The SDK answers 406 unless a POST accepts both JSON and an event stream; a client that sends no
 * Accept, or a wildcard (curl's default), gets JSON anyway, so its Accept is completed here.
 */
function acceptJsonAndStream(raw: IncomingMessage): void {
  const accept = raw.headers.accept?.trim();
  if (accept !== undefined && accept !== '' && accept !== '*/*' && accept !== 'application/*') return;
  const value = 'application/json, text/event-stream';
  raw.headers.accept = value;
  const i = raw.rawHeaders.findIndex((h, k) => k % 2 === 0 && h.toLowerCase() === 'accept');
  if (i >= 0) raw.rawHeaders[i + 1] = value;
  else raw.rawHeaders.push('Accept', value);
}


/**
 * A 2025-era answer is an event stream when notifications may come before the result: the request
 * carries a progress token, or the caller set a log level and calls a tool. Otherwise one JSON answer.
 */
function streams(body: unknown, logs: boolean): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => {
    const msg = m as { method?: unknown; params?: { _meta?: { progressToken?: unknown } } } | null;
    return msg?.params?._meta?.progressToken !== undefined || (logs && msg?.method === 'tools/call');
  });
}
