/**
 * The REST adapter: one fastify route per exposed operation, plus the `forward` resources. Requests
 * become inputs (coerced and checked by the shared rules), the invoker runs the call, and its result
 * becomes the HTTP answer. Operation routes take JSON bodies only; on a loopback address, Host and
 * Origin must be local, so a web page cannot drive the adapter cross-site (probe F1).
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { RestAdapter } from '../../spec/model.js';
import type { Invoker } from '../../invoke/invoker.js';
import { PROBLEM_CONTENT_TYPE, problem } from '../problem.js';
import { isLocalRequest, isLoopback } from '../local-origin.js';
import { ALL_METHODS, toFastifyPath } from './routes.js';
import { forwardUrls, registerForwardRoutes } from './forward-routes.js';
import { errorAnswer, resultSender, sendProblem, type SendResult } from './reply.js';
import { accessLineWriter, serverOptions } from '../logging.js';
import { standaloneServer, type RequestHandler, type ServerFor } from '../server-slot.js';
import { installJsonParser } from '../json-body.js';
import { callSignal } from '../drain.js';
import { installInboundAuth, type PreparedInboundAuth } from '../inbound-auth.js';
import { overloaded, sendOverloaded } from '../load-shedding.js';
import { observeRequests, routeOperation, type RequestObservation } from '../observe-requests.js';
import { installCors, isAllowedPreflight } from './cors.js';
import { corsOriginProblem, type CorsSettings } from './cors-settings.js';
import { registerDocsRoutes, type DocsRouteOptions } from './openapi/docs-routes.js';
import { operationCall, type OperationCall } from './operation-call.js';
import { DirectRoutes } from './direct-routes.js';

export interface RestAdapterOptions {
  readonly logger: FastifyServerOptions['logger'] | false;
  /** max request body bytes (operation routes; forwarded bodies stream, up to the invoker's limit) */
  readonly bodyLimit?: number;
  /** the address the adapter listens on; loopback turns on the Host/Origin check */
  readonly host: string;
  /** the adapter's inbound `authentication`, prepared */
  readonly auth?: PreparedInboundAuth;
  /** error details say `upstream` instead of the upstream's origin (`--upstream-in-errors`) */
  readonly hideUpstream?: boolean;
  /** metrics and spans per request (a control adapter is served) */
  readonly observe?: RequestObservation;
  /** the server to listen with (hot reload); default: one of its own */
  readonly serverFor?: ServerFor;
  /** CORS for these origins (`--cors-origin`); off when absent */
  readonly cors?: CorsSettings;
  /** serve /openapi.json, /openapi.yaml and /docs (under this prefix); off when absent */
  readonly docs?: Omit<DocsRouteOptions, 'host'>;
  /** answer operation requests without fastify's request lifecycle where nothing needs it (direct-routes.ts); default true */
  readonly directRoutes?: boolean;
}

export function buildRestApp(adapter: RestAdapter, invoker: Invoker, options: RestAdapterOptions): FastifyInstance {
  const base = serverOptions(options.logger, options.bodyLimit ?? 1024 * 1024);
  const corsOrigins: ReadonlySet<string> = new Set(options.cors?.origins ?? []);
  // requests that need a fastify hook (inbound auth, CORS) or a logger of another kind go through fastify
  const accessLine = options.logger ? accessLineWriter(options.logger) : false;
  const directly = options.directRoutes !== false && accessLine !== undefined && !options.auth && !options.cors;
  let direct: DirectRoutes | undefined;
  const app = Fastify({
    ...base,
    frameworkErrors: routerError,
    clientErrorHandler: clientError,
    // On a loopback address Host and Origin must name this machine (probe F1); while the event loop lags
    // new requests are shed. Checked before fastify sees the request: an onRequest hook would put every
    // request on fastify's slower hook path.
    serverFactory: (handler: RequestHandler) => (options.serverFor ?? standaloneServer)(guarded(handler, isLoopback(options.host), corsOrigins, () => direct), base.http),
  });
  const observer = options.observe ? observeRequests(app, options.observe, 'rest', routeOperation) : undefined;
  if (directly) direct = new DirectRoutes(app, { accessLine: accessLine!, ...(options.hideUpstream ? { hideUpstream: true } : {}), ...(observer ? { observer } : {}) });
  // Operation routes parse JSON only: any other body (text/plain, forms, multipart: what a cross-site
  // page can send without a preflight) is a 415 before anything runs.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);

  if (options.cors) installCors(app, options.cors);
  // the docs need no credential (their security schemes say what the operations need); a preflight never carries one
  installInboundAuth(app, options.auth, (req) => (req.routeOptions.config as { publicDocs?: boolean } | undefined)?.publicDocs === true || isAllowedPreflight(req, corsOrigins));
  if (options.docs) registerDocsRoutes(app, adapter, { ...options.docs, host: options.host });

  // on a resource that also forwards, `{path}` takes the rest of the URL for its operations too (FEATURES §7)
  const sendResult = resultSender(options.cors !== undefined);
  const wildcards = new Map(adapter.forwards.filter((f) => f.wildcard).map((f) => [f.path, f] as const));
  const methodsByPath = new Map<string, Set<string>>();
  for (const op of adapter.operations) {
    const forward = wildcards.get(op.path!);
    const urls = forward ? forwardUrls(forward) : [toFastifyPath(op.path!)];
    for (const url of urls) {
      methodsByPath.set(url, (methodsByPath.get(url) ?? new Set()).add(op.method!));
      const call = operationCall(op, invoker, options.auth, forward !== undefined);
      const handler = operationHandler(call, sendResult);
      direct?.serveDirectly(handler, (req, params, query, signal) => call({ params, query, headers: req.headers }, signal));
      app.route({ method: op.method!, url, config: { operationId: `${op.path} ${op.method}` }, handler });
    }
  }
  // A resource with both operations and `forward`: the forward takes every method the operations do not.
  const forwarded = new Set(adapter.forwards.flatMap((f) => [toFastifyPath(f.path), ...forwardUrls(f)]));
  const taken = new Set([...methodsByPath].flatMap(([url, methods]) => [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].map((m) => `${m} ${url}`)));
  registerForwardRoutes(app, adapter, invoker, taken, sendResult, options.auth?.queryKey !== undefined ? new Set([options.auth.queryKey]) : undefined, direct);
  for (const [url, methods] of methodsByPath) {
    if (forwarded.has(url)) continue;
    const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].join(', ');
    const others = ALL_METHODS.filter((m) => !methods.has(m));
    if (others.length === 0) continue;
    app.route({
      method: [...others, 'OPTIONS'],
      url,
      handler: async (req, reply) => {
        reply.header('allow', allow);
        if (req.method === 'OPTIONS') return reply.code(204).send();
        return sendProblem(reply, problem('NR_ERR_METHOD_NOT_ALLOWED', 405, 'Method not allowed', `${req.method} is not allowed on ${req.url.split('?')[0]}; allowed: ${allow}`, req.url));
      },
    });
  }

  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem('NR_ERR_ROUTE_NOT_FOUND', 404, 'Not found', `no operation is exposed at ${req.method} ${req.url.split('?')[0]}`, req.url)),
  );
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const answer = errorAnswer(err, req.url, options.hideUpstream, req.headers['content-type']);
    if (answer.retryAfter !== undefined) reply.header('retry-after', answer.retryAfter);
    if (answer.internal) req.log.error({ err }, 'internal error');
    return sendProblem(reply, answer.problem);
  });
  return app;
}

