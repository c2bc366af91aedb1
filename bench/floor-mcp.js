/**
 * The MCP floor: a hand-written MCP SDK server in naftiko-run's style — fastify, Streamable HTTP at /mcp,
 * stateless (a fresh SDK Server + transport per POST), JSON responses — with one tool, `get-small`, that
 * makes the same upstream call with undici and returns the JSON text. No spec, no input checking.
 * Usage: node bench/floor-mcp.js PORT UPSTREAM_URL
 */
import Fastify from 'fastify';
import { Pool } from 'undici';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { HOST } from './lib.js';

const port = Number(process.argv[2] ?? 0);
const upstream = process.argv[3];
const pool = new Pool(upstream, { connections: 256, connect: { timeout: 10_000 }, keepAliveTimeout: 4_000, pipelining: 1 });

const TOOLS = [{ name: 'get-small', description: 'The 1 KB upstream document, as it is.', inputSchema: { type: 'object', properties: {} } }];

async function getSmall() {
  const { statusCode, body } = await pool.request({ path: '/small', method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
  const text = await body.text();
  return statusCode < 400 ? { content: [{ type: 'text', text }] } : { isError: true, content: [{ type: 'text', text: `Upstream answered ${statusCode}: ${text}` }] };
}

function createServer() {
  const server = new Server({ name: 'floor-mcp', version: '1.0.0' }, { capabilities: { tools: { listChanged: false } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    if (req.params.name !== 'get-small') throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
    return getSmall();
  });
  return server;
}

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
const handle = async (req, reply) => {
  const server = createServer();
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

await app.listen({ host: HOST, port });
process.on('SIGTERM', () => {
  app.close().then(() => pool.close()).finally(() => process.exit(0));
});
