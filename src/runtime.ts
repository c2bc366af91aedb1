/**
 * Lifecycle of a served capability set: load → one Invoker per capability → one listening server per
 * adapter → graceful close. Used by the CLI, the demo and the tests.
 */
import type { FastifyInstance } from 'fastify';
import { loadCapability } from './spec/load.js';
import type { Diagnostic } from './spec/diagnostics.js';
import type { CapabilityModel, ExposedAdapter, McpAdapter, RestAdapter, SkillAdapter } from './spec/model.js';
import { DEFAULT_INVOKER_OPTIONS, Invoker, type InvokerOptions } from './invoke/invoker.js';
import { buildRestApp } from './expose/rest/rest-adapter.js';
import { buildMcpApp } from './expose/mcp/mcp-adapter.js';
import { compileTools } from './expose/mcp/tools.js';
import { buildSkillApp, restOperationLookup } from './expose/skill/skill-adapter.js';
import { prepareInboundAuth } from './expose/inbound-auth.js';
import { trackRequests, type Drain } from './expose/drain.js';
import { logStream } from './expose/log-stream.js';
import pino from 'pino';
import type { UpstreamAttempt } from './consume/pools.js';
import { DEFAULT_MAX_EVENT_LOOP_LAG_MS, watchEventLoop } from './expose/load-shedding.js';
import { isLoopback } from './expose/local-origin.js';
import { VERSION } from './version.js';
import { RuntimeError } from './runtime-error.js';
import { CapabilityLoadError } from './spec/diagnostics.js';
import { crossFileNamespaces, repeatedFile, repeatedMessage } from './spec/cross-file.js';

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
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly invoker?: Partial<InvokerOptions>;
  /** ms a client has to send a whole request (default 30 s; headers within 10 s) */
  readonly requestTimeoutMs?: number;
  /** the most text an MCP tool result carries (default 1 MiB); past it the text is cut and marked */
  readonly mcpMaxResultBytes?: number;
  /** shed new requests (503) while the event loop lags more than this many ms (default 1000; 0 = never) */
  readonly maxEventLoopLagMs?: number;
  /** whether error details name the upstream origin; default: shown on loopback adapters, hidden elsewhere */
  readonly upstreamInErrors?: 'show' | 'hide';
  /** where logs go (default stdout; stderr when an MCP adapter uses stdio) */
  readonly logStream?: NodeJS.WritableStream;
}

export interface StartedAdapter {
  readonly type: 'rest' | 'mcp' | 'skill';
  readonly namespace: string;
  readonly file: string;
  /** http://host:port (REST) or http://host:port/mcp (MCP), or 'stdio' */
  readonly url: string;
  readonly routes: readonly string[];
  readonly tools: readonly string[];
}

export interface Runtime {
  readonly models: readonly CapabilityModel[];
  readonly adapters: readonly StartedAdapter[];
  readonly warnings: readonly Diagnostic[];
  /**
   * Stop accepting, close idle and half-received connections, let running calls finish for up to
   * `drainMs` (default 10 s; then each gets a 503), close the upstream pools.
   */
  close(drainMs?: number): Promise<void>;
}

export { RuntimeError };

export const DEFAULT_DRAIN_MS = 10_000;

/** What one MCP tool result may carry (probe F9): an agent's context is smaller still; memory per call stays bounded. */
export const DEFAULT_MCP_MAX_RESULT_BYTES = 1024 * 1024;
/** Time a client has to send a whole request, headers and body (probe F6); `--request-timeout`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Error details name the upstream origin on loopback adapters (the operator is the caller) and not elsewhere. */
function hidesUpstream(options: ServeOptions, host: string): boolean {
  return options.upstreamInErrors === undefined ? !isLoopback(host) : options.upstreamInErrors === 'hide';
}

