/**
 * The upstream: a node:http JSON server answering GET /small (1 KB) and GET /large (100 KB), and the
 * two documents of the orchestrated operation, GET /join/ship and GET /join/crew, from precomputed
 * buffers. Usage: node bench/upstream.js PORT
 */
import { createServer } from 'node:http';
import { documentBuffers, joinBuffers, HOST } from './lib.js';

const port = Number(process.argv[2] ?? 0);
const bodies = documentBuffers();
const routes = new Map(Object.entries(bodies).map(([k, buf]) => [`/${k}`, { buf, length: String(buf.length) }]));
for (const [k, buf] of Object.entries(joinBuffers())) routes.set(`/join/${k}`, { buf, length: String(buf.length) });

const server = createServer((req, res) => {
  const r = routes.get(req.url);
  if (!r) {
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': '2' });
    res.end('{}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': r.length });
  res.end(r.buf);
});
server.keepAliveTimeout = 65_000;
server.listen(port, HOST);
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
