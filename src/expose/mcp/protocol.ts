/**
 * Everything that needs the MCP SDK at run time: the per-request Server, the Streamable HTTP handling
 * and stdio. Loaded by the adapter once it listens (the SDK is the largest part of start-up).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { McpAdapter } from '../../spec/model.js';
import { INVALID_PARAMS, ProtocolError, type ToolEntry } from './tools.js';
import type { McpContent } from './content.js';
import { contentCapabilities, registerContent } from './register-content.js';

/**
 * Without this, every `new Server()` builds its own Ajv instance (a fifth of the CPU of a call, and most
 * of its garbage); one validator serves every per-request server.
 */
const sharedValidator = new AjvJsonSchemaValidator();

/** tools/list answers, computed once per tool table. */
const definitions = new WeakMap<Map<string, ToolEntry>, Tool[]>();

export function createMcpServer(adapter: McpAdapter, tools: Map<string, ToolEntry>, name: string, version: string, content: McpContent = {}): Server {
  const server = new Server(
    { name, version },
    {
      capabilities: { tools: { listChanged: false }, ...contentCapabilities(content) },
      jsonSchemaValidator: sharedValidator,
      ...(adapter.description ? { instructions: adapter.description } : {}),
    },
  );
  let list = definitions.get(tools);
  if (!list) definitions.set(tools, (list = [...tools.values()].map((t) => t.definition)));
  const result = { tools: list };
  server.setRequestHandler(ListToolsRequestSchema, async () => result);
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const tool = tools.get(req.params.name);
    if (!tool) throw new ProtocolError(INVALID_PARAMS, `Unknown tool: ${req.params.name} (tools: ${[...tools.keys()].join(', ')})`);
    // aborted when the client cancels the request or its connection closes (probe F8)
    return tool.run(req.params.arguments ?? {}, extra.signal);
  });
  registerContent(server, content);
  return server;
}

/** Serves one Streamable HTTP request (stateless: a fresh server and transport, closed with the response). */
export async function serveHttpRequest(server: Server, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  reply.hijack();
  reply.raw.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req.raw, reply.raw, req.body);
}

/** Serves an adapter with `transport: stdio` on this process's stdin/stdout. */
export async function serveStdio(server: Server): Promise<void> {
  await server.connect(new StdioServerTransport());
}
