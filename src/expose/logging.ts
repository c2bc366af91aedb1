/**
 * Fastify settings shared by every adapter, with one log line per request at info (method, path
 * without query, status, ms) and nothing from headers, so no credential can reach the log.
 */
import type { ServerOptions } from 'node:http';
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { standaloneServer, type ServerFor } from './server-slot.js';
import { REQUEST_ID_HEADER } from '../observe/request-id.js';

class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!error && (reply.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') === false) return;
    const line = { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
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
    logController: new OneLinePerRequest(),
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // bounds on a slow client (probe F6); the runtime sets the request and headers timeouts it was given
    requestTimeout: 30_000,
    // how often Node checks those timeouts (its default, 30 s, would let a trickling client hold on that long past them)
    http,
  };
}
