/**
 * The REST floors: a hand-written fastify + undici proxy with no spec and no mapping.
 *   GET /pass/{small,large}    streams the upstream body through (what a Node proxy cannot beat)
 *   GET /mapped/{small,large}  reads the whole body, JSON.parse, picks the same three fields as the
 *                              bench capability's mapped operation, JSON.stringify (what a mapped
 *                              output must at least cost)
 *   GET /join                  the orchestration floor: GET /join/ship and GET /join/crew concurrently
 *                              (Promise.all), both bodies read and parsed, the ship's crewIds looked up
 *                              in the crew list ({ fullName, role } each), JSON.stringify of
 *                              { id, name, crew } (what the bench capability's `steps` operation does)
 * The undici Pool has naftiko-run's settings (src/consume/pools.ts). Usage: node bench/floor-proxy.js PORT UPSTREAM_URL
 */
import Fastify from 'fastify';
import { Pool } from 'undici';
import { HOST, SIZES, joinCrew } from './lib.js';

const port = Number(process.argv[2] ?? 0);
const upstream = process.argv[3];
const pool = new Pool(upstream, { connections: 256, connect: { timeout: 10_000 }, keepAliveTimeout: 4_000, pipelining: 1 });
const app = Fastify({ logger: false });

for (const size of Object.keys(SIZES)) {
  const path = `/${size}`;

  app.get(`/pass/${size}`, async (req, reply) => {
    const { statusCode, headers, body } = await pool.request({ path, method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
    reply.code(statusCode).header('content-type', headers['content-type']);
    if (headers['content-length'] !== undefined) reply.header('content-length', headers['content-length']);
    return reply.send(body);
  });

  app.get(`/mapped/${size}`, async (req, reply) => {
    const { statusCode, body } = await pool.request({ path, method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
    const chunks = [];
    for await (const c of body) chunks.push(c);
    const doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const out = { id: doc.id, name: doc.name, first: doc.items[0].x };
    return reply.code(statusCode).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(out));
  });
}

const getJson = async (path) => {
  const { statusCode, body } = await pool.request({ path, method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
  const chunks = [];
  for await (const c of body) chunks.push(c);
  if (statusCode < 200 || statusCode >= 300) throw new Error(`upstream ${path} answered ${statusCode}`);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

app.get('/join', async (req, reply) => {
  const [ship, crew] = await Promise.all([getJson('/join/ship'), getJson('/join/crew')]);
  return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(joinCrew(ship, crew)));
});

await app.listen({ host: HOST, port });
process.on('SIGTERM', () => {
  app.close().then(() => pool.close()).finally(() => process.exit(0));
});
