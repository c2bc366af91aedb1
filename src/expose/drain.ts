/**
 * Graceful shutdown of one adapter (probe F7): connections with no request and requests whose body is
 * still arriving are closed at once; calls already running may finish until the deadline, when each
 * one still open is answered 503 (NR_ERR_SHUTTING_DOWN) and every connection is closed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';

interface Tracked {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** created when a handler asks for it; aborted when the caller goes away or the deadline passes */
  call?: AbortController;
  gone: boolean;
}

export interface Drain {
  /** stop what is idle or half-received now; resolves once the running calls are done or the deadline passed */
  begin(deadlineMs: number): Promise<void>;
}

const byRequest = new WeakMap<IncomingMessage, Tracked>();

/** The signal a handler passes to the invoker for this request (probe F8). */
export function callSignal(req: FastifyRequest): AbortSignal | undefined {
  const t = byRequest.get(req.raw);
  if (!t) return undefined;
  t.call ??= new AbortController();
  if (t.gone) t.call.abort();
  return t.call.signal;
}

/**
 * Tracks requests with a listener on the Node server, not a fastify hook: any fastify hook moves every
 * request onto the slower hook path (measured: a third of REST pass-through throughput).
 */
export function trackRequests(app: FastifyInstance): Drain {
  const live = new Set<Tracked>();
  let closing = false;
  // before fastify's own listener, so a handler finds its request tracked
  app.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const t: Tracked = { req, res, gone: false };
    live.add(t);
    byRequest.set(req, t);
    res.once('close', () => {
      live.delete(t);
      if (!res.writableFinished) {
        t.gone = true;
        t.call?.abort();
      }
    });
  });
  // a request that arrives while closing is refused by fastify itself (return503OnClosing)
  return {
    async begin(deadlineMs) {
      if (closing) return;
      closing = true;
      // a request whose body has not fully arrived has no running call yet: it goes now
      for (const t of live) if (!t.req.complete) t.req.socket.destroy();
      app.server.closeIdleConnections();
      const started = Date.now();
      while (live.size > 0 && Date.now() - started < deadlineMs) {
        await new Promise((r) => setTimeout(r, 20));
        app.server.closeIdleConnections();
      }
      for (const t of live) {
        t.gone = true;
        t.call?.abort();
        const res = t.res;
        if (!res.headersSent && !res.destroyed) {
          const body = JSON.stringify(problem('NR_ERR_SHUTTING_DOWN', 503, 'Service shutting down', `the server is stopping and this call did not finish within the ${deadlineMs / 1000} s drain deadline`, (t.req.url ?? '/').split('?')[0]));
          res.writeHead(503, { 'content-type': PROBLEM_CONTENT_TYPE, connection: 'close', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        }
      }
      app.server.closeAllConnections();
    },
  };
}
