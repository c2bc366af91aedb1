/**
 * CORS for a REST adapter, off unless origins are given (`--cors-origin`): @fastify/cors answers
 * preflights and adds the headers for exactly those origins. An allowed origin also passes the
 * loopback Origin check (the Host must still name this machine) and a preflight needs no credential,
 * since browsers never send one with it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyCors from '@fastify/cors';

export interface CorsSettings {
  /** exact origins (`https://app.example.com`, `http://localhost:5173`) */
  readonly origins: readonly string[];
  /** default GET, HEAD, POST, PUT, PATCH, DELETE */
  readonly methods?: readonly string[];
  /** default: the headers the preflight asks for */
  readonly headers?: readonly string[];
}

export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Why `value` is not an exact origin, or undefined when it is one. */
export function corsOriginProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an origin such as https://app.example.com';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http: or https: origin';
  if (url.origin !== value) return `expected exactly an origin (scheme, host and port, no path or trailing /): ${url.origin}`;
  return undefined;
}

export function installCors(app: FastifyInstance, settings: CorsSettings): void {
  void app.register(fastifyCors, {
    origin: [...settings.origins],
    methods: [...(settings.methods ?? DEFAULT_METHODS)],
    ...(settings.headers ? { allowedHeaders: [...settings.headers] } : {}),
    maxAge: 600,
    strictPreflight: true,
  });
}

/** A browser's preflight (OPTIONS with Origin and Access-Control-Request-Method) from an allowed origin. */
export function isAllowedPreflight(req: FastifyRequest, origins: ReadonlySet<string>): boolean {
  return req.method === 'OPTIONS' && typeof req.headers.origin === 'string' && origins.has(req.headers.origin) && req.headers['access-control-request-method'] !== undefined;
}
