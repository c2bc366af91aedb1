/**
 * The REST adapter: one fastify route per exposed operation, plus the `forward` resources. Requests
 * become inputs (coerced and checked by the shared rules), the invoker runs the call, and its result
 * becomes the HTTP answer. Operation routes take JSON bodies only; on a loopback address, Host and
 * Origin must be local, so a web page cannot drive the adapter cross-site (probe F1).
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { ExposedOperation, RestAdapter } from '../../spec/model.js';
import type { Invoker } from '../../invoke/invoker.js';
import { checkInputs } from '../../invoke/inputs.js';
import { InvokeError } from '../../consume/errors.js';
import { compileJsonPath } from '../../spec/json-path.js';
import { PROBLEM_CONTENT_TYPE, problem, problemFromInvokeError } from '../problem.js';
import { isLocalRequest, isLoopback } from '../local-origin.js';
import { ALL_METHODS, safeParamName, toFastifyPath } from './routes.js';
import { forwardUrls, registerForwardRoutes } from './forward-routes.js';
import { resultSender, sendProblem, type SendResult } from './reply.js';
import { serverOptions } from '../logging.js';
import { standaloneServer, type RequestHandler, type ServerFor } from '../server-slot.js';
import { installJsonParser } from '../json-body.js';
import { callSignal } from '../drain.js';
import { installInboundAuth, type PreparedInboundAuth } from '../inbound-auth.js';
import { overloaded, sendOverloaded } from '../load-shedding.js';
import { observeRequests, routeOperation, type RequestObservation } from '../observe-requests.js';
import { installCors, isAllowedPreflight } from './cors.js';
import { corsOriginProblem, type CorsSettings } from './cors-settings.js';
import { registerDocsRoutes, type DocsRouteOptions } from './openapi/docs-routes.js';

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
}

export function buildRestApp(adapter: RestAdapter, invoker: Invoker, options: RestAdapterOptions): FastifyInstance {
  const base = serverOptions(options.logger, options.bodyLimit ?? 1024 * 1024);
  const corsOrigins: ReadonlySet<string> = new Set(options.cors?.origins ?? []);
  const app = Fastify({
    ...base,
    frameworkErrors: routerError,
    clientErrorHandler: clientError,
    // On a loopback address Host and Origin must name this machine (probe F1); while the event loop lags
    // new requests are shed. Checked before fastify sees the request: an onRequest hook would put every
    // request on fastify's slower hook path.
    serverFactory: (handler: RequestHandler) => (options.serverFor ?? standaloneServer)(guarded(handler, isLoopback(options.host), corsOrigins), base.http),
  });
  // Operation routes parse JSON only: any other body (text/plain, forms, multipart: what a cross-site
  // page can send without a preflight) is a 415 before anything runs.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);
  if (options.observe) observeRequests(app, options.observe, 'rest', routeOperation);

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
      app.route({ method: op.method!, url, config: { operationId: `${op.path} ${op.method}` }, handler: operationHandler(op, invoker, options.auth, sendResult, forward !== undefined) });
    }
  }
  // A resource with both operations and `forward`: the forward takes every method the operations do not.
  const forwarded = new Set(adapter.forwards.flatMap((f) => [toFastifyPath(f.path), ...forwardUrls(f)]));
  const taken = new Set([...methodsByPath].flatMap(([url, methods]) => [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].map((m) => `${m} ${url}`)));
  registerForwardRoutes(app, adapter, invoker, taken, sendResult, options.auth?.queryKey !== undefined ? new Set([options.auth.queryKey]) : undefined);
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
    if (err instanceof InvokeError) {
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      return sendProblem(reply, problemFromInvokeError(err, req.url, options.hideUpstream));
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'internal error');
    const code = status === 415 ? 'NR_ERR_UNSUPPORTED_MEDIA_TYPE' : status === 413 ? 'NR_ERR_BODY_TOO_LARGE' : status === 500 ? 'NR_ERR_INTERNAL' : 'NR_ERR_BAD_BODY';
    const detail = status === 500 ? 'internal error; see the server log' : status === 415 ? unsupportedTypeDetail(req) : bodyErrorDetail(err);
    const title = status === 500 ? 'Internal error' : status === 415 ? 'Unsupported media type' : 'Bad request body';
    return sendProblem(reply, problem(code, status, title, detail, req.url));
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

function unsupportedTypeDetail(req: FastifyRequest): string {
  const type = req.headers['content-type'];
  return `operation routes take JSON request bodies only (Content-Type: application/json)${type ? `; got ${JSON.stringify(type.split(';')[0]!.trim())}` : '; the body has no Content-Type'}`;
}

/** `corsOrigins`: origins the operator allowed (`--cors-origin`) pass the Origin check; the Host must still be local. */
function guarded(handler: RequestHandler, localOnly: boolean, corsOrigins: ReadonlySet<string>): RequestHandler {
  return (req, res) => {
    if (overloaded()) return sendOverloaded(req, res);
    if (!localOnly || isLocalRequest(req.headers.host, req.headers.origin)) return handler(req, res);
    const origin = req.headers.origin;
    if (origin !== undefined && corsOrigins.has(origin) && isLocalRequest(req.headers.host, undefined)) return handler(req, res);
    const body = JSON.stringify(problem('NR_ERR_ORIGIN_REJECTED', 403, 'Forbidden',
      `this adapter listens on a loopback address and serves only requests whose Host and Origin name this machine (DNS-rebinding and cross-site protection)${req.headers.origin !== undefined && corsOriginProblem(req.headers.origin) === undefined ? `; to let the web page at ${req.headers.origin} call it, start naftiko-run with --cors-origin ${req.headers.origin}` : ''}`, (req.url ?? '/').split('?')[0]));
    req.resume();
    res.writeHead(403, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) }).end(body);
  };
}