/** Errors of the router itself (before any route or hook): malformed percent-encoding, an over-long parameter. */
function routerError(err: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply): void {
  const path = (req.raw.url ?? '').split('?')[0];
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendProblem(reply, problem('NR_ERR_URL_TOO_LONG', 414, 'URI too long', 'a path segment of the URL is longer than the router accepts (100 characters)', path));
    return;
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    void sendProblem(reply, problem('NR_ERR_BAD_PATH', 400, 'Bad request path', 'the URL path holds malformed percent-encoding', path));
    return;
  }
  req.log.error({ err }, 'router error');
  void sendProblem(reply, problem('NR_ERR_INTERNAL', 500, 'Internal error', 'internal error; see the server log', path));
}

/** HTTP the parser rejects before fastify sees a request: answered as a problem, then the socket closes. */
function clientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, p] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, problem('NR_ERR_URL_TOO_LONG', 431, 'Request header fields too large', 'the request line and headers exceed the 16 KiB limit (is the URL too long?)')]
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, problem('NR_ERR_BAD_REQUEST', 408, 'Request timeout', 'the request did not arrive in time')]
      : [400, problem('NR_ERR_BAD_REQUEST', 400, 'Bad request', 'the request is not valid HTTP/1.1')];
  if (socket.writable) {
    const body = JSON.stringify(p);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** `corsOrigins`: origins the operator allowed (`--cors-origin`) pass the Origin check; the Host must still be local. */
function guarded(handler: RequestHandler, localOnly: boolean, corsOrigins: ReadonlySet<string>, direct: () => DirectRoutes | undefined): RequestHandler {
  const serve: RequestHandler = (req, res) => {
    if (direct()?.serve(req, res) !== true) handler(req, res);
  };
  return (req, res) => {
    if (overloaded()) return sendOverloaded(req, res);
    if (!localOnly || isLocalRequest(req.headers.host, req.headers.origin)) return serve(req, res);
    const origin = req.headers.origin;
    if (origin !== undefined && corsOrigins.has(origin) && isLocalRequest(req.headers.host, undefined)) return serve(req, res);
    const body = JSON.stringify(problem('NR_ERR_ORIGIN_REJECTED', 403, 'Forbidden',
      `this adapter listens on a loopback address and serves only requests whose Host and Origin name this machine (DNS-rebinding and cross-site protection)${req.headers.origin !== undefined && corsOriginProblem(req.headers.origin) === undefined ? `; to let the web page at ${req.headers.origin} call it, start naftiko-run with --cors-origin ${req.headers.origin}` : ''}`, (req.url ?? '/').split('?')[0]));
    req.resume();
    res.writeHead(403, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) }).end(body);
  };
}

/** The fastify route of an operation: its call, answered by the shared writer; errors go to the error handler. */
function operationHandler(call: OperationCall, sendResult: SendResult) {
  // a caller who goes away (or a shutdown's deadline) cancels its upstream call (probe F7, F8)
  return async (req: FastifyRequest, reply: FastifyReply) => sendResult(reply, await call(req, callSignal(reply.raw)));
}
