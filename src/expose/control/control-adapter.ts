/**
 * The control adapter (FEATURES §15): health, status, Prometheus metrics, recorded traces and reload of
 * the running process, on its own port. `/health/live` answers without authentication (a probe has no
 * credential); everything else sits behind the adapter's inbound `authentication`, when it has one. On
 * a loopback address Host and Origin must be local, as on every adapter.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { ControlAdapter } from '../../spec/model.js';
import type { Telemetry } from '../../observe/telemetry.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../observe/metrics.js';
import type { RecordedTrace } from '../../observe/trace-buffer.js';
import { serverOptions } from '../logging.js';
import type { ServerFor } from '../server-slot.js';
import { installInboundAuth, type PreparedInboundAuth } from '../inbound-auth.js';
import { isLocalRequest, isLoopback } from '../local-origin.js';
import { PROBLEM_CONTENT_TYPE, problem } from '../problem.js';
import { installJsonParser } from '../json-body.js';
import { reportStatus, type ControlSource } from './status.js';

export interface ControlAdapterOptions {
  readonly logger: FastifyServerOptions['logger'] | false;
  readonly host: string;
  readonly auth?: PreparedInboundAuth;
  /** absent when `observability.enabled: false` */
  readonly telemetry?: Telemetry;
  readonly source: ControlSource;
  /** the server to listen with (hot reload); default: one of its own */
  readonly serverFor?: ServerFor;
}

export function buildControlApp(adapter: ControlAdapter, options: ControlAdapterOptions): FastifyInstance {
  const app = Fastify(serverOptions(options.logger, 64 * 1024, options.serverFor));
  installJsonParser(app);
  if (isLoopback(options.host)) {
    app.addHook('onRequest', async (req, reply) => {
      if (!isLocalRequest(req.headers.host, req.headers.origin)) {
        return sendProblem(reply, 403, 'NR_ERR_ORIGIN_REJECTED', 'Forbidden', 'this adapter listens on a loopback address and serves only requests whose Host and Origin name this machine', req.url);
      }
    });
  }
  const { source, telemetry } = options;
  const { management, observability } = adapter;

  if (management.health) app.get('/health/live', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'UP' }));

  void app.register(async (guarded) => {
    installInboundAuth(guarded, options.auth);
    if (management.health) {
      guarded.get('/health/ready', async (_req, reply) => {
        const adapters = source.adapters();
        const ready = source.ready();
        return reply.code(ready ? 200 : 503).header('cache-control', 'no-store').send({ status: ready ? 'UP' : 'DEGRADED', adapters });
      });
    }
    if (management.info) guarded.get('/status', async (_req, reply) => reply.header('cache-control', 'no-store').send(reportStatus(source, telemetry)));
    if (telemetry && observability.metrics) {
      const render = source.metrics ?? (async () => telemetry.registry.render());
      guarded.get('/metrics', async (_req, reply) => reply.header('content-type', PROMETHEUS_CONTENT_TYPE).header('cache-control', 'no-store').send(await render()));
    }
    const traces = telemetry?.traces;
    if (traces) {
      guarded.get('/traces', async (req, reply) => {
        const q = req.query as Record<string, string | undefined>;
        if (q.status !== undefined && !['OK', 'ERROR', 'UNSET'].includes(q.status)) {
          return sendProblem(reply, 400, 'NR_ERR_BAD_INPUT', 'Bad request', `status must be OK, ERROR or UNSET, got ${JSON.stringify(q.status)}`, req.url);
        }
        const list = traces.list({ ...(q.operation !== undefined ? { operation: q.operation } : {}), ...(q.status !== undefined ? { status: q.status } : {}) });
        return reply.header('cache-control', 'no-store').send({ traces: list.map(summary), bufferSize: traces.size, bufferUsed: traces.bufferUsed });
      });
      guarded.get('/traces/:traceId', async (req, reply) => {
        const id = (req.params as { traceId: string }).traceId;
        const trace = traces.get(id);
        if (!trace) return sendProblem(reply, 404, 'NR_ERR_TRACE_NOT_FOUND', 'Not found', `Trace not found: ${id} (the buffer keeps the newest ${traces.size} traces)`, req.url);
        return reply.header('cache-control', 'no-store').send(detail(trace));
      });
    }
    if (management.reload && source.reload) {
      const reload = source.reload;
      guarded.post('/reload', async (_req, reply) => {
        const outcome = await reload('control');
        if (outcome.ok) return reply.send({ status: 'reloaded', reloads: outcome.reloads, files: outcome.files });
        return sendProblem(reply, outcome.status, outcome.code, 'Reload refused', outcome.detail, '/reload');
      });
    }
  });

  app.setNotFoundHandler((req, reply) => {
    const known = [
      ...(management.health ? ['/health/live', '/health/ready'] : []),
      ...(management.info ? ['/status'] : []),
      ...(telemetry && observability.metrics ? ['/metrics'] : []),
      ...(telemetry?.traces ? ['/traces'] : []),
      ...(management.reload && source.reload ? ['POST /reload'] : []),
    ];
    return sendProblem(reply, 404, 'NR_ERR_ROUTE_NOT_FOUND', 'Not found', `the control adapter serves ${known.join(', ') || 'nothing (every management route is off)'}; not ${req.method} ${req.url.split('?')[0]}`, req.url);
  });
  return app;
}

function sendProblem(reply: FastifyReply, status: number, code: string, title: string, detailText: string, instance: string): FastifyReply {
  // `error` as the reference engine's control routes answer it, beside the problem fields
  return reply.code(status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify({ ...problem(code, status, title, detailText, instance.split('?')[0]), error: detailText }));
}

function summary(t: RecordedTrace) {
  return { traceId: t.traceId, operation: t.operation, durationMs: t.durationMs, status: t.status, spanCount: t.spans.length, timestamp: t.timestamp };
}

function detail(t: RecordedTrace) {
  return {
    traceId: t.traceId, operation: t.operation, durationMs: t.durationMs, status: t.status, timestamp: t.timestamp,
    spans: t.spans.map((s) => ({ spanId: s.spanId, ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}), name: s.name, kind: s.kind, durationMs: s.durationMs, status: s.status, attributes: s.attributes })),
  };
}
