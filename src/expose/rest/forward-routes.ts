/**
 * REST `forward` routes (FEATURES §7(d)). They live in their own encapsulated fastify plugin whose only
 * content-type parser hands the raw request stream through, whatever its type, so a forwarded body is
 * streamed unread while operation routes keep their JSON-only parsing.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { InvokeResult } from '../../invoke/invoker.js';
import type { CallSignal } from '../../consume/call-signal.js';
import type { DirectRoutes } from './direct-routes.js';
import type { ForwardSpec, RestAdapter } from '../../spec/model.js';
import type { Invoker } from '../../invoke/invoker.js';
import type { ForwardInvocation } from '../../invoke/forward.js';
import type { SendResult } from './reply.js';
import { callSignal } from '../drain.js';

export const FORWARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Methods a forward resource forwards: all but those its declared operations handle (HEAD goes with GET). */
export function forwardMethods(spec: ForwardSpec): HTTPMethods[] {
  const declared = new Set<string>(spec.operationMethods);
  if (declared.has('GET')) declared.add('HEAD');
  return FORWARD_METHODS.filter((m) => !declared.has(m));
}

/** The fastify URLs of a forward resource: the prefix itself, and for `{path}` everything below it. */
export function forwardUrls(spec: ForwardSpec): string[] {
  const literal = (spec.prefix === '' ? '/' : spec.prefix).replace(/:/g, '::');
  return spec.wildcard ? [literal, `${literal === '/' ? '' : literal}/*`] : [literal];
}

/**
 * Registers every forward resource of `adapter` on `app`. `taken` holds `METHOD url` pairs operation
 * routes already use (they win).
 */
export function registerForwardRoutes(app: FastifyInstance, adapter: RestAdapter, invoker: Invoker, taken: ReadonlySet<string>, sendResult: SendResult, dropQuery?: ReadonlySet<string>, direct?: DirectRoutes): void {
  if (adapter.forwards.length === 0) return;
  const bound = adapter.forwards.map((spec) => ({ spec, invoke: invoker.bindForward(spec) }));
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    for (const { spec, invoke } of bound) {
      const call = forwardCall(spec, invoke, dropQuery);
      const handler = forwardHandler(call, sendResult);
      // a request without a body may be answered directly
      direct?.serveDirectly(handler, (req, _params, _query, signal) => call(req, undefined, signal));
      for (const url of forwardUrls(spec)) {
        const methods = forwardMethods(spec).filter((m) => !taken.has(`${m} ${url}`));
        if (methods.length) scope.route({ method: methods, url, exposeHeadRoute: false, handler });
      }
    }
  });
}

type ForwardCall = (req: IncomingMessage, body: Readable | undefined, signal: CallSignal) => Promise<InvokeResult>;

/** One forward resource's call for a request: its method, the rest of its raw path, its raw query, headers and body. */
function forwardCall(spec: ForwardSpec, invoke: ForwardInvocation, dropQuery: ReadonlySet<string> | undefined): ForwardCall {
  // Segments of the prefix, skipped on the raw URL (the router matched them, maybe percent-decoded).
  const skip = spec.prefix === '' ? 0 : spec.prefix.split('/').length - 1;
  return (req, body, signal) => {
    const url = originForm(req.url ?? '/');
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rest = spec.wildcard ? rawPath.split('/').slice(1 + skip).join('/') : '';
    return invoke({
      method: req.method!,
      rest,
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      ...(dropQuery ? { dropQuery } : {}),
      headers: req.headersDistinct,
      ...(body !== undefined ? { body } : {}),
      signal,
    });
  };
}

function forwardHandler(call: ForwardCall, sendResult: SendResult) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as Readable | undefined;
    try {
      return sendResult(reply, await call(req.raw, body, callSignal(reply.raw)));
    } catch (e) {
      // an unread request body would otherwise be read to its end before the connection is reused
      if (body !== undefined && !body.readableEnded) reply.header('connection', 'close');
      throw e;
    }
  };
}

/** An absolute-form request target (`GET http://host/p?q`) reduced to its path and query. */
function originForm(target: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target;
  try {
    const u = new URL(target);
    return u.pathname + u.search;
  } catch {
    return target;
  }
}