function bodyErrorDetail(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'request body must be JSON (Content-Type: application/json)';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Content-Type is application/json but the body is empty';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return err.message;
    default:
      return `request body is not valid JSON: ${err.message}`;
  }
}

/**
 * `auth`: the credential a caller presents to this adapter (its Authorization, its API key) is the
 * adapter's; it never becomes an upstream value by pass-through or inference (FEATURES §10,
 * credential isolation). Only an input the operation declares itself can read that header.
 */
function operationHandler(op: ExposedOperation, invoker: Invoker, auth: PreparedInboundAuth | undefined, sendResult: SendResult, restOfPath = false) {
  const invoke = invoker.bind(op);
  const readers = op.inputs.map((input) => {
    const param = safeParamName(input.name);
    const header = input.name.toLowerCase();
    const implicit = input.credential || op.inputsInferred;
    const ownHeader = implicit && ((auth?.usesAuthorization === true && header === 'authorization') || auth?.headerKey === header);
    const ownQuery = auth?.queryKey === input.name;
    const bodyPath = input.bodyPath !== undefined ? compileJsonPath(input.bodyPath) : undefined;
    const wholeBody = input.in === 'body' && input.name === 'body' && op.inputs.filter((i) => i.in === 'body').length === 1;
    return (req: FastifyRequest): unknown => {
      switch (input.in) {
        case 'path':
          return restOfPath && input.name === 'path' ? (req.params as Record<string, string>)['*'] ?? '' : (req.params as Record<string, string>)[param];
        case 'query':
          return ownQuery ? undefined : (req.query as Record<string, unknown>)[input.name];
        case 'header':
          return ownHeader ? undefined : req.headers[header];
        case 'cookie':
          return cookieValue(req.headers.cookie, input.name);
        case 'body': {
          if (wholeBody) return req.body ?? undefined;
          const body = req.body as Record<string, unknown> | undefined;
          if (!body || typeof body !== 'object') return undefined;
          return bodyPath ? bodyPath(body) : body[input.name];
        }
      }
    };
  });
  const names = op.inputs.map((i) => i.name);

  return async (req: FastifyRequest, reply: FastifyReply) => {
    const raw: Record<string, unknown> = {};
    for (let i = 0; i < readers.length; i++) {
      const v = readers[i]!(req);
      if (v !== undefined) raw[names[i]!] = v;
    }
    const inputs = checkInputs(op.inputs, raw, { fromStrings: true });
    // a caller who goes away (or a shutdown's deadline) cancels its upstream call (probe F7, F8)
    const result = await invoke(inputs, callSignal(reply.raw));
    return sendResult(reply, result);
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
