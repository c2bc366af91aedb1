/**
 * The HTTP server an adapter listens with, made by naftiko-run rather than by fastify, so that a reload
 * can hand the same listening socket to a freshly built fastify app: the server dispatches each new
 * request to the app that is current; requests already running stay with the app that took them.
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { assignRequestId } from '../observe/request-id.js';

type ClientErrorHandler = (err: Error, socket: Duplex) => void;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** How an adapter builder obtains its server: given fastify's handler, return the server to listen with. */
export type ServerFor = (handler: RequestHandler, httpOptions: ServerOptions) => Server;

/** Idle keep-alive connections live longer than a load balancer's (60 s), as fastify's own servers do. */
const KEEP_ALIVE_MS = 72_000;

/** A server of its own for one app (no reload). */
export const standaloneServer: ServerFor = (handler, httpOptions) => {
  const server = createServer(httpOptions, (req, res) => {
    assignRequestId(req, res);
    handler(req, res);
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  return server;
};

/**
 * One listening server whose app can be replaced. `serverFor` captures the handler of an app being
 * built; `activate` makes it the one new requests reach (after the app is ready).
 */
export class ServerSlot {
  readonly server: Server;
  private current: RequestHandler | undefined;
  private currentClientError: ClientErrorHandler[] = [];
  private readonly dispatchClientError: ClientErrorHandler = (err, socket) => {
    for (const handler of this.currentClientError) handler(err, socket);
    if (this.currentClientError.length === 0) socket.destroy();
  };

  constructor(httpOptions: ServerOptions) {
    this.server = createServer(httpOptions, (req, res) => {
      assignRequestId(req, res);
      this.current!(req, res);
    });
    this.server.keepAliveTimeout = KEEP_ALIVE_MS;
    this.server.on('clientError', this.dispatchClientError);
  }

  /**
   * A ServerFor that records the app's handler without serving it yet. Each fastify app also adds its
   * own 'clientError' listener to the server it is given: `capture` (once the app is built) takes those
   * off the server, so that only the current app's answer malformed requests and reloads add none.
   */
  stage(): { serverFor: ServerFor; capture: () => void; activate: () => void } {
    let staged: RequestHandler | undefined;
    let stagedClientError: ClientErrorHandler[] = [];
    return {
      serverFor: (handler) => {
        staged = handler;
        return this.server;
      },
      capture: () => {
        const added = (this.server.listeners('clientError') as ClientErrorHandler[]).filter((l) => l !== this.dispatchClientError);
        for (const l of added) this.server.off('clientError', l);
        stagedClientError = [...stagedClientError, ...added];
      },
      activate: () => {
        if (!staged) throw new Error('no app was built on this server slot');
        this.current = staged;
        this.currentClientError = stagedClientError;
      },
    };
  }
}
