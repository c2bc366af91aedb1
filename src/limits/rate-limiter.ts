/**
 * Counts calls per key in fixed windows, with @fastify/rate-limit's own stores: its LocalStore (an LRU
 * in this process) by default, its RedisStore (one atomic Lua INCR + PEXPIRE per call) when `--redis`
 * is given, so every replica counts against the same window. One limiter serves every surface: the
 * invoker asks it before running an exposed operation, whether a REST route or an MCP tool called it.
 *
 * Redis unreachable or slow (past its command timeout): the call is counted in this process instead
 * (fail open to the per-process limit) and the outage is logged once (NR_WARN_REDIS_UNAVAILABLE).
 */
import { createRequire } from 'node:module';
import type { RateLimit } from '../spec/model.js';
import type { SharedRedis } from '../shared/redis.js';

interface StoreResult {
  readonly current: number;
  readonly ttl: number;
}
interface Store {
  incr(key: string, cb: (err: Error | null, res: StoreResult | null) => void, timeWindow: number, max: number): void;
}
type StoreClass = new (continueExceeding: boolean, exponentialBackoff: boolean, ...rest: unknown[]) => Store;

const require = createRequire(import.meta.url);

export interface RateDecision {
  readonly allowed: boolean;
  /** ms until the window ends */
  readonly resetMs: number;
  readonly remaining: number;
}

export const REDIS_KEY_PREFIX = 'naftiko-run:rate:';

export class RateLimiter {
  private localStore: Store | undefined;
  private readonly shared: Store | undefined;

  constructor(private readonly redis?: SharedRedis) {
    if (redis) {
      const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as StoreClass;
      this.shared = new RedisStore(false, false, redis.client, REDIS_KEY_PREFIX);
    }
  }

  get isShared(): boolean {
    return this.shared !== undefined;
  }

  /** Counts one call of `key`. Synchronous on the local store, so a call below the limit costs no extra tick. */
  take(key: string, limit: RateLimit): RateDecision | Promise<RateDecision> {
    if (!this.shared) return this.takeLocal(key, limit);
    return new Promise<RateDecision>((resolve) => {
      this.shared!.incr(key, (err, res) => {
        if (err || !res) {
          this.redis!.failed('rate limit', err);
          resolve(this.takeLocal(key, limit));
        } else resolve(decide(res, limit));
      }, limit.windowMs, limit.max);
    });
  }

  /** loaded on the first limited call: a process without limits never reads the store's code */
  private get local(): Store {
    if (!this.localStore) {
      const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as StoreClass;
      this.localStore = new LocalStore(false, false, 10_000);
    }
    return this.localStore;
  }

  private takeLocal(key: string, limit: RateLimit): RateDecision {
    let out: RateDecision | undefined;
    this.local.incr(key, (_err, res) => {
      out = decide(res!, limit);
    }, limit.windowMs, limit.max);
    return out!;
  }
}

function decide(res: StoreResult, limit: RateLimit): RateDecision {
  // a key Redis lost its expiry for (PTTL -1) would never reset: report a whole window
  const resetMs = res.ttl > 0 ? res.ttl : limit.windowMs;
  return { allowed: res.current <= limit.max, resetMs, remaining: Math.max(0, limit.max - res.current) };
}
