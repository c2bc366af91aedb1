/**
 * Lifecycle of a served capability set: load → a generation (an Invoker per capability, an app per
 * adapter) on listening server slots → reloads that swap generations without dropping a connection →
 * graceful close. The control adapter, when there is one, reports on all of it. Used by the CLI, the
 * demo and the tests.
 */
import pino from 'pino';
import type { CapabilityModel, ControlAdapter, RateLimit } from './spec/model.js';
import { sharedState, checkRateLimitNames } from './shared/shared-state.js';
import type { Diagnostic } from './spec/diagnostics.js';
import { CapabilityLoadError, formatDiagnostic } from './spec/diagnostics.js';
import type { InvokerOptions } from './invoke/invoker.js';
import { logStream, type LogFormat } from './expose/log-stream.js';
import { DEFAULT_MAX_EVENT_LOOP_LAG_MS, watchEventLoop } from './expose/load-shedding.js';
import { prepareInboundAuth } from './expose/inbound-auth.js';
import { buildControlApp } from './expose/control/control-adapter.js';
import type { AdapterReport, ControlSource, ReloadOutcome, ReloadReport } from './expose/control/status.js';
import { Telemetry } from './observe/telemetry.js';
import { otlpTracesUrl, startOtlpExport } from './observe/otlp-export.js';
import { upstreamLogObserver } from './observe/upstream-log.js';
import { CONTROL_NAMESPACE, DEFAULT_TRACE_BUFFER_SIZE } from './spec/build-control.js';
import { DEFAULT_ADDRESS } from './spec/build-exposes.js';
import { RuntimeError } from './runtime-error.js';
import { buildGeneration, type Generation, type GenerationDeps } from './serve/generation.js';
import { loadFiles } from './serve/load-files.js';
import { SlotTable } from './serve/slots.js';
import { DEFAULT_DRAIN_MS } from './serve/defaults.js';
import { watchFiles } from './serve/watch-files.js';
import type { CorsSettings } from './expose/rest/cors-settings.js';

export interface ServeOptions {
  readonly files: readonly string[];
  readonly strict?: boolean;
  /** `--base-uri NAMESPACE=URL` */
  readonly baseUris?: ReadonlyMap<string, string>;
  /** `--port NAMESPACE=PORT` (0 = any free port) */
  readonly ports?: ReadonlyMap<string, number>;
  /** `--host ADDR`: overrides every adapter's address */
  readonly host?: string;
  readonly logLevel?: string;
  /** `--log-format`: pretty lines on a terminal, JSON elsewhere (auto, the default), or either always */
  readonly logFormat?: LogFormat;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly invoker?: Partial<InvokerOptions>;
  /** ms a client has to send a whole request (default 30 s; headers within 10 s) */
  readonly requestTimeoutMs?: number;
  /** the most text an MCP tool result carries (default 1 MiB); past it the text is cut and marked */
  readonly mcpMaxResultBytes?: number;
  /** `--mcp-tool-timeout`: the most one MCP tool call may take; then its upstream calls are cancelled and it answers a tool error */
  readonly mcpToolTimeoutMs?: number;
  /** shed new requests (503) while the event loop lags more than this many ms (default 1000; 0 = never) */
  readonly maxEventLoopLagMs?: number;
  /** whether error details name the upstream origin; default: shown on loopback adapters, hidden elsewhere */
  readonly upstreamInErrors?: 'show' | 'hide';
  /** where logs go (default stdout; stderr when an MCP adapter uses stdio) */
  readonly logStream?: NodeJS.WritableStream;
  /** `--control-port PORT`: serve a control adapter there (or move the spec's); 0 = any free port */
  readonly controlPort?: number;
  /** `--watch`: reload when a capability file changes */
  readonly watch?: boolean;
  /** `--cors-origin` and friends: CORS on every REST adapter for exactly these origins (default off) */
  readonly cors?: CorsSettings;
  /** false (`--no-docs`): no /openapi.json, /openapi.yaml or /docs on the REST adapters (default true) */
  readonly docs?: boolean;
  /** how long an old generation's calls may run after a reload before its upstream pools close (default: the call deadline + 1 s) */
  readonly retireAfterMs?: number;
  /** `--rate-limit NAME=N/WINDOW`: limits by exposed operation or tool name (or `namespace.name`), over `x-rate-limit` */
  readonly rateLimits?: ReadonlyMap<string, RateLimit>;
  /** `--redis URL`: rate-limit counters, the response cache and OAuth2 tokens shared by every replica */
  readonly redis?: string;
  /** `--redis-timeout`: the most any Redis command may take before the process's own state is used (default 250 ms) */
  readonly redisTimeoutMs?: number;
  /** this process is one of several `--workers`: the control adapter's /metrics and POST /reload speak for all of them */
  readonly cluster?: ClusterLink;
}

