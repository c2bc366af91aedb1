/**
 * Graceful shutdown of one adapter (probe F7): connections with no request and requests whose body is
 * still arriving are closed at once; calls already running may finish until the deadline, when each
 * one still open is answered 503 (NR_ERR_SHUTTING_DOWN) and every connection is closed.
 *
 * Cost matters here: this runs on every request. Connections are tracked (once per keep-alive
 * connection, not per request) and each remembers the response it is serving; a request's cancellation
 * signal is a CallAbort made only when a handler asks for it (an AbortController and a per-request Set
 * together cost as much as the whole pass-through floor, BENCHMARKS.md).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CallAbort, abortError, type CallSignal } from '../consume/call-signal.js';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';
import { serverSpanOf } from './observe-requests.js';

const kSignal = Symbol('naftiko.callSignal');
const kServing = Symbol('naftiko.serving');

type TrackedResponse = ServerResponse & { [kSignal]?: CallAbort };
type TrackedSocket = Socket & { [kServing]?: TrackedResponse };

export interface Drain {
  /** stop what is idle or half-received now; resolves once the running calls are done or the deadline passed */
  begin(deadlineMs: number): Promise<void>;
}

/**
 * The signal a handler passes to the invoker for the request `res` answers (probe F8): aborted when the
 * caller goes away before the answer is complete, or when a shutdown's deadline passes.
 */
export function callSignal(res: ServerResponse): CallSignal {
  const r = res as TrackedResponse;
  let signal = r[kSignal];
  if (signal) return signal;
  signal = r[kSignal] = new CallAbort();
  carryRequestContext(signal, r.req);
  if (r.closed) {
    if (!r.writableFinished) signal.abort(abortError('the caller went away'));
  } else {
    r.on('close', abortIfUnfinished);
  }
  return signal;
}

/** Puts what the inbound request `req` gives its calls on `signal`: its id (x-request-id) and, when tracing, its server span. */
export function carryRequestContext(signal: CallAbort, req: IncomingMessage | undefined): void {
  const id = req?.headers['x-request-id'];
  if (typeof id === 'string') signal.requestId = id;
  const span = serverSpanOf(req);
  if (span) signal.span = span;
}

// one shared listener (no closure per request); `this` is the response
function abortIfUnfinished(this: TrackedResponse): void {
  if (!this.writableFinished) this[kSignal]?.abort(abortError('the caller went away'));
}

function running(res: TrackedResponse | undefined): res is TrackedResponse {
  return res !== undefined && !res.writableFinished && !res.destroyed;
}

/**
 * Tracks connections and the response each one serves with listeners on the Node server, not fastify
 * hooks: any fastify hook moves every request onto the slower hook path.
 */
export function trackRequests(server: Server): Drain {
  const sockets = new Set<TrackedSocket>();
  let closing = false;
  server.on('connection', (socket: TrackedSocket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    (req.socket as TrackedSocket)[kServing] = res;
  });
  const runningResponses = () => [...sockets].map((s) => s[kServing]).filter(running);
  // a request that arrives while closing is refused by fastify itself (return503OnClosing)
  return {
    async begin(deadlineMs) {
      if (closing) return;
      closing = true;
      // a request whose body has not fully arrived has no running call yet: it goes now
      for (const res of runningResponses()) if (!res.req.complete) res.req.socket.destroy();
      server.closeIdleConnections();
      const started = Date.now();
      while (runningResponses().length > 0 && Date.now() - started < deadlineMs) {
        await new Promise((r) => setTimeout(r, 20));
        server.closeIdleConnections();
      }
      for (const res of runningResponses()) {
        (callSignal(res) as CallAbort).abort(abortError('the server is shutting down'));
        if (!res.headersSent) {
          const body = JSON.stringify(problem('NR_ERR_SHUTTING_DOWN', 503, 'Service shutting down', `the server is stopping and this call did not finish within the ${deadlineMs / 1000} s drain deadline`, (res.req.url ?? '/').split('?')[0]));
          res.writeHead(503, { 'content-type': PROBLEM_CONTENT_TYPE, connection: 'close', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        }
      }
      server.closeAllConnections();
    },
  };
}
