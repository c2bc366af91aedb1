/**
 * Direct routes: operation and forward requests answered straight from the Node server, without fastify's
 * request lifecycle (its Request and Reply objects, hook runners, handler wrapper). A minimal proxy on
 * node:http used 0.73× the CPU per request of the same proxy on fastify (BENCHMARKS.md); a direct
 * route runs the same operation call, the same writer and the same access line.
 *
 * Exactness comes from a mirror: every route fastify registers (operations, forwards, docs, the Allow
 * answers, auto-HEAD) is added to a router of the same library (find-my-way) with fastify's own router
 * settings, so a URL matches here exactly what it matches there. A request is answered directly only
 * when it matches an operation or forward route and carries no body to parse; everything else, and everything
 * while the app closes, goes to fastify. Metrics and traces (a control adapter) are reported by the
 * same RequestObserver fastify's hooks use. An app whose requests need other fastify hooks (inbound
 * auth, CORS) or a logger of its own makes no direct routes at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyBaseLogger, FastifyInstance, RouteOptions } from 'fastify';
import { callSignal } from '../drain.js';
import { errorAnswer, writeProblem, writeResult } from './reply.js';
import { logAccess, type AccessLine } from '../logging.js';
import type { InvokeResult } from '../../invoke/invoker.js';
import type { CallSignal } from '../../consume/call-signal.js';
import { routeLabel, type RequestObserver } from '../observe-requests.js';

/** What a direct route runs: the route's call for `req`, with the router's params and parsed query. */
export type DirectCall = (req: IncomingMessage, params: unknown, query: unknown, signal: CallSignal) => Promise<InvokeResult>;

/** Methods whose body fastify never parses (its own list): a request of these is direct even with one. */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

interface Route {
  /** absent: fastify answers (a route of the mirror that is not an operation's) */
  readonly call?: DirectCall;
  /** the operation label of metrics and spans (as fastify's routes report it) */
  readonly label: string;
}

/** what fastify's onRoute hook gives (a prefixed '/' route says so through routePath and prefix) */
type MirroredRoute = RouteOptions & { routePath?: string; prefix?: string };

const kStarted = Symbol('naftiko.directStarted');
const kRoute = Symbol('naftiko.directRoute');
type Timed = ServerResponse & { [kStarted]?: number; [kRoute]?: Route };

export interface DirectRouteOptions {
  /** the access line writer (false: the level does not log it) */
  readonly accessLine: AccessLine | false;
  /** error details say `upstream` instead of the upstream's origin */
  readonly hideUpstream?: boolean;
  /** metrics and spans per request (a control adapter is served) */
  readonly observer?: RequestObserver;
}

export class DirectRoutes {
  private readonly calls = new Map<unknown, DirectCall>();
  private readonly routes: MirroredRoute[] = [];
  /** made on the first request after the app is ready, not while the servers start (~7 ms of a cold start) */
  private router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1> | undefined;
  private ready = false;
  private readonly app: FastifyInstance;
  private closing = false;
  private readonly logger: FastifyBaseLogger;
  /** the 'finish' and 'close' listeners of every direct response (one function each, no closure per request) */
  private readonly onFinish: ((this: ServerResponse) => void) | undefined;
  private readonly onClose: ((this: ServerResponse) => void) | undefined;

  /** Watches `app`'s routes from now on; call before any route is added. */
  constructor(app: FastifyInstance, private readonly options: DirectRouteOptions) {
    this.logger = app.log;
    this.app = app;
    const line = options.accessLine;
    const observer = options.observer;
    this.onFinish = line || observer ? function (this: Timed) {
      const req = this.req;
      const ms = performance.now() - (this[kStarted] ?? 0);
      if (line) logAccess(line, String(req.headers['x-request-id']), req.method!, req.url!, this.statusCode, ms);
      observer?.finish(req, this[kRoute]!.label, this.statusCode, ms / 1000);
    } : undefined;
    // a caller that went away before the answer was complete: 499, as fastify's onRequestAbort reports it
    this.onClose = observer ? function (this: Timed) {
      if (!this.writableFinished) observer.finish(this.req, this[kRoute]!.label, 499, 0);
    } : undefined;
    app.addHook('onRoute', (route: MirroredRoute) => {
      this.routes.push(route);
    });
    app.addHook('onReady', (done) => {
      this.ready = true;
      done();
    });
    // fastify answers 503 while it closes (return503OnClosing): from then on every request goes to it
    app.addHook('preClose', (done) => {
      this.closing = true;
      done();
    });
  }

