/**
 * Serves one 2026-07-28 request (classified by era.ts) without the SDK: no initialize, no session;
 * `server/discover` answers what `initialize` used to; every other method is the adapter's own handler
 * (methods.ts). The answer is one JSON response, or an event stream when the request asked for
 * progress (`progressToken`) or log messages (`io.modelcontextprotocol/logLevel`) so that those
 * notifications can come before the result. Every result carries `resultType: "complete"`.
 */
import type { FastifyReply } from 'fastify';
import { LEGACY_ONLY, callContext, type CallContext, type McpMethods } from './methods.js';
import { SUPPORTED_MODERN_VERSIONS, type JsonRpcMessage } from './era.js';
import { isLogLevel } from './log-level.js';
import { callSignal } from '../drain.js';
import { ProtocolError } from './tools.js';

const LOG_LEVEL_KEY = 'io.modelcontextprotocol/logLevel';
const METHOD_NOT_FOUND = -32601;
const INTERNAL_ERROR = -32603;

export interface ModernServer {
  readonly methods: McpMethods;
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly instructions?: string;
  /** of cacheable results: `private` when the adapter authenticates its callers, else `public` */
  readonly cacheScope: 'public' | 'private';
}

/**
 * The methods whose results carry `ttlMs`/`cacheScope` (2026-07-28). Always `ttlMs: 0`: files and
 * upstream answers change, and a reload may change every list.
 */
const CACHEABLE = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read', 'server/discover']);

export async function serveModern(
  server: ModernServer,
  message: JsonRpcMessage,
  meta: Readonly<Record<string, unknown>>,
  reply: FastifyReply,
  scope: { track?: CallContext['track']; onError: (e: unknown) => void },
): Promise<void> {
  if (message.id === undefined) return reply.code(202).send();  // a notification: cancellations were already applied
  const id = message.id;
  const params = (message.params ?? {}) as Record<string, unknown>;
  if (message.method === 'server/discover') return json(reply, 200, { jsonrpc: '2.0', id, result: discover(server) });
  const handler = LEGACY_ONLY.has(message.method) ? undefined : server.methods.handlers.get(message.method);
  if (!handler) {
    return json(reply, 404, { jsonrpc: '2.0', id, error: { code: METHOD_NOT_FOUND, message: `Method not found: ${message.method} (2026-07-28: ${['server/discover', ...[...server.methods.handlers.keys()].filter((m) => !LEGACY_ONLY.has(m))].join(', ')})` } });
  }
  const logLevel = isLogLevel(meta[LOG_LEVEL_KEY]) ? meta[LOG_LEVEL_KEY] : undefined;
  const progressToken = (params._meta as { progressToken?: unknown } | undefined)?.progressToken;
  const streamed = logLevel !== undefined || progressToken !== undefined;

  // aborted when the client goes away or a shutdown's deadline passes; carries the request's id and span
  const abort = callSignal(reply.raw);
  reply.hijack();
  const res = reply.raw;
  if (streamed) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const event = (payload: unknown) => {
    if (!res.destroyed) res.write(`event: message\ndata: ${JSON.stringify(payload)}\n\n`);
  };
  const ctx = callContext({
    signal: abort,
    requestId: id,
    progressToken,
    ...(logLevel ? { logLevel } : {}),
    notify: (n) => event({ jsonrpc: '2.0', ...n }),
    ...(scope.track ? { track: scope.track } : {}),
  });
  let answer: unknown;
  try {
    const result = await handler(params, ctx);
    answer = { jsonrpc: '2.0', id, result: { ...result, resultType: 'complete', ...(CACHEABLE.has(message.method) ? { ttlMs: 0, cacheScope: server.cacheScope } : {}) } };
  } catch (e) {
    if (e instanceof ProtocolError) answer = { jsonrpc: '2.0', id, error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
    else {
      scope.onError(e);
      answer = { jsonrpc: '2.0', id, error: { code: INTERNAL_ERROR, message: 'Internal error' } };
    }
  }
  if (res.destroyed) return;
  if (streamed) {
    event(answer);
    res.end();
  } else {
    const body = JSON.stringify(answer);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

function discover(server: ModernServer) {
  return {
    supportedVersions: SUPPORTED_MODERN_VERSIONS,
    capabilities: server.methods.capabilities,
    serverInfo: server.serverInfo,
    ...(server.instructions ? { instructions: server.instructions } : {}),
    _meta: { 'io.modelcontextprotocol/serverInfo': server.serverInfo },
    resultType: 'complete',
    ttlMs: 0,
    cacheScope: server.cacheScope,
  };
}

function json(reply: FastifyReply, status: number, payload: unknown) {
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(payload));
}