export async function startRuntime(options: ServeOptions): Promise<Runtime> {
  const repeated = repeatedFile(options.files);
  if (repeated) throw new RuntimeError('NR_ERR_FILE_REPEATED', repeatedMessage(repeated));
  const loaded = options.files.map((file) => ({ file, ...loadCapability(file, { strict: options.strict ?? false, ...(options.env ? { env: options.env } : {}) }) }));
  const models = loaded.map((l) => l.model);
  const clashes = crossFileNamespaces(models);
  if (clashes.length) throw new CapabilityLoadError(clashes);
  checkOverrides(models, options);
  checkCrossFilePorts(models, options);

  const usesStdio = models.some((m) => m.exposes.some((a) => a.type === 'mcp' && a.transport === 'stdio'));
  const log = options.logLevel === 'silent' ? undefined : logStream(options.logStream ?? (usesStdio ? process.stderr : process.stdout));
  const logger = log === undefined ? false : { level: options.logLevel ?? 'info', stream: log.stream };
  // at debug and trace each upstream attempt is a line of its own
  const upstreamLog = log !== undefined && (options.logLevel === 'debug' || options.logLevel === 'trace') ? pino({ level: 'debug' }, log.stream as pino.DestinationStream) : undefined;
  const onUpstreamAttempt = upstreamLog ? (a: UpstreamAttempt) => upstreamLog.debug(a, 'upstream') : undefined;

  const apps: FastifyInstance[] = [];
  const stopWatching = watchEventLoop(options.maxEventLoopLagMs ?? DEFAULT_MAX_EVENT_LOOP_LAG_MS);
  const drains: Drain[] = [];
  const closers: (() => Promise<void>)[] = [];
  const adapters: StartedAdapter[] = [];
  try {
    for (const model of models) {
      const invoker = new Invoker(model, { ...DEFAULT_INVOKER_OPTIONS, ...options.invoker, ...(options.baseUris ? { baseUriOverrides: options.baseUris } : {}), ...(onUpstreamAttempt ? { onUpstreamAttempt } : {}) });
      const resultLimits = { maxResponseBytes: invoker.maxResponseBytes, maxResultBytes: options.mcpMaxResultBytes ?? DEFAULT_MCP_MAX_RESULT_BYTES };
      closers.push(() => invoker.close());
      const endpoints = new Map<string, { mode: 'mcp' | 'rest'; baseUrl: string }>();
      for (const adapter of model.exposes) {
        const auth = prepareInboundAuth(adapter.namespace, adapter.authentication, model.variables);
        if (adapter.type === 'skill') {
          const host = options.host ?? adapter.address;
          const app = buildSkillApp(adapter, { logger, host, ...(auth ? { auth } : {}), endpointOf: (ns) => endpoints.get(ns), operationOf: restOperationLookup(model.exposes) });
          adapters.push(await listen(app, adapter, model.file, options, apps, drains));
        } else if (adapter.type === 'rest') {
          const host = options.host ?? adapter.address;
          const app = buildRestApp(adapter, invoker, { logger, host, hideUpstream: hidesUpstream(options, host), ...(auth ? { auth } : {}) });
          const started = await listen(app, adapter, model.file, options, apps, drains);
          endpoints.set(adapter.namespace, { mode: 'rest', baseUrl: started.url });
          adapters.push(started);
        } else if (adapter.type === 'mcp' && adapter.transport === 'http') {
          const host = options.host ?? adapter.address;
          const app = buildMcpApp(adapter, invoker, { logger, serverName: model.info.label ?? adapter.namespace, serverVersion: VERSION, limits: { ...resultLimits, hideUpstream: hidesUpstream(options, host) }, host, ...(auth ? { auth } : {}) });
          const started = await listen(app, adapter, model.file, options, apps, drains);
          endpoints.set(adapter.namespace, { mode: 'mcp', baseUrl: started.url });
          adapters.push(started);
        } else if (adapter.type === 'mcp') {
          const { createMcpServer, serveStdio } = await import('./expose/mcp/protocol.js');
          const server = createMcpServer(adapter, compileTools(adapter, invoker, resultLimits), model.info.label ?? adapter.namespace, VERSION);
          await serveStdio(server);
          closers.push(() => server.close());
          adapters.push({ type: 'mcp', namespace: adapter.namespace, file: model.file, url: 'stdio', routes: [], tools: adapter.tools.map((t) => t.name) });
        }
      }
    }
  } catch (e) {
    await Promise.allSettled(apps.map((a) => a.close()));
    await Promise.allSettled(closers.map((c) => c()));
    stopWatching();
    log?.flush();
    throw e;
  }

  let closing: Promise<void> | undefined;
  return {
    models,
    adapters,
    warnings: loaded.flatMap((l) => l.warnings),
    close: (drainMs = DEFAULT_DRAIN_MS) =>
      (closing ??= (async () => {
        // stop accepting; idle and half-received connections go at once, running calls get until the deadline
        const closed = apps.map((a) => a.close());
        await Promise.all(drains.map((d) => d.begin(drainMs)));
        await Promise.allSettled(closed);
        await Promise.allSettled(closers.map((c) => c()));
        stopWatching();
        log?.flush();
      })()),
  };
}

