/**
 * The REST adapter: one fastify route per exposed operation. Requests become inputs (coerced and
 * checked by the shared rules), the invoker runs the call, and its result becomes the HTTP answer.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { ExposedOperation, RestAdapter } from '../../spec/model.js';
import type { Invoker, InvokeResult } from '../../invoke/invoker.js';
import { checkInputs } from '../../invoke/inputs.js';
import { InvokeError } from '../../consume/errors.js';
import { compileJsonPath } from '../../spec/json-path.js';
import { discardBody } from '../../consume/send.js';
import { PROBLEM_CONTENT_TYPE, problem, problemFromInvokeError } from '../problem.js';
import { ALL_METHODS, safeParamName, toFastifyPath } from './routes.js';
import { serverOptions } from '../logging.js';

export interface RestAdapterOptions {
  readonly logger: FastifyServerOptions['logger'] | false;
  /** max request body bytes */
  readonly bodyLimit?: number;
}

export function buildRestApp(adapter: RestAdapter, invoker: Invoker, options: RestAdapterOptions): FastifyInstance {
  const app = Fastify(serverOptions(options.logger, options.bodyLimit ?? 1024 * 1024));

  const methodsByPath = new Map<string, Set<string>>();
  for (const op of adapter.operations) {
    const url = toFastifyPath(op.path!);
    methodsByPath.set(url, (methodsByPath.get(url) ?? new Set()).add(op.method!));
    app.route({ method: op.method!, url, handler: operationHandler(op, invoker) });
  }
  for (const [url, methods] of methodsByPath) {
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
    if (err instanceof InvokeError) return sendProblem(reply, problemFromInvokeError(err, req.url));
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'internal error');
    const code = status === 415 ? 'NR_ERR_UNSUPPORTED_MEDIA_TYPE' : status === 413 ? 'NR_ERR_BODY_TOO_LARGE' : status === 500 ? 'NR_ERR_INTERNAL' : 'NR_ERR_BAD_BODY';
    const detail = status === 500 ? 'internal error; see the server log' : bodyErrorDetail(err);
    return sendProblem(reply, problem(code, status, status === 500 ? 'Internal error' : 'Bad request body', detail, req.url));
  });
  return app;
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

function operationHandler(op: ExposedOperation, invoker: Invoker) {
  const invoke = invoker.bind(op);
  const readers = op.inputs.map((input) => {
    const param = safeParamName(input.name);
    const header = input.name.toLowerCase();
    const bodyPath = input.bodyPath !== undefined ? compileJsonPath(input.bodyPath) : undefined;
    const wholeBody = input.in === 'body' && input.name === 'body' && op.inputs.filter((i) => i.in === 'body').length === 1;
    return (req: FastifyRequest): unknown => {
      switch (input.in) {
        case 'path':
          return (req.params as Record<string, string>)[param];
        case 'query':
          return (req.query as Record<string, unknown>)[input.name];
        case 'header':
          return req.headers[header];
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
    const result = await invoke(inputs);
    return sendResult(reply, result);
  };
}

function sendResult(reply: FastifyReply, result: InvokeResult): FastifyReply {
  reply.code(result.status).headers(result.headers);
  if (result.kind === 'value') return reply.send(JSON.stringify(result.value));
  if (result.status === 204 || result.status === 304) {
    discardBody(result.body);
    reply.removeHeader('content-type');
    return reply.send();
  }
  return reply.send(result.body);
}

function sendProblem(reply: FastifyReply, p: ReturnType<typeof problem>): FastifyReply {
  return reply.code(p.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
