/**
 * Everything that needs the MCP SDK at run time: the per-request Server for 2025-era requests, the
 * Streamable HTTP handling and stdio. Loaded by the adapter once it listens (the SDK is the largest
 * part of start-up). The methods themselves are the adapter's (methods.ts), shared with the
 * 2026-07-28 dispatcher.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema, CompleteRequestSchema, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema, SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { McpAdapter } from '../../spec/model.js';
import { callContext, type CallContext, type McpMethods } from './methods.js';
import type { LogLevel } from './log-level.js';

/**
 * Without this, every `new Server()` builds its own Ajv instance (a fifth of the CPU of a call, and most
 * of its garbage); one validator serves every per-request server.
 */
const sharedValidator = new AjvJsonSchemaValidator();

const SCHEMAS = {
  'tools/list': ListToolsRequestSchema,
  'tools/call': CallToolRequestSchema,
  'logging/setLevel': SetLevelRequestSchema,
  'resources/list': ListResourcesRequestSchema,
  'resources/templates/list': ListResourceTemplatesRequestSchema,
  'resources/read': ReadResourceRequestSchema,
  'prompts/list': ListPromptsRequestSchema,
  'prompts/get': GetPromptRequestSchema,
  'completion/complete': CompleteRequestSchema,
} as const;

/** What a 2025-era server knows of its caller: read at each request (stdio: the connection's level). */
export interface LegacyScope {
  readonly track?: CallContext['track'];
  readonly logLevel?: LogLevel;
  readonly setLogLevel?: (level: LogLevel) => void;
}

export function createMcpServer(adapter: McpAdapter, methods: McpMethods, name: string, version: string, scope: LegacyScope = {}): Server {
  const server = new Server(
    { name, version },
    {
      capabilities: methods.capabilities,
      jsonSchemaValidator: sharedValidator,
      ...(adapter.description ? { instructions: adapter.description } : {}),
    },
  );
  for (const [method, handler] of methods.handlers) {
    const schema = SCHEMAS[method as keyof typeof SCHEMAS];
    if (!schema) continue;
    server.setRequestHandler(schema, async (req, extra) => {
      const params = (req.params ?? {}) as Record<string, unknown>;
      const ctx = callContext({
        signal: extra.signal,
        requestId: extra.requestId,
        progressToken: (params._meta as { progressToken?: unknown } | undefined)?.progressToken,
        ...(scope.logLevel ? { logLevel: scope.logLevel } : {}),
        notify: (n) => void extra.sendNotification(n as never).catch(() => {}),
        ...(scope.track ? { track: scope.track } : {}),
        ...(scope.setLogLevel ? { setLogLevel: scope.setLogLevel } : {}),
      });
      return handler(params, ctx) as never;
    });
  }
  return server;
}

/**
 * Serves one Streamable HTTP request (stateless: a fresh server and transport, closed with the response).
 * `stream`: answer as an event stream, so notifications (progress, log messages) can precede the result.
 */
export async function serveHttpRequest(server: Server, req: FastifyRequest, reply: FastifyReply, stream: boolean): Promise<void> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !stream });
  reply.hijack();
  reply.raw.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req.raw, reply.raw, req.body);
}

/** Serves an adapter with `transport: stdio` on this process's stdin/stdout (one connection: its level is kept). */
export async function serveStdio(adapter: McpAdapter, methods: McpMethods, name: string, version: string): Promise<Server> {
  const scope: { logLevel?: LogLevel; setLogLevel: (l: LogLevel) => void } = { setLogLevel: (l) => { scope.logLevel = l; } };
  const server = createMcpServer(adapter, methods, name, version, scope);
  await server.connect(new StdioServerTransport());
  return server;
}
