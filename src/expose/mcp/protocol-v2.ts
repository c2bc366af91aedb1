/**
 * PROTOTYPE for the SDK comparison: the same handlers on @modelcontextprotocol/server 2.x
 * (createMcpHandler + toNodeHandler), serving both eras.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Server, createMcpHandler, type Tool } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
const sharedValidator = new AjvJsonSchemaValidator();
import type { McpAdapter } from '../../spec/model.js';
import { INVALID_PARAMS, ProtocolError, type ToolEntry } from './tools.js';
import { childAbort, type CallAbort } from '../../consume/call-signal.js';
import type { McpContent } from './content.js';

export type TrackCall = (id: string | number, abort: CallAbort) => () => void;

export function createMcpServer(adapter: McpAdapter, tools: Map<string, ToolEntry>, name: string, version: string, track?: TrackCall, _content: McpContent = {}): Server {
  const server = new Server(
    { name, version },
    {
      capabilities: { tools: { listChanged: false } },
      jsonSchemaValidator: sharedValidator,
      ...(adapter.description ? { instructions: adapter.description } : {}),
    },
  );
  const list = [...tools.values()].map((t) => t.definition) as unknown as Tool[];
  const result = { tools: list };
  server.setRequestHandler('tools/list', async () => result);
  server.setRequestHandler('tools/call', async (req, ctx) => {
    const tool = tools.get(req.params.name);
    if (!tool) throw new ProtocolError(INVALID_PARAMS, `Unknown tool: ${req.params.name}`);
    const signal = ctx.mcpReq.signal;
    if (!track) return tool.run(req.params.arguments ?? {}, signal) as never;
    const link = childAbort(signal);
    const untrack = track(ctx.mcpReq.id, link.child);
    try {
      return (await tool.run(req.params.arguments ?? {}, link.child)) as never;
    } finally {
      untrack();
      link.detach();
    }
  });
  return server;
}

const handlers = new WeakMap<object, ReturnType<typeof toNodeHandler>>();

export function nodeHandlerFor(key: object, factory: () => Server) {
  let h = handlers.get(key);
  if (!h) handlers.set(key, (h = toNodeHandler(createMcpHandler(factory, { responseMode: 'auto' }))));
  return h;
}

export async function serveHttpRequest(key: object, factory: () => Server, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.hijack();
  await nodeHandlerFor(key, factory)(req.raw as never, reply.raw as never, req.body);
}
