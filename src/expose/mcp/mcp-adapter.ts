/**
 * The MCP adapter: Streamable HTTP at /mcp (stateless: each POST is served by a fresh SDK Server and
 * transport, so no session state can leak or pile up), tools from the model, calls through the invoker.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpAdapter } from '../../spec/model.js';
import type { BoundInvocation, Invoker } from '../../invoke/invoker.js';
import { checkInputs } from '../../invoke/inputs.js';
import { InvokeError } from '../../consume/errors.js';
import { toolDefinition } from './tool-schema.js';
import { errorResult, toolResult } from './tool-result.js';
import { isLocalRequest } from './local-origin.js';
import { serverOptions } from '../logging.js';

export interface McpAdapterOptions {
  readonly logger: FastifyServerOptions['logger'] | false;
  readonly serverName: string;
  readonly serverVersion: string;
  readonly maxResponseBytes: number;
  /** the address the adapter listens on; loopback turns on the Host/Origin check */
  readonly host: string;
}

interface ToolEntry {
  readonly definition: Tool;
  readonly run: (args: Record<string, unknown>) => Promise<CallToolResult>;
}

/** Tools compiled once; shared by every per-request SDK Server (HTTP) or by the stdio server. */
export function compileTools(adapter: McpAdapter, invoker: Invoker, maxResponseBytes: number): Map<string, ToolEntry> {
  const tools = new Map<string, ToolEntry>();
  for (const op of adapter.tools) {
    const invoke: BoundInvocation = invoker.bind(op);
    const visibleInputs = op.inputs.filter((i) => !i.credential);
    tools.set(op.name, {
      definition: toolDefinition(op),
      run: async (args) => {
        let inputs: Record<string, unknown>;
        try {
          inputs = checkInputs(visibleInputs, args, { fromStrings: false, unknown: 'reject' });
        } catch (e) {
          throw e instanceof InvokeError ? invalidParams(op.name, e) : e;
        }
        try {
          return await toolResult(await invoke(inputs), maxResponseBytes, `tool ${op.name}`);
        } catch (e) {
          if (e instanceof InvokeError) {
            if (e.code === 'NR_ERR_BAD_INPUT') throw invalidParams(op.name, e);
            return errorResult(e);
          }
          throw e;
        }
      },
    });
  }
  return tools;
}

/**
 * A JSON-RPC error the SDK sends as is ({code, message, data}); McpError would prefix its message with
 * "MCP error -32602:", which the client's McpError prefixes once more.
 */
class ProtocolError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
  }
}

function invalidParams(tool: string, e: InvokeError): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidParams, `Invalid arguments for tool ${tool}: ${e.detail}`, { code: e.code, invalid_params: e.invalidParams });
}

export function createMcpServer(adapter: McpAdapter, tools: Map<string, ToolEntry>, name: string, version: string): Server {
  const server = new Server(
    { name, version },
    { capabilities: { tools: { listChanged: false } }, ...(adapter.description ? { instructions: adapter.description } : {}) },
  );
  const list = [...tools.values()].map((t) => t.definition);
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: list }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const tool = tools.get(req.params.name);
    if (!tool) throw new ProtocolError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name} (tools: ${[...tools.keys()].join(', ')})`);
    return tool.run(req.params.arguments ?? {});
  });
  return server;
}

export function buildMcpApp(adapter: McpAdapter, invoker: Invoker, options: McpAdapterOptions): FastifyInstance {
  const app = Fastify(serverOptions(options.logger, 4 * 1024 * 1024));
  const tools = compileTools(adapter, invoker, options.maxResponseBytes);
  const checkOrigin = isLoopback(options.host);

  app.addHook('onRequest', async (req, reply) => {
    if (checkOrigin && !isLocalRequest(req.headers.host, req.headers.origin)) {
      return reply.code(403).header('content-type', 'application/json').send(
        JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Forbidden: Host or Origin is not local (DNS rebinding protection); code NR_ERR_MCP_ORIGIN_REJECTED' }, id: null }),
      );
    }
  });

  const handle = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const server = createMcpServer(adapter, tools, options.serverName, options.serverVersion);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, reply.raw, req.body);
  };
  app.post('/mcp', handle);
  app.get('/mcp', handle);
  app.delete('/mcp', handle);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).header('content-type', 'application/json').send(JSON.stringify({ error: 'NR_ERR_ROUTE_NOT_FOUND', detail: `the MCP endpoint is /mcp, not ${req.url.split('?')[0]}` })),
  );
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'internal error');
    return reply.code(status).header('content-type', 'application/json').send(
      JSON.stringify({ jsonrpc: '2.0', error: { code: status === 400 ? -32700 : -32603, message: status === 400 ? `Parse error: ${err.message}` : 'Internal error' }, id: null }),
    );
  });
  return app;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}