async function listen(app: FastifyInstance, adapter: RestAdapter | McpAdapter | SkillAdapter, file: string, options: ServeOptions, apps: FastifyInstance[], drains: Drain[]): Promise<StartedAdapter> {
  const host = options.host ?? adapter.address;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  app.server.requestTimeout = requestTimeout;
  app.server.headersTimeout = Math.min(requestTimeout, 10_000);
  const drain = trackRequests(app);
  const port = options.ports?.get(adapter.namespace) ?? adapter.port!;
  // fastify logs "Server listening at …" as JSON at info, which would interleave with the human startup
  // table (it names every address already): that one message is held back, later logs are unchanged
  const level = app.log.level;
  const holdBack = options.logLevel !== 'silent' && ['info', 'debug', 'trace'].includes(level);
  if (holdBack) app.log.level = 'warn';
  try {
    await app.listen({ host, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new RuntimeError('NR_ERR_PORT_IN_USE', `${file}: adapter "${adapter.namespace}" cannot listen on ${host}:${port}: the port is already in use (choose another with --port ${adapter.namespace}=PORT)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new RuntimeError('NR_ERR_ADDRESS_UNAVAILABLE', `${file}: adapter "${adapter.namespace}" cannot listen on ${host}: no such local address (use --host 127.0.0.1)`);
    if (code === 'EACCES') throw new RuntimeError('NR_ERR_PORT_DENIED', `${file}: adapter "${adapter.namespace}" may not listen on port ${port} (privileged); choose another with --port ${adapter.namespace}=PORT`);
    throw e;
  } finally {
    if (holdBack) app.log.level = level;
  }
  apps.push(app);
  drains.push(drain);
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const base = `http://${shownHost}:${actualPort}`;
  if (adapter.type === 'rest') {
    return { type: 'rest', namespace: adapter.namespace, file, url: base, routes: adapter.operations.map((o) => `${o.method} ${o.path}`), tools: [] };
  }
  if (adapter.type === 'skill') {
    return { type: 'skill', namespace: adapter.namespace, file, url: base, routes: ['GET /skills', ...adapter.skills.map((s) => `GET /skills/${s.name}`)], tools: [] };
  }
  return { type: 'mcp', namespace: adapter.namespace, file, url: `${base}/mcp`, routes: [], tools: adapter.tools.map((t) => t.name) };
}

function checkOverrides(models: readonly CapabilityModel[], options: ServeOptions): void {
  const consumes = new Set(models.flatMap((m) => m.consumes.map((c) => c.namespace)));
  for (const [ns, url] of options.baseUris ?? []) {
    if (!consumes.has(ns)) throw new RuntimeError('NR_ERR_CLI_UNKNOWN_NAMESPACE', `--base-uri ${ns}=…: no consumes namespace "${ns}" (known: ${[...consumes].join(', ') || 'none'})`);
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--base-uri ${ns}=${url}: not an absolute http(s) URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--base-uri ${ns}=${url}: only http and https are supported`);
  }
  const exposes = new Set(models.flatMap((m) => m.exposes.map((e) => e.namespace)));
  for (const ns of options.ports?.keys() ?? []) {
    if (!exposes.has(ns)) throw new RuntimeError('NR_ERR_CLI_UNKNOWN_NAMESPACE', `--port ${ns}=…: no exposes namespace "${ns}" (known: ${[...exposes].join(', ') || 'none'})`);
  }
}

function checkCrossFilePorts(models: readonly CapabilityModel[], options: ServeOptions): void {
  const seen = new Map<number, string>();
  for (const m of models) {
    for (const a of m.exposes as readonly ExposedAdapter[]) {
      if (a.type !== 'rest' && a.type !== 'skill' && !(a.type === 'mcp' && a.transport === 'http')) continue;
      const port = options.ports?.get(a.namespace) ?? a.port;
      if (port === undefined || port === 0) continue;
      const other = seen.get(port);
      if (other) throw new RuntimeError('NR_ERR_PORT_CONFLICT', `adapters "${other}" and "${a.namespace}" both want port ${port}; give one another port with --port ${a.namespace}=PORT`);
      seen.set(port, a.namespace);
    }
  }
}
