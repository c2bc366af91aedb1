/**
 * CORS for a REST adapter, off unless origins are given (`--cors-origin`): @fastify/cors answers
 * preflights and adds the headers for exactly those origins. An allowed origin also passes the
 * loopback Origin check (the Host must still name this machine) and a preflight needs no credential,
 * since browsers never send one with it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyCors from '@fastify/cors';
import { DEFAULT_CORS_METHODS, type CorsSettings } from './cors-settings.js';

export function installCors(app: FastifyInstance, settings: CorsSettings): void {
  const allowed = new Set(settings.origins);
  const options = {
    origin: [...settings.origins],
    methods: [...(settings.methods ?? DEFAULT_CORS_METHODS)],
    ...(settings.headers ? { allowedHeaders: [...settings.headers] } : {}),
    maxAge: 600,
  };
  // CORS only for allowed origins, and an OPTIONS is a preflight only with Access-Control-Request-Method:
  // any other OPTIONS goes to its route (the Allow answer, or a forward upstream) as without CORS
  void app.register(fastifyCors, {
    delegator: (req, cb) => {
      const origin = req.headers.origin;
      const cors = origin !== undefined && allowed.has(origin) && (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] !== undefined);
      cb(null, cors ? options : { origin: false });
    },
  });
}

/** A browser's preflight (OPTIONS with Origin and Access-Control-Request-Method) from an allowed origin. */
export function isAllowedPreflight(req: FastifyRequest, origins: ReadonlySet<string>): boolean {
  return req.method === 'OPTIONS' && typeof req.headers.origin === 'string' && origins.has(req.headers.origin) && req.headers['access-control-request-method'] !== undefined;
}
