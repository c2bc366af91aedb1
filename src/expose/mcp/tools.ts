/**
 * The tool table of an MCP adapter, compiled once at start and shared by every per-request SDK server
 * (HTTP) or the stdio server. Loads nothing of the SDK at run time, so the adapter can listen first.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpAdapter } from '../../spec/model.js';
import type { BoundInvocation, Invoker } from '../../invoke/invoker.js';
import { checkInputs } from '../../invoke/inputs.js';
import { InvokeError } from '../../consume/errors.js';
import { toolDefinition } from './tool-schema.js';
import { errorResult, toolResult, type ResultLimits } from './tool-result.js';
import { childAbort, type CallSignal, type ProgressListener } from '../../consume/call-signal.js';
import type { Telemetry } from '../../observe/telemetry.js';
import { performance } from 'node:perf_hooks';

/** JSON-RPC "Invalid params" (ErrorCode.InvalidParams in the SDK). */
export const INVALID_PARAMS = -32602;

export interface ToolEntry {
  readonly definition: Tool;
  /** `onProgress`: the client sent a progress token; each finished orchestration step is reported */
  readonly run: (args: Record<string, unknown>, signal?: CallSignal, onProgress?: ProgressListener) => Promise<CallToolResult>;
}

/** Tools compiled once; shared by every per-request SDK Server (HTTP) or by the stdio server. */
export function compileTools(adapter: McpAdapter, invoker: Invoker, limits: ResultLimits, telemetry?: Telemetry): Map<string, ToolEntry> {
  const tools = new Map<string, ToolEntry>();
  for (const op of adapter.tools) {
    const invoke: BoundInvocation = invoker.bind(op);
    const visibleInputs = op.inputs.filter((i) => !i.credential);  // constants are set by checkInputs, never taken from arguments
    const definition = toolDefinition(op);
    const hasOutputSchema = definition.outputSchema !== undefined;
    const answer = async (inputs: Record<string, unknown>, signal: CallSignal | undefined): Promise<CallToolResult> =>
      toolResult(await invoke(inputs, signal), limits, `tool ${op.name}`, hasOutputSchema);
    const run = async (args: Record<string, unknown>, signal?: CallSignal, onProgress?: ProgressListener): Promise<CallToolResult> => {
      let inputs: Record<string, unknown>;
      try {
        inputs = checkInputs(visibleInputs, args, { fromStrings: false, unknown: 'reject' });
      } catch (e) {
        throw e instanceof InvokeError ? invalidParams(op.name, e) : e;
      }
      // a signal of its own when the call is timed or reports progress
      const link = limits.toolTimeoutMs !== undefined || onProgress ? childAbort(signal) : undefined;
      if (link && onProgress) link.child.onProgress = onProgress;
      let timedOut = false;
      const timer = link && limits.toolTimeoutMs !== undefined && setTimeout(() => {
        timedOut = true;
        link.child.abort();
      }, limits.toolTimeoutMs);
      const log = signal?.onLog;
      const t0 = log ? performance.now() : 0;
      log?.('debug', `tool ${op.name}`, { tool: op.name, event: 'started' });
      try {
        const result = await answer(inputs, link?.child ?? signal);
        log?.(result.isError ? 'error' : 'info', `tool ${op.name}`, { tool: op.name, event: result.isError ? 'failed' : 'done', ms: Math.round(performance.now() - t0) });
        return result;
      } catch (e) {
        log?.('error', `tool ${op.name}`, { tool: op.name, event: timedOut ? 'timed out' : 'failed', ms: Math.round(performance.now() - t0), ...(e instanceof InvokeError ? { code: e.code } : {}) });
        if (timedOut) return errorResult(toolTimeout(op.name, limits.toolTimeoutMs!), limits.hideUpstream);
        if (e instanceof InvokeError) {
          if (e.code === 'NR_ERR_BAD_INPUT') throw invalidParams(op.name, e);
          return errorResult(e, limits.hideUpstream);
        }
        throw e;
      } finally {
        if (timer) clearTimeout(timer);
        link?.detach();
      }
    };
    tools.set(op.name, { definition, run: telemetry?.tracer ? (args, signal, onProgress) => telemetry.inToolSpan(op.name, signal, (s) => run(args, s, onProgress)) : run });
  }
  return tools;
}

/**
 * A JSON-RPC error the SDK sends as is ({code, message, data}); McpError would prefix its message with
 * "MCP error -32602:", which the client's McpError prefixes once more.
 */
export class ProtocolError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
  }
}

function toolTimeout(tool: string, ms: number): InvokeError {
  return new InvokeError('NR_ERR_TOOL_TIMEOUT', 504, 'Tool timed out', `tool ${tool} did not finish within ${ms} ms (--mcp-tool-timeout); its upstream calls were cancelled`);
}

function invalidParams(tool: string, e: InvokeError): ProtocolError {
  return new ProtocolError(INVALID_PARAMS, `Invalid arguments for tool ${tool}: ${e.detail}`, { code: e.code, invalid_params: e.invalidParams });
}

