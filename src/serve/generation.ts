/**
 * One generation of a served capability set: the loaded models, an Invoker per capability and a
 * fastify app per adapter, on server slots that outlive it. Built at start and again on each reload;
 * `activate` makes it the one new requests reach, `retire` releases it once its calls are done.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { CapabilityModel, McpAdapter, RestAdapter, SkillAdapter } from '../spec/model.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import { DEFAULT_INVOKER_OPTIONS, Invoker } from '../invoke/invoker.js';
import { buildRestApp } from '../expose/rest/rest-adapter.js';
import { placeDocs } from '../expose/rest/openapi/docs-routes.js';
import { buildMcpApp } from '../expose/mcp/mcp-adapter.js';
import { compileTools } from '../expose/mcp/tools.js';
import { compileContent } from '../expose/mcp/content.js';
import { DEFAULT_PAGE_SIZE } from '../expose/mcp/pagination.js';
import { buildSkillApp, restOperationLookup } from '../expose/skill/skill-adapter.js';
import { prepareInboundAuth } from '../expose/inbound-auth.js';
import { combineObservers, type UpstreamObserver, type UpstreamState } from '../consume/pools.js';
import type { Telemetry } from '../observe/telemetry.js';
import { isLoopback } from '../expose/local-origin.js';
import { VERSION } from '../version.js';
import type { ServeOptions, StartedAdapter } from '../runtime.js';
import type { SlotTable, StagedSlot } from './slots.js';
import type { SharedState } from '../shared/shared-state.js';

export interface Loaded {
  readonly file: string;
  readonly model: CapabilityModel;
  readonly warnings: readonly Diagnostic[];
}

/** What every generation of one runtime shares. */
export interface GenerationDeps {
  readonly options: ServeOptions;
  readonly logger: FastifyServerOptions['logger'] | false;
  /** the debug log's line per upstream attempt */
  readonly upstreamLog?: UpstreamObserver;
  readonly telemetry?: Telemetry;
  readonly slots: SlotTable;
  /** the rate limiter and response cache of the process (per process, or on Redis) */
  readonly shared?: SharedState;
}

export interface Generation {
  readonly models: readonly CapabilityModel[];
  readonly warnings: readonly Diagnostic[];
  readonly adapters: readonly StartedAdapter[];
  /** the stdio MCP adapters' servers: a process has one stdin, so they are not rebuilt on reload */
  readonly stdio: readonly { close(): Promise<void> }[];
  /** every upstream origin's breaker, limit and sockets */
  upstreams(): UpstreamState[];
  /** new requests reach this generation's apps from now on */
  activate(): void;
  /** releases the invokers and stops watching their upstreams; for a generation no request reaches any more */
  retire(): Promise<void>;
}

export const DEFAULT_MCP_MAX_RESULT_BYTES = 1024 * 1024;

/** Error details name the upstream origin on loopback adapters (the operator is the caller) and not elsewhere. */
function hidesUpstream(options: ServeOptions, host: string): boolean {
  return options.upstreamInErrors === undefined ? !isLoopback(host) : options.upstreamInErrors === 'hide';
}

/**
 * Builds the apps of `loaded` on their slots (a new one listens; an existing one is only made ready),
 * without serving them: on failure everything built is released and the previous generation serves on.
 * `withStdio`: the first generation also starts the stdio MCP adapters.
 */
