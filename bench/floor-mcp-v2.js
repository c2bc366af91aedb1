/**
 * The MCP floor on SDK 2.x: bench/floor-mcp.js written for @modelcontextprotocol/server 2.x — fastify,
 * /mcp, the low-level Server per request from createMcpHandler (both eras), toNodeHandler from
 * @modelcontextprotocol/node, one tool `get-small`. Only for the SDK comparison (bench/mcp-compare.js).
 * Usage: node bench/floor-mcp-v2.js PORT UPSTREAM_URL
 */
import Fastify from 'fastify';
import { Pool } from 'undici';
import { Server, createMcpHandler, ProtocolError } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { HOST } from './lib.js';

const port = Number(process.argv[2] ?? 0);
const upstream = process.argv[3];
const pool = new Pool(upstream, { connections: 256, connect: { timeout: 10_000 }, keepAliveTimeout: 4_000, pipelining: 1 });
const TOOLS = [{ name: 'get-small', description: 'The 1 KB upstream document, as it is.', inputSchema: { type: 'object', properties: {} } }];
const validator = new AjvJsonSchemaValidator();

async function getSmall() {
  const { statusCode, body } = await pool.request({ path: '/small', method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
  const text = await body.text();
  return statusCode < 400 ? { content: [{ type: 'text', text }] } : { isError: true, content: [{ type: 'text', text: `Upstream answered ${statusCode}: ${text}` }] };
}

function createServer() {
  const server = new Server({ name: 'floor-mcp-v2', version: '1.0.0' }, { capabilities: { tools: { listChanged: false } }, jsonSchemaValidator: validator });
  server.setRequestHandler('tools/list', async () => ({ tools: TOOLS }));
  server.setRequestHandler('tools/call', async (req) => {
    if (req.params.name !== 'get-small') throw new ProtocolError(-32602, `Unknown tool: ${req.params.name}`);
    return getSmall();
  });
  return server;
}

const node = toNodeHandler(createMcpHandler(createServer));
const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
const handle = async (req, reply) => {
  reply.hijack();
  await node(req.raw, reply.raw, req.body);
};
app.post('/mcp', handle);
app.get('/mcp', handle);
app.delete('/mcp', handle);

await app.listen({ host: HOST, port });
process.on('SIGTERM', () => {
  app.close().then(() => pool.close()).finally(() => process.exit(0));
});