/** What a worker's control adapter asks of the primary process. */
export interface ClusterLink {
  /** every worker's metrics, merged */
  metrics(): Promise<string>;
  /** reloads every worker */
  reload(trigger: 'control' | 'signal' | 'watch'): Promise<ReloadOutcome>;
}

export interface StartedAdapter {
  readonly type: 'rest' | 'mcp' | 'skill' | 'control';
  readonly namespace: string;
  readonly file: string;
  /** http://host:port (REST, skill, control) or http://host:port/mcp (MCP), or 'stdio' */
  readonly url: string;
  readonly routes: readonly string[];
  readonly tools: readonly string[];
  /** REST: where the OpenAPI document and docs page are served (`URL/openapi.json`, `URL/docs`); absent when not served */
  readonly docs?: string;
}

export interface Runtime {
  /** the generation serving now: they change on reload */
  readonly models: readonly CapabilityModel[];
  readonly adapters: readonly StartedAdapter[];
  readonly warnings: readonly Diagnostic[];
  /**
   * Loads and validates the files again; if they are valid, new requests are served by the new model
   * (running ones finish on the old), else the old model serves on and the outcome says why.
   */
  reload(trigger?: 'control' | 'signal' | 'watch'): Promise<ReloadOutcome>;
  /** this process's own metrics in the Prometheus text format, when it measures any */
  localMetrics(): string | undefined;
  /**
   * Stop accepting, close idle and half-received connections, let running calls finish for up to
   * `drainMs` (default 10 s; then each gets a 503), close the upstream pools.
   */
  close(drainMs?: number): Promise<void>;
}

export { RuntimeError };
export type { ReloadOutcome };

export { DEFAULT_DRAIN_MS };

