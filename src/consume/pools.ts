/**
 * Everything naftiko-run keeps per upstream origin, created on first use and closed together: a
 * keep-alive undici Pool, the origin's concurrency limit and its circuit breaker, and the retry policy
 * calls to it follow.
 */
import { Pool } from 'undici';
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerOptions } from './breaker.js';
import { ConcurrencyLimiter } from './limiter.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';

export interface PoolOptions {
  /** ms to establish a connection (SEMANTICS §7: 10 s) */
  readonly connectTimeout: number;
  /** max sockets, and calls in flight, per origin */
  readonly connections: number;
  /** calls that may wait for a slot per origin; past it 503 */
  readonly queue?: number;
  readonly retry?: RetryOptions;
  readonly breaker?: BreakerOptions;
  /** called once per upstream attempt (at --log-level debug); absent, nothing is measured */
  readonly onAttempt?: (attempt: UpstreamAttempt) => void;
}

/** One upstream attempt, for the debug log: never a header, a body or a query string (secrets live there). */
export interface UpstreamAttempt {
  /** METHOD and URL with the path's values shown as their placeholders where the capability has them */
  readonly call: string;
  readonly status?: number;
  readonly error?: string;
  readonly ms: number;
}

export interface Upstream {
  readonly pool: Pool;
  readonly limiter: ConcurrencyLimiter;
  readonly breaker: CircuitBreaker;
}

export const DEFAULT_UPSTREAM_QUEUE = 1024;

export class UpstreamPools {
  private readonly upstreams = new Map<string, Upstream>();
  readonly retry: RetryOptions;
  readonly onAttempt: ((attempt: UpstreamAttempt) => void) | undefined;
  constructor(private readonly options: PoolOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.onAttempt = options.onAttempt;
  }

  get(origin: string): Pool {
    return this.upstream(origin).pool;
  }

  upstream(origin: string): Upstream {
    let u = this.upstreams.get(origin);
    if (!u) {
      u = {
        pool: new Pool(origin, {
          connections: this.options.connections,
          connect: { timeout: this.options.connectTimeout },
          keepAliveTimeout: 4_000,
          pipelining: 1,
        }),
        limiter: new ConcurrencyLimiter(origin, { max: this.options.connections, queue: this.options.queue ?? DEFAULT_UPSTREAM_QUEUE }),
        breaker: new CircuitBreaker(origin, this.options.breaker ?? DEFAULT_BREAKER),
      };
      this.upstreams.set(origin, u);
    }
    return u;
  }

  /** origin → breaker state and load, for status pages and logs */
  states(): { origin: string; breaker: string; inFlight: number; queued: number }[] {
    return [...this.upstreams].map(([origin, u]) => ({ origin, breaker: u.breaker.current, inFlight: u.limiter.inFlight, queued: u.limiter.queued }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.pool.close()));
    this.upstreams.clear();
  }
}
