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
import { childAbort, type CallAbort } from '../../consume/call-signal.js';

/**
 * Without this, every `new Server()` builds its own Ajv instance (a fifth of the CPU of a call, and most
 * of its garbage); one validator serves every per-request server.
 */
const sharedValidator = new AjvJsonSchemaValidator();

/** tools/list answers, computed once per tool table. */
const definitions = new WeakMap<Map<string, ToolEntry>, Tool[]>();

/** `track`: records a running tool call under its JSON-RPC id, so a later `notifications/cancelled` can abort it */
export type TrackCall = (id: string | number, abort: CallAbort) => () => void;

export function createMcpServer(adapter: McpAdapter, tools: Map<string, ToolEntry>, name: string, version: string, track?: TrackCall): Server {
  const server = new Server(
    { name, version },
    {
      capabilities: { tools: { listChanged: false } },
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
    const token = req.params._meta?.progressToken;
    const onProgress = token === undefined ? undefined : (progress: number, total: number, message: string) =>
      void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total, message } }).catch(() => {});
    if (!track) return tool.run(req.params.arguments ?? {}, extra.signal, onProgress);
    const link = childAbort(extra.signal);
    const untrack = track(extra.requestId, link.child);
    try {
      return await tool.run(req.params.arguments ?? {}, link.child, onProgress);
    } finally {
      untrack();
      link.detach();
    }
  });
  return server;
}

/** Serves one Streamable HTTP request (stateless: a fresh server and transport, closed with the response). */
export async function serveHttpRequest(server: Server, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  // one JSON answer, unless the client asked for progress: then an event stream carries it before the result
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !asksForProgress(req.body) });
  reply.hijack();
  reply.raw.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req.raw, reply.raw, req.body);
}

function asksForProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => (m as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta?.progressToken !== undefined);
}

/** Serves an adapter with `transport: stdio` on this process's stdin/stdout. */
export async function serveStdio(server: Server): Promise<void> {
  await server.connect(new StdioServerTransport());
}
