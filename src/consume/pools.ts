/**
 * Everything naftiko-run keeps per upstream origin, created on first use and closed together: a
 * keep-alive undici Pool, the origin's concurrency limit and its circuit breaker, and the retry policy
 * calls to it follow.
 */
import { Pool } from './undici-pool.js';
import type { CallSignal } from './call-signal.js';
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerOptions, type BreakerState } from './breaker.js';
import { ConcurrencyLimiter, upstreamLimiterErrors } from './limiter.js';
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
  /** told of every upstream attempt (the debug log, metrics, traces); absent, nothing is measured */
  readonly observer?: UpstreamObserver;
}

/** What an attempt is sent to; `label` never holds a secret (bind values stay placeholders, no query). */
export interface AttemptTarget {
  readonly origin: string;
  readonly method: string;
  readonly path: string;
  readonly label?: string;
  /** the consumes namespace */
  readonly namespace?: string;
}

/** The outcome of one attempt: an answer's status, or the network error code it failed with. */
export type AttemptOutcome = { readonly status: number } | { readonly error: string };

/** Watches upstream attempts: one `attempt` as each starts, its `done` once with the outcome. */
export interface UpstreamObserver {
  /** `context`: the call's signal, with the inbound request's id and the parent span when there are */
  attempt(target: AttemptTarget, context?: CallSignal): AttemptWatch;
}

export interface AttemptWatch {
  /** headers the attempt carries in addition to its own (a trace context) */
  readonly headers?: Readonly<Record<string, string>>;
  done(outcome: AttemptOutcome): void;
}

/** One observer that tells each of `observers`; the first that adds headers sets them. */
export function combineObservers(observers: readonly (UpstreamObserver | undefined)[]): UpstreamObserver | undefined {
  const present = observers.filter((o): o is UpstreamObserver => o !== undefined);
  if (present.length <= 1) return present[0];
  return {
    attempt(target, context) {
      const watches = present.map((o) => o.attempt(target, context));
      const headers = watches.find((w) => w.headers)?.headers;
      return { ...(headers ? { headers } : {}), done: (outcome) => { for (const w of watches) w.done(outcome); } };
    },
  };
}

export interface UpstreamState {
  readonly origin: string;
  readonly breaker: BreakerState;
  /** calls holding a slot of the origin's limit */
  readonly inFlight: number;
  /** calls waiting for a slot */
  readonly queued: number;
  /** open sockets, and those of them idle */
  readonly connected: number;
  readonly free: number;
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
  readonly observer: UpstreamObserver | undefined;
  constructor(private readonly options: PoolOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.observer = options.observer;
  }

  private readonly sessions = new Map<string, unknown>();

  /** Credential state shared by every operation of a consumes namespace (digest nonces, OAuth2 tokens). */
  session<T>(key: string, create: () => T): T {
    let s = this.sessions.get(key) as T | undefined;
    if (s === undefined) {
      s = create();
      this.sessions.set(key, s);
    }
    return s;
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
        limiter: new ConcurrencyLimiter(upstreamLimiterErrors(origin), { max: this.options.connections, queue: this.options.queue ?? DEFAULT_UPSTREAM_QUEUE }),
        breaker: new CircuitBreaker(origin, this.options.breaker ?? DEFAULT_BREAKER),
      };
      this.upstreams.set(origin, u);
    }
    return u;
  }

  /** origin → breaker state, load and sockets, for /status, /metrics and logs */
  states(): UpstreamState[] {
    return [...this.upstreams].map(([origin, u]) => {
      const stats = u.pool.stats;
      return { origin, breaker: u.breaker.current, inFlight: u.limiter.inFlight, queued: u.limiter.queued, connected: stats.connected, free: stats.free };
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.pool.close()));
    this.upstreams.clear();
    this.sessions.clear();
  }
}
