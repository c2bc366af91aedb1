/**
 * Fastify settings shared by every adapter, with one log line per request at info (method, path
 * without query, status, ms) and nothing from headers, so no credential can reach the log.
 */
import type { ServerOptions } from 'node:http';
import { hostname } from 'node:os';
import pino from 'pino';
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { standaloneServer, type ServerFor } from './server-slot.js';
import { REQUEST_ID_HEADER } from '../observe/request-id.js';
import { lazyRequestLogger } from './request-logger.js';
import { lazySchemaCompilers } from './lazy-schema-compilers.js';

/**
 * The access line of a request answered without error, written straight to the log stream: the same
 * JSON pino would write for `reply.log.info(line, 'request')` (level, time, pid, hostname, reqId,
 * method, url, status, ms, msg), built as one string. Through pino it cost about twice as much per
 * request, most of the default `info` level's price on REST pass-through (BENCHMARKS.md).
 */
export type AccessLine = (reqId: string, method: string, url: string, status: number, ms: number) => void;

/** The writer for `{ level, stream }` logger settings at info or below; undefined when lines are not logged or the logger is another kind. */
export function accessLineWriter(logger: FastifyServerOptions['logger'] | false): AccessLine | false | undefined {
  if (!logger || typeof logger !== 'object') return undefined;
  const { level, stream } = logger as { level?: string; stream?: { write(line: string): unknown } };
  if (!stream || typeof stream.write !== 'function') return undefined;
  const rank = pino.levels.values[level ?? 'info'];
  if (rank === undefined) return undefined;
  if (rank > pino.levels.values.info!) return false;
  const fixed = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"reqId":`;
  return (reqId, method, url, status, ms) => {
    stream.write(`{"level":30,"time":${Date.now()}${fixed}${jsonString(reqId)},"method":${jsonString(method)},"url":${jsonString(url)},"status":${status},"ms":${ms},"msg":"request"}\n`);
  };
}

/** Nothing JSON would escape (quote, backslash, control characters) and nothing it could (lone surrogates: no non-ASCII at all). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON.stringify of a string; most ids, methods and paths need no escaping, and are just quoted. */
function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** Writes the access line of a request: its path without the query, its time rounded to 0.1 ms. */
export function logAccess(line: AccessLine, reqId: string, method: string, url: string, status: number, elapsedMs: number): void {
  const q = url.indexOf('?');
  line(reqId, method, q < 0 ? url : url.slice(0, q), status, Math.round(elapsedMs * 10) / 10);
}

class OneLinePerRequest extends LogController {
  constructor(private readonly accessLine: AccessLine | false | undefined) {
    super();
  }

  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!error && this.accessLine !== undefined) {
      if (this.accessLine) logAccess(this.accessLine, String(request.id), request.method, request.url, reply.statusCode, reply.elapsedTime);
      return;
    }
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    if (!error && (reply.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') === false) return;
    const line = { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms };
    if (error) reply.log.error({ ...line, err: error }, 'request failed');
    else reply.log.info(line, 'request');
  }
}

/** Node's server settings for every adapter: how often the request and headers timeouts are checked (its default, 30 s, would let a trickling client hold on that long past them; probe F6). */
export const HTTP_SERVER_OPTIONS: ServerOptions = { connectionsCheckingInterval: 1_000 };

/** `serverFor`: the server the adapter listens with (a reloadable slot); absent, one of its own. Either decides the request id. */
export function serverOptions(logger: FastifyServerOptions['logger'] | false, bodyLimit: number, serverFor?: ServerFor): FastifyServerOptions & { http: ServerOptions } {
  const http = HTTP_SERVER_OPTIONS;
  return {
    serverFactory: (handler: Parameters<ServerFor>[0]) => (serverFor ?? standaloneServer)(handler, http),
    // the server set it (the caller's when sane, else a new UUID): the log's reqId is the caller's id
    requestIdHeader: REQUEST_ID_HEADER,
    logger: logger ?? false,
    logController: new OneLinePerRequest(accessLineWriter(logger)),
    childLoggerFactory: lazyRequestLogger,
    schemaController: { compilersFactory: lazySchemaCompilers as NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'] },
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // bounds on a slow client (probe F6); the runtime sets the request and headers timeouts it was given
    requestTimeout: 30_000,
    // how often Node checks those timeouts (its default, 30 s, would let a trickling client hold on that long past them)
    http,
  };
}
