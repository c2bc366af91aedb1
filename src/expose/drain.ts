/**
 * Graceful shutdown of one adapter (probe F7): connections with no request and requests whose body is
 * still arriving are closed at once; calls already running may finish until the deadline, when each
 * one still open is answered 503 (NR_ERR_SHUTTING_DOWN) and every connection is closed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';

interface Tracked {
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
  /** created when a handler asks for it; aborted when the caller goes away or the deadline passes */
  call?: AbortController;
  gone: boolean;
}

export interface Drain {
  /** stop what is idle or half-received now; resolves once the running calls are done or the deadline passed */
  begin(deadlineMs: number): Promise<void>;
}

const byRequest = new WeakMap<FastifyRequest, Tracked>();

/** The signal a handler passes to the invoker for this request (probe F8). */
export function callSignal(req: FastifyRequest): AbortSignal | undefined {
  const t = byRequest.get(req);
  if (!t) return undefined;
  t.call ??= new AbortController();
  if (t.gone) t.call.abort();
  return t.call.signal;
}

/** One synchronous hook and one close listener per request: this runs on every call's hot path. */
export function trackRequests(app: FastifyInstance): Drain {
  const live = new Set<Tracked>();
  let closing = false;
  app.addHook('onRequest', (req, reply, done) => {
    const t: Tracked = { req, reply, gone: false };
    live.add(t);
    byRequest.set(req, t);
    reply.raw.once('close', () => {
      live.delete(t);
      if (!reply.raw.writableFinished) {
        t.gone = true;
        t.call?.abort();
      }
    });
    done();
  });
  // a request that arrives while closing is refused by fastify itself (return503OnClosing)
  return {
    async begin(deadlineMs) {
      if (closing) return;
      closing = true;
      // a request whose body has not fully arrived has no running call yet: it goes now
      for (const t of live) if (!t.req.raw.complete) t.req.raw.socket.destroy();
      app.server.closeIdleConnections();
      const started = Date.now();
      while (live.size > 0 && Date.now() - started < deadlineMs) {
        await new Promise((r) => setTimeout(r, 20));
        app.server.closeIdleConnections();
      }
      for (const t of live) {
        t.gone = true;
        t.call?.abort();
        const res = t.reply.raw;
        if (!res.headersSent && !res.destroyed) {
          const body = JSON.stringify(problem('NR_ERR_SHUTTING_DOWN', 503, 'Service shutting down', `the server is stopping and this call did not finish within the ${deadlineMs / 1000} s drain deadline`, t.req.url.split('?')[0]));
          res.writeHead(503, { 'content-type': PROBLEM_CONTENT_TYPE, connection: 'close', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        }
      }
      app.server.closeAllConnections();
    },
  };
}
