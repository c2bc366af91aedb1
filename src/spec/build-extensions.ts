/**
 * The naftiko-run extension fields of operations (not in the Naftiko spec; `x-` so other runtimes
 * ignore them): `x-rate-limit` on exposed operations and tools, `x-cache` on consumed GET operations.
 * The schema checks their shape with positions; these read a valid value and check what it cannot.
 */
import type { HttpMethod, RateLimit, ResponseCacheSpec } from './model.js';
import type { BuildContext, Raw } from './context.js';
import { parseDuration } from './duration.js';

export function buildRateLimit(raw: Raw): RateLimit | undefined {
  const r = raw['x-rate-limit'] as Raw | undefined;
  if (!r || typeof r !== 'object') return undefined;
  const windowMs = parseDuration(r.window);
  const max = r.max;
  if (windowMs === undefined || typeof max !== 'number' || !Number.isInteger(max) || max < 1) return undefined;
  return { max, windowMs };
}

export function buildResponseCache(ctx: BuildContext, raw: Raw, method: HttpMethod, pointer: string): ResponseCacheSpec | undefined {
  const c = raw['x-cache'] as Raw | undefined;
  if (!c || typeof c !== 'object') return undefined;
  if (method !== 'GET') {
    ctx.error('NR_ERR_CACHE_METHOD', `${pointer}/x-cache`, `x-cache is for GET operations only; this one is ${method} (its answers change state and are never shared)`);
    return undefined;
  }
  const ttlMs = parseDuration(c.ttl);
  return ttlMs === undefined ? undefined : { ttlMs };
}
