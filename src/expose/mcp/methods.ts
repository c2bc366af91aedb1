/**
 * The MCP methods an adapter serves, once, for both protocol eras: the SDK 1.x Server registers them
 * for 2025-era requests (protocol.ts), the 2026-07-28 dispatcher calls them directly (modern.ts).
 * A handler takes the request's params and its context (signal, progress and log listeners, the
 * cancellation table) and answers the result object, or throws a ProtocolError.
 */
import type { McpAdapter } from '../../spec/model.js';
import { INVALID_PARAMS, ProtocolError, type ToolEntry } from './tools.js';
import type { McpContent } from './content.js';
import { childAbort, type CallAbort, type CallSignal, type LogListener, type ProgressListener } from '../../consume/call-signal.js';
import { page } from './pagination.js';
import { compileCompletion } from './completion.js';
import { isLogLevel, logListener, type LogLevel } from './log-level.js';

export interface CallContext {
  readonly signal: CallSignal;
  readonly requestId: string | number;
  /** the client sent a progress token */
  readonly progress?: ProgressListener;
  /** the client asked for log messages; each one is already filtered by its level */
  readonly log?: LogListener;
  /** records a running tool call, so a `notifications/cancelled` naming it can abort it */
  readonly track?: (id: string | number, abort: CallAbort) => () => void;
  /** 2025 era: `logging/setLevel` remembers the caller's level here */
  readonly setLogLevel?: (level: LogLevel) => void;
}

export type Params = Readonly<Record<string, unknown>>;
export type MethodHandler = (params: Params, ctx: CallContext) => Promise<Record<string, unknown>>;

export interface McpMethods {
  readonly handlers: ReadonlyMap<string, MethodHandler>;
  /** what `initialize` and `server/discover` advertise */
  readonly capabilities: Record<string, unknown>;
}

/** Methods of the 2025 era only: 2026-07-28 sets the log level per request (`_meta`). */
export const LEGACY_ONLY = new Set(['logging/setLevel']);

export function compileMethods(adapter: McpAdapter, tools: Map<string, ToolEntry>, content: McpContent, pageSize: number): McpMethods {
  const handlers = new Map<string, MethodHandler>();
  const list = { tools: [...tools.values()].map((t) => t.definition) };
  handlers.set('tools/list', async () => list);
  handlers.set('tools/call', async (params, ctx) => {
    const name = params.name;
    if (typeof name !== 'string') throw new ProtocolError(INVALID_PARAMS, 'Invalid params: tools/call needs a tool name (params.name)');
    const tool = tools.get(name);
    if (!tool) throw new ProtocolError(INVALID_PARAMS, `Unknown tool: ${name} (tools: ${[...tools.keys()].join(', ')})`);
    const args = params.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new ProtocolError(INVALID_PARAMS, `Invalid params: the arguments of tool ${name} must be an object`);
    const link = childAbort(ctx.signal);
    if (ctx.log) link.child.onLog = ctx.log;
    const untrack = ctx.track?.(ctx.requestId, link.child);
    try {
      return (await tool.run(args as Record<string, unknown>, link.child, ctx.progress)) as unknown as Record<string, unknown>;
    } finally {
      untrack?.();
      link.detach();
    }
  });
  handlers.set('logging/setLevel', async (params, ctx) => {
    if (!isLogLevel(params.level)) throw new ProtocolError(INVALID_PARAMS, `Invalid params: level must be one of debug, info, notice, warning, error, critical, alert, emergency (got ${JSON.stringify(params.level)})`);
    ctx.setLogLevel?.(params.level);
    return {};
  });
  const { resources, prompts } = content;
  if (resources) {
    const templates = { resourceTemplates: [...resources.templates] };
    handlers.set('resources/list', async (params) => {
      const all = await resources.list();
      const { items, nextCursor } = page(all, params.cursor, pageSize);
      return { resources: items, ...(nextCursor ? { nextCursor } : {}) };
    });
    handlers.set('resources/templates/list', async () => templates);
    handlers.set('resources/read', async (params, ctx) => {
      if (typeof params.uri !== 'string') throw new ProtocolError(INVALID_PARAMS, 'Invalid params: resources/read needs a uri (params.uri)');
      return resources.read(params.uri, ctx.signal) as unknown as Record<string, unknown>;
    });
  }
  if (prompts) {
    const promptList = { prompts: [...prompts.list] };
    handlers.set('prompts/list', async () => promptList);
    handlers.set('prompts/get', async (params) => {
      if (typeof params.name !== 'string') throw new ProtocolError(INVALID_PARAMS, 'Invalid params: prompts/get needs a prompt name (params.name)');
      const args = params.arguments ?? {};
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new ProtocolError(INVALID_PARAMS, `Invalid params: the arguments of prompt ${params.name} must be an object`);
      return prompts.get(params.name, args as Record<string, unknown>) as unknown as Record<string, unknown>;
    });
  }
  const complete = compileCompletion(adapter);
  if (complete) handlers.set('completion/complete', async (params) => complete(params.ref, params.argument) as unknown as Record<string, unknown>);

  const capabilities: Record<string, unknown> = {
    tools: { listChanged: false },
    logging: {},
    ...(resources ? { resources: { subscribe: false, listChanged: false } } : {}),
    ...(prompts ? { prompts: { listChanged: false } } : {}),
    ...(complete ? { completions: {} } : {}),
  };
  return { handlers, capabilities };
}

export type Notify = (notification: { method: string; params: Record<string, unknown> }) => void;

/** A request's context: progress and log messages become notifications sent with `notify`. */
export function callContext(o: {
  signal: CallSignal;
  requestId: string | number;
  progressToken?: unknown;
  logLevel?: LogLevel;
  notify: Notify;
  track?: CallContext['track'];
  setLogLevel?: CallContext['setLogLevel'];
}): CallContext {
  const { progressToken: token, notify } = o;
  return {
    signal: o.signal,
    requestId: o.requestId,
    ...(typeof token === 'string' || typeof token === 'number'
      ? { progress: (progress: number, total: number, message: string) => notify({ method: 'notifications/progress', params: { progressToken: token, progress, total, message } }) }
      : {}),
    ...(o.logLevel ? { log: logListener(o.logLevel, (level, logger, data) => notify({ method: 'notifications/message', params: { level, logger, data } })) } : {}),
    ...(o.track ? { track: o.track } : {}),
    ...(o.setLogLevel ? { setLogLevel: o.setLogLevel } : {}),
  };
}
