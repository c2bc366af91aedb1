/**
 * What the calls of one process share across reloads: the rate limiter and the response cache, on
 * Redis when `--redis` is given. Neither is built when no operation needs it and no flag asks.
 */
import type { CapabilityModel, RateLimit } from '../spec/model.js';
import { RateLimiter } from '../limits/rate-limiter.js';
import { ResponseCache } from './response-cache.js';
import { connectRedis, type SharedRedis, type SharedRedisLog } from './redis.js';
import { RuntimeError } from '../runtime-error.js';
import { redisTokenStore, type TokenStore } from './token-store.js';

export interface SharedState {
  readonly rateLimiter: RateLimiter;
  readonly responseCache: ResponseCache;
  readonly redis?: SharedRedis;
  /** OAuth2 tokens, with `--redis` only (each process already shares one token among its calls) */
  readonly tokenStore?: TokenStore;
  close(): Promise<void>;
}

export async function sharedState(options: { readonly redis?: string; readonly redisTimeoutMs?: number }, log: SharedRedisLog | undefined): Promise<SharedState> {
  const redis = options.redis !== undefined ? await connectRedis(options.redis, log, options.redisTimeoutMs) : undefined;
  if (redis?.client.status === 'ready') log?.info({ redis: redis.label }, 'rate limits, the response cache and OAuth2 tokens are shared through Redis');
  return {
    rateLimiter: new RateLimiter(redis),
    responseCache: new ResponseCache(redis),
    ...(redis ? { redis, tokenStore: redisTokenStore(redis) } : {}),
    close: async () => redis?.close(),
  };
}

/** Every `--rate-limit` NAME must name an exposed operation or tool of the files (or `namespace.name`). */
export function checkRateLimitNames(models: readonly CapabilityModel[], limits: ReadonlyMap<string, RateLimit>): void {
  const names = new Set<string>();
  for (const m of models) {
    for (const a of m.exposes) {
      const ops = a.type === 'rest' ? a.operations : a.type === 'mcp' ? a.tools : [];
      for (const op of ops) names.add(op.name).add(`${a.namespace}.${op.name}`);
    }
  }
  for (const name of limits.keys()) {
    if (!names.has(name)) {
      const known = [...names].filter((n) => !n.includes('.')).sort();
      throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--rate-limit ${name}=…: no exposed operation or tool is named "${name}"${known.length ? ` (names: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''})` : ''}`);
    }
  }
}
