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
  /** aborted when the caller goes away or the drain deadline passes: the upstream call is cancelled */
  readonly call: AbortController;
  /** the whole request arrived and its handler runs */
  running: boolean;
}

export interface Drain {
  /** stop what is idle or half-received now; resolves once the running calls are done or the deadline passed */
  begin(deadlineMs: number): Promise<void>;
}

const byRequest = new WeakMap<FastifyRequest, Tracked>();

/** The signal a handler passes to the invoker for this request (probe F8). */
export function callSignal(req: FastifyRequest): AbortSignal | undefined {
  return byRequest.get(req)?.call.signal;
}

export function trackRequests(app: FastifyInstance): Drain {
  const live = new Set<Tracked>();
  let closing = false;
  app.addHook('onRequest', async (req, reply) => {
    const t: Tracked = { req, reply, running: false, call: new AbortController() };
    live.add(t);
    byRequest.set(req, t);
    reply.raw.once('close', () => {
      live.delete(t);
      if (!reply.raw.writableFinished) t.call.abort();
    });
  });
  app.addHook('preHandler', async (req) => {
    const t = byRequest.get(req);
    if (t) t.running = true;
  });
  // the MCP adapter hijacks its replies, so preHandler is the last hook it passes; a request that
  // arrives while closing is refused by fastify itself (return503OnClosing)
  return {
    async begin(deadlineMs) {
      if (closing) return;
      closing = true;
      for (const t of live) if (!t.running) t.req.raw.socket.destroy();
      app.server.closeIdleConnections();
      const started = Date.now();
      while (live.size > 0 && Date.now() - started < deadlineMs) {
        await new Promise((r) => setTimeout(r, 20));
        app.server.closeIdleConnections();
      }
      for (const t of live) {
        t.call.abort();
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
