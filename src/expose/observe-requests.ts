/**
 * Inbound requests as metrics and spans: each answered (or abandoned) request is counted with its
 * adapter, operation and status; with tracing on, it runs inside a server span (`rest.request`,
 * `mcp.request`, `skill.request`) that continues the caller's trace context. Installed only when
 * observability is on, so the default configuration stays on fastify's hook-free path (and the REST
 * adapter's direct routes observe with the same RequestObserver). The span is kept
 * on the raw request, where the call's signal picks it up (serverSpanOf) to parent the work it causes.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdapterKind, Telemetry } from '../observe/telemetry.js';
import type { Span } from '../observe/tracer.js';

const SPAN = Symbol('naftiko.span');
type Traced = IncomingMessage & { [SPAN]?: Span };

/** The server span of an inbound request, when tracing. */
export function serverSpanOf(req: IncomingMessage | undefined): Span | undefined {
  return (req as Traced | undefined)?.[SPAN];
}

/** What an adapter needs to report its requests: the telemetry, and the capability's label for spans. */
export interface RequestObservation {
  readonly telemetry: Telemetry;
  readonly capability: string;
}

/** How a request's `naftiko.operation.id` label is found (bounded: never a raw caller-chosen string). */
export type OperationOf = (req: FastifyRequest) => string;

/** Starts and ends the observation of one inbound request: fastify's hooks and the REST direct routes share it. */
export interface RequestObserver {
  /** when tracing: the request's server span, kept on `req` */
  start(req: IncomingMessage): void;
  /** counts the answer (499: the caller went away) and ends the span */
  finish(req: IncomingMessage, operation: string, status: number, seconds: number): void;
}

export function requestObserver({ telemetry, capability }: RequestObservation, kind: AdapterKind): RequestObserver {
  const tracer = telemetry.tracer;
  return {
    start: tracer
      ? (req) => {
          (req as Traced)[SPAN] = tracer.startServer(`${kind}.request`, { 'naftiko.adapter.type': kind, 'http.request.method': req.method!, 'naftiko.capability': capability }, req.headers);
        }
      : () => {},
    finish(req, operation, status, seconds) {
      telemetry.request(kind, operation, status, seconds);
      const span = (req as Traced)[SPAN];
      if (span) {
        span.setAttribute('naftiko.operation.id', operation);
        span.setAttribute('http.response.status_code', status);
        span.setStatus(status >= 500 || status === 499 ? 'ERROR' : 'OK');
        span.end();
      }
    },
  };
}

export function observeRequests(app: FastifyInstance, observation: RequestObservation, kind: AdapterKind, operationOf: OperationOf): RequestObserver {
  const observer = requestObserver(observation, kind);
  if (observation.telemetry.tracer) {
    app.addHook('onRequest', (req, _reply, done) => {
      observer.start(req.raw);
      done();
    });
  }
  app.addHook('onResponse', (req, reply, done) => {
    observer.finish(req.raw, operationOf(req), reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // a caller that went away: counted as 499, as the log says
  app.addHook('onRequestAbort', (req, done) => {
    observer.finish(req.raw, operationOf(req), 499, 0);
    done();
  });
  return observer;
}

/** REST and skill adapters: the route's declared operation id, else its URL pattern; unmatched requests share one label. */
export function routeOperation(req: FastifyRequest): string {
  return routeLabel(req.routeOptions.config as { operationId?: string } | undefined, req.routeOptions.url, req.method);
}

/** The operation label of a route: its declared operation id, else its URL pattern and method. */
export function routeLabel(config: { operationId?: string } | undefined, url: string | undefined, method: string): string {
  if (config?.operationId) return config.operationId;
  return url ? `${url} ${method}` : 'unmatched';
}

const MCP_METHODS = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/read', 'resources/templates/list', 'prompts/list', 'prompts/get',
  'completion/complete', 'logging/setLevel', 'server/discover', 'notifications/initialized', 'notifications/cancelled',
]);

/** MCP: the JSON-RPC method, or the tool name of a `tools/call` (only names the adapter serves). */
export function mcpOperation(tools: ReadonlySet<string>): OperationOf {
  return (req) => {
    const body = req.body as { method?: unknown; params?: { name?: unknown } } | unknown[] | undefined;
    if (Array.isArray(body)) return 'batch';
    const method = typeof body?.method === 'string' ? body.method : undefined;
    if (method === undefined) return req.method === 'POST' ? 'invalid' : req.method;
    if (method === 'tools/call') {
      const name = body?.params?.name;
      return typeof name === 'string' && tools.has(name) ? name : 'tools/call';
    }
    return MCP_METHODS.has(method) ? method : 'other';
  };
}