/** What one MCP tool result may carry (probe F9): an agent's context is smaller still; memory per call stays bounded. */
export { DEFAULT_MCP_MAX_RESULT_BYTES } from './serve/generation.js';
/** Time a client has to send a whole request, headers and body (probe F6); `--request-timeout`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export async function startRuntime(options: ServeOptions): Promise<Runtime> {
  const loaded = loadFiles(options);
  const models = loaded.map((l) => l.model);

  const usesStdio = models.some((m) => m.exposes.some((a) => a.type === 'mcp' && a.transport === 'stdio'));
  const log = options.logLevel === 'silent' ? undefined : await logStream(options.logStream ?? (usesStdio ? process.stderr : process.stdout), options.logFormat);
  const level = options.logLevel ?? 'info';
  const logger = log === undefined ? false : { level, stream: log.stream };
  const runtimeLog = log ? pino({ level }, log.stream as pino.DestinationStream) : undefined;
  // at debug and trace each upstream attempt is a line of its own
  const upstreamLog = runtimeLog && (level === 'debug' || level === 'trace') ? upstreamLogObserver((line) => runtimeLog.debug(line, 'upstream')) : undefined;

  const control = controlAdapter(models, options);
  const env = options.env ?? process.env;
  const observability = control?.observability;
  // a control adapter with `observability.enabled: false` turns every kind of telemetry off, export included
  const tracesUrl = observability?.enabled === false ? undefined : otlpTracesUrl(observability?.otlpEndpoint, env);
  const traces = observability?.enabled ? observability.traces : undefined;
  const telemetry = (observability?.enabled && (observability.metrics || traces)) || tracesUrl
    ? new Telemetry({
      metrics: observability?.enabled === true && observability.metrics,
      ...(traces ?? tracesUrl ? { traces: traces ?? { sampling: 1, propagation: 'w3c', bufferSize: 0 } } : {}),
    })
    : undefined;
  const otlp = tracesUrl && telemetry?.tracer
    ? await startOtlpExport(telemetry.tracer, { tracesUrl, serviceName: env.OTEL_SERVICE_NAME || `naftiko-${models[0]?.info.label ?? 'capability'}` })
    : undefined;
  if (otlp) runtimeLog?.info({ url: otlp.tracesUrl }, 'exporting traces over OTLP/HTTP');
  const slots = new SlotTable({ ports: options.ports, requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, quietListen: options.logLevel !== 'silent' });
  if (options.rateLimits) checkRateLimitNames(models, options.rateLimits);
  // counters, cache and Redis connection outlive reloads: a reload does not reset a window
  const shared = await sharedState(options, runtimeLog);
  const deps: GenerationDeps = { options, logger, slots, shared, ...(upstreamLog ? { upstreamLog } : {}), ...(telemetry ? { telemetry } : {}) };
  const stopWatchingLoop = watchEventLoop(options.maxEventLoopLagMs ?? DEFAULT_MAX_EVENT_LOOP_LAG_MS);

  let current: Generation;
  try {
    current = await buildGeneration(loaded, deps, true);
    current.activate();
  } catch (e) {
    await slots.close(0);
    stopWatchingLoop();
    telemetry?.close();
    await otlp?.close(1_000);
    await shared.close();
    log?.flush();
    throw e;
  }
  const stdio = current.stdio;
  const retiring = new Set<Generation>();
  const retireAfterMs = options.retireAfterMs ?? (options.invoker?.deadlineMs ?? 60_000) + 1_000;
  const reloads = { count: 0, inProgress: false } as { count: number; inProgress: boolean; lastAt?: string; lastError?: ReloadReport['lastError'] };
  let controlStarted: StartedAdapter | undefined;
  let closing: Promise<void> | undefined;

  const countActive = (gen: Generation, by: number) => {
    for (const m of gen.models) telemetry?.capabilitiesActive.add({ 'naftiko.capability': m.info.label ?? m.file }, by);
  };
  countActive(current, 1);

  let queue: Promise<ReloadOutcome> = Promise.resolve({ ok: true, reloads: 0, files: [] });
  const reload = (trigger: 'control' | 'signal' | 'watch' = 'control'): Promise<ReloadOutcome> =>
    (queue = queue.then(() => reloadOnce(trigger), () => reloadOnce(trigger)));

  async function reloadOnce(trigger: string): Promise<ReloadOutcome> {
    if (closing) return { ok: false, status: 503, code: 'NR_ERR_RELOAD_REFUSED', detail: 'the server is shutting down' };
    if (stdio.length) return refuse(409, 'NR_ERR_RELOAD_UNSUPPORTED', 'an MCP adapter on stdio is served; a process with one stdin cannot swap it (restart instead)');
    reloads.inProgress = true;
    try {
      let next: Generation;
      try {
        const fresh = loadFiles(options);
        if (JSON.stringify(controlAdapter(fresh.map((l) => l.model), options)) !== JSON.stringify(control)) {
          runtimeLog?.warn({ code: 'NR_WARN_CONTROL_CHANGED' }, 'the control adapter changed in the files; its new settings take effect at the next start');
        }
        next = await buildGeneration(fresh, deps, false);
      } catch (e) {
        const [status, detail] = e instanceof CapabilityLoadError
          ? [422, e.diagnostics.map((d) => formatDiagnostic(d)).join('\n')]
          : e instanceof RuntimeError ? [409, `${e.message} [${e.code}]`] : [500, `${(e as Error).message} [NR_ERR_INTERNAL]`];
        return refuse(status, 'NR_ERR_RELOAD_REFUSED', `the files were not reloaded; the running model serves on: ${detail}`);
      }
      const previous = current;
      // one synchronous swap: every adapter's next request sees the new model
      next.activate();
      current = next;
      countActive(previous, -1);
      countActive(next, 1);
      retiring.add(previous);
      setTimeout(() => {
        if (retiring.delete(previous)) void previous.retire();
      }, retireAfterMs).unref();
      const served = new Set([...next.adapters.map((a) => a.namespace), ...(controlStarted ? [CONTROL_NAMESPACE] : [])]);
      void slots.releaseUnused(served, DEFAULT_DRAIN_MS);
      reloads.count++;
      reloads.lastAt = new Date().toISOString();
      delete reloads.lastError;
      runtimeLog?.info({ trigger, reloads: reloads.count, files: options.files }, 'reloaded');
      return { ok: true, reloads: reloads.count, files: options.files };
    } finally {
      reloads.inProgress = false;
    }
  }

  function refuse(status: number, code: string, detail: string): ReloadOutcome {
    reloads.lastError = { at: new Date().toISOString(), code, detail };
    runtimeLog?.error({ code }, detail);
    return { ok: false, status, code, detail };
  }

  const source: ControlSource = {
    adapters: (): AdapterReport[] => {
      const listening = slots.listening();
      return [...current.adapters, ...(controlStarted ? [controlStarted] : [])].map((a) => ({
        type: a.type, namespace: a.namespace, url: a.url,
        ...(a.url.startsWith('http') ? { port: Number(new URL(a.url).port) } : {}),
        state: a.url === 'stdio' || listening.has(a.namespace) ? 'started' : 'stopped',
      }));
    },
    capabilities: () => current.models.map((m) => ({ label: m.info.label ?? m.file, specVersion: m.version, file: m.file })),
    ready: () => !reloads.inProgress && !closing && source.adapters().every((a) => a.state === 'started'),
    reloads: () => ({ ...reloads }),
    upstreams: () => current.upstreams(),
    reload: options.cluster ? (trigger) => options.cluster!.reload(trigger) : reload,
    ...(options.cluster ? { metrics: () => options.cluster!.metrics() } : {}),
  };

  if (control) {
    try {
      const host = options.host ?? control.address;
      const ownerModel = models.find((m) => m.exposes.some((a) => a.type === 'control'));
      const owner = ownerModel?.file ?? '--control-port';
      const auth = prepareInboundAuth(control.namespace, control.authentication, ownerModel?.variables ?? new Map());
      const slot = slots.stage(control, owner, host);
      const app = buildControlApp(control, { logger, host, source, serverFor: slot.serverFor, ...(auth ? { auth } : {}), ...(telemetry ? { telemetry } : {}) });
      const url = await slot.start(app);
      slot.activate();
      controlStarted = { type: 'control', namespace: control.namespace, file: owner, url, routes: controlRoutes(control, telemetry, stdio.length === 0), tools: [] };
    } catch (e) {
      await slots.close(0);
      await current.retire();
      stopWatchingLoop();
      telemetry?.close();
      await otlp?.close(1_000);
      log?.flush();
      throw e;
    }
  }

  const stopWatchingFiles = options.watch ? watchFiles(options.files, () => void reload('watch'), (e) => runtimeLog?.warn({ err: e }, 'watching the capability files failed')) : () => {};

  return {
    get models() {
      return current.models;
    },
    get adapters() {
      return [...current.adapters, ...(controlStarted ? [controlStarted] : [])];
    },
    get warnings() {
      return current.warnings;
    },
    reload,
    localMetrics: () => (telemetry?.metricsEnabled ? telemetry.registry.render() : undefined),
    close: (drainMs = DEFAULT_DRAIN_MS) =>
      (closing ??= (async () => {
        stopWatchingFiles();
        await slots.close(drainMs);
        await Promise.allSettled([current.retire(), ...[...retiring].map((g) => g.retire()), ...stdio.map((s) => s.close())]);
        retiring.clear();
        stopWatchingLoop();
        telemetry?.close();
        // the spans of the last calls are sent before the process goes
        await otlp?.close();
        await shared.close();
        log?.flush();
      })()),
  };
}

/** The control adapter of the files (at most one: the loader checks), or the one --control-port asks for. */
function controlAdapter(models: readonly CapabilityModel[], options: ServeOptions): ControlAdapter | undefined {
  const declared = models.flatMap((m) => m.exposes).find((a): a is ControlAdapter => a.type === 'control');
  if (declared) return options.controlPort !== undefined ? { ...declared, port: options.controlPort } : declared;
  if (options.controlPort === undefined) return undefined;
  return {
    type: 'control', namespace: CONTROL_NAMESPACE, address: DEFAULT_ADDRESS, port: options.controlPort, pointer: '--control-port',
    management: { health: true, info: true, reload: true },
    observability: { enabled: true, metrics: true, traces: { sampling: 1, propagation: 'w3c', bufferSize: DEFAULT_TRACE_BUFFER_SIZE } },
  };
}

/** The routes the control adapter serves, for the startup table (the adapter's 404 lists the same). */
function controlRoutes(control: ControlAdapter, telemetry: Telemetry | undefined, canReload: boolean): string[] {
  return [
    ...(control.management.health ? ['GET /health/live', 'GET /health/ready'] : []),
    ...(control.management.info ? ['GET /status'] : []),
    ...(telemetry && control.observability.metrics ? ['GET /metrics'] : []),
    ...(telemetry?.traces ? ['GET /traces', 'GET /traces/{traceId}'] : []),
    ...(control.management.reload && canReload ? ['POST /reload'] : []),
  ];
}