  /** Routes served by `handler` run `call` when they may be answered directly. */
  serveDirectly(handler: unknown, call: DirectCall): void {
    this.calls.set(handler, call);
  }

  /** Answers `req` and returns true, or returns false for fastify to answer it. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.ready || this.closing) return false;
    const router = (this.router ??= this.build());
    const method = req.method!;
    if (!BODYLESS.has(method)) {
      const h = req.headers;
      if (h['content-type'] !== undefined || h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0')) return false;
    }
    const found = router.find(method as HTTPMethod, req.url!);
    const route = found?.store as Route | undefined;
    if (!found || !route?.call) return false;
    void this.run(route, req, res, found.params, found.searchParams);
    return true;
  }

  private async run(route: Route, req: IncomingMessage, res: ServerResponse, params: unknown, query: unknown): Promise<void> {
    const answering = { method: req.method!, url: req.url!, log: this.logger };
    if (this.onFinish) {
      const timed = res as Timed;
      timed[kStarted] = performance.now();
      timed[kRoute] = route;
      res.once('finish', this.onFinish);
    }
    const observer = this.options.observer;
    if (observer) {
      observer.start(req);
      res.once('close', this.onClose!);
    }
    try {
      const result = await route.call!(req, params, query, callSignal(res));
      writeResult(res, result, { ...result.headers }, answering);
    } catch (e) {
      const err = e as Error & { statusCode?: number; code?: string };
      const answer = errorAnswer(err, req.url!, this.options.hideUpstream, undefined);
      if (answer.internal) this.logger.child({ reqId: req.headers['x-request-id'] }).error({ err }, 'internal error');
      if (res.headersSent || res.destroyed) return;
      writeProblem(res, answer.problem, answer.retryAfter !== undefined ? { 'retry-after': answer.retryAfter } : {});
    }
  }

  private build(): FindMyWay.Instance<FindMyWay.HTTPVersion.V1> {
    const c = this.app.initialConfig;
    // find-my-way reads useSemicolonDelimiter, which its types do not list
    const router = FindMyWay({
      caseSensitive: c.caseSensitive ?? true,
      ignoreTrailingSlash: c.ignoreTrailingSlash ?? false,
      ignoreDuplicateSlashes: c.ignoreDuplicateSlashes ?? false,
      maxParamLength: c.maxParamLength ?? 100,
      allowUnsafeRegex: c.allowUnsafeRegex ?? false,
      useSemicolonDelimiter: c.useSemicolonDelimiter ?? false,
    } as FindMyWay.Config<FindMyWay.HTTPVersion.V1>);
    const noop = () => {};
    const add = (method: string, url: string, route: Route) => {
      try {
        router.on(method as HTTPMethod, url, noop, route);
      } catch {
        // only the extra prefix + '/' entries can repeat a route fastify has; the first one stays
      }
    };
    for (const r of this.routes) {
      const call = this.calls.get(r.handler);
      for (const method of [r.method].flat()) {
        const label = routeLabel(r.config as { operationId?: string } | undefined, r.url, method);
        add(method, r.url, call ? { call, label } : { label });
        // a prefixed '/' route is also served at prefix + '/' without an onRoute of its own
        if (r.routePath === '' && r.prefix) add(method, `${r.prefix}/`, { label: '' });
      }
    }
    return router;
  }
}