export async function buildGeneration(loaded: readonly Loaded[], deps: GenerationDeps, withStdio: boolean): Promise<Generation> {
  const { options, logger, telemetry } = deps;
  const invokers: Invoker[] = [];
  const unwatch: (() => void)[] = [];
  const staged: StagedSlot[] = [];
  const apps: FastifyInstance[] = [];
  const adapters: StartedAdapter[] = [];
  const stdio: { close(): Promise<void> }[] = [];
  const docsWarnings: Diagnostic[] = [];
  const observer = combineObservers([deps.upstreamLog, telemetry]);
  try {
    for (const { model, file } of loaded) {
      const invoker = new Invoker(model, {
        ...DEFAULT_INVOKER_OPTIONS, ...options.invoker,
        ...(options.baseUris ? { baseUriOverrides: options.baseUris } : {}),
        ...(observer ? { upstreamObserver: observer } : {}),
        ...(telemetry ? { stepObserver: telemetry } : {}),
        ...(deps.shared ? { rateLimiter: deps.shared.rateLimiter, responseCache: deps.shared.responseCache } : {}),
        ...(deps.shared?.tokenStore ? { tokenStore: deps.shared.tokenStore } : {}),
        ...(options.rateLimits ? { rateLimitOverrides: options.rateLimits } : {}),
      });
      invokers.push(invoker);
      if (telemetry) unwatch.push(telemetry.watchUpstreams(() => invoker.pools.states()));
      const resultLimits = { maxResponseBytes: invoker.maxResponseBytes, maxResultBytes: options.mcpMaxResultBytes ?? DEFAULT_MCP_MAX_RESULT_BYTES, ...(options.mcpToolTimeoutMs !== undefined ? { toolTimeoutMs: options.mcpToolTimeoutMs } : {}) };
      const observe = telemetry ? { telemetry, capability: model.info.label ?? model.file } : undefined;
      const endpoints = new Map<string, { mode: 'mcp' | 'rest'; baseUrl: string }>();
      for (const adapter of model.exposes) {
        if (adapter.type === 'control') continue;  // one per process, served by the runtime itself
        if (adapter.type === 'mcp' && adapter.transport === 'stdio') {
          if (!withStdio) continue;
          const { serveStdio } = await import('../expose/mcp/protocol.js');
          const { compileMethods } = await import('../expose/mcp/methods.js');
          const methods = compileMethods(adapter, compileTools(adapter, invoker, resultLimits, telemetry), compileContent(adapter, invoker, resultLimits), DEFAULT_PAGE_SIZE);
          stdio.push(await serveStdio(adapter, methods, model.info.label ?? adapter.namespace, VERSION));
          adapters.push({ type: 'mcp', namespace: adapter.namespace, file, url: 'stdio', routes: mcpContentLines(adapter), tools: adapter.tools.map((t) => t.name) });
          continue;
        }
        const host = options.host ?? adapter.address;
        const auth = prepareInboundAuth(adapter.namespace, adapter.authentication, model.variables);
        const slot = deps.slots.stage(adapter, file, host);
        staged.push(slot);
        const common = { logger, host, serverFor: slot.serverFor, ...(auth ? { auth } : {}), ...(observe ? { observe } : {}) };
        let app: FastifyInstance;
        if (adapter.type === 'skill') {
          app = buildSkillApp(adapter, { ...common, endpointOf: (ns) => endpoints.get(ns), operationOf: restOperationLookup(model.exposes) });
        } else if (adapter.type === 'rest') {
          const docs = options.docs === false ? undefined : placeDocs(adapter, file);
          if (docs) docsWarnings.push(...docs.warnings);
          const docsPrefix = docs?.prefix;
          app = buildRestApp(adapter, invoker, {
            ...common, hideUpstream: hidesUpstream(options, host),
            ...(options.cors ? { cors: options.cors } : {}),
            ...(docsPrefix !== undefined ? { docs: { prefix: docsPrefix, info: model.info } } : {}),
          });
          apps.push(app);
          const url = await slot.start(app);
          endpoints.set(adapter.namespace, { mode: 'rest', baseUrl: url });
          adapters.push({ ...started(adapter, file, url), ...(docsPrefix !== undefined ? { docs: `${url}${docsPrefix}` } : {}) });
          continue;
        } else {
          app = buildMcpApp(adapter, invoker, { ...common, serverName: model.info.label ?? adapter.namespace, serverVersion: VERSION, limits: { ...resultLimits, hideUpstream: hidesUpstream(options, host) } });
        }
        apps.push(app);
        const url = await slot.start(app);
        if (adapter.type === 'mcp') endpoints.set(adapter.namespace, { mode: 'mcp', baseUrl: `${url}/mcp` });
        adapters.push(started(adapter, file, url));
      }
    }
  } catch (e) {
    for (const s of staged) s.abandon();
    for (const u of unwatch) u();
    await Promise.allSettled([...invokers.map((i) => i.close()), ...stdio.map((s) => s.close())]);
    throw e;
  }
  return {
    models: loaded.map((l) => l.model),
    warnings: [...loaded.flatMap((l) => l.warnings), ...docsWarnings],
    adapters,
    stdio,
    upstreams: () => invokers.flatMap((i) => i.pools.states()),
    activate: () => {
      for (const s of staged) s.activate();
    },
    retire: async () => {
      for (const u of unwatch) u();
      await Promise.allSettled(invokers.map((i) => i.close()));
    },
  };
}

function started(adapter: RestAdapter | McpAdapter | SkillAdapter, file: string, url: string): StartedAdapter {
  if (adapter.type === 'rest') return { type: 'rest', namespace: adapter.namespace, file, url, routes: adapter.operations.map((o) => `${o.method} ${o.path}`), tools: [] };
  if (adapter.type === 'skill') return { type: 'skill', namespace: adapter.namespace, file, url, routes: ['GET /skills', ...adapter.skills.map((s) => `GET /skills/${s.name}`)], tools: [] };
  return { type: 'mcp', namespace: adapter.namespace, file, url: `${url}/mcp`, routes: mcpContentLines(adapter), tools: adapter.tools.map((t) => t.name) };
}

/** The startup summary's lines for an MCP adapter's resources and prompts. */
function mcpContentLines(adapter: McpAdapter): string[] {
  const uri = (r: McpAdapter['resources'][number]) => (r.kind === 'static' ? `${r.uri}${r.uri.endsWith('/') ? '' : '/'}… (${r.directory})` : r.uri);
  return [
    ...(adapter.resources.length ? [`resources: ${adapter.resources.map(uri).join(', ')}`] : []),
    ...(adapter.prompts.length ? [`prompts: ${adapter.prompts.map((p) => p.name).join(', ')}`] : []),
  ];
}

