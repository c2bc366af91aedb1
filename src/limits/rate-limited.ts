/**
 * An exposed operation behind its rate limit: the one wrapper REST routes and MCP tools share (both
 * run operations through Invoker.bind). Over the limit the call fails before anything is sent upstream
 * with 429 NR_ERR_RATE_LIMITED and the seconds until the window ends (REST: `Retry-After`; MCP: a tool
 * error naming them).
 */
import { InvokeError } from '../consume/errors.js';
import type { RateLimit } from '../spec/model.js';
import type { BoundInvocation } from '../invoke/invoker.js';
import type { RateDecision, RateLimiter } from './rate-limiter.js';

export function rateLimited(id: string, key: string, limit: RateLimit, limiter: RateLimiter, run: BoundInvocation): BoundInvocation {
  const refusal = (d: RateDecision): InvokeError => {
    const seconds = Math.max(1, Math.ceil(d.resetMs / 1000));
    const e = new InvokeError('NR_ERR_RATE_LIMITED', 429, 'Too many requests',
      `${id} allows ${limit.max} calls per ${describeWindow(limit.windowMs)}${limiter.isShared ? ' across all replicas' : ''}; try again in ${seconds} s`);
    e.retryAfterSeconds = seconds;
    return e;
  };
  return (inputs, signal) => {
    const d = limiter.take(key, limit);
    // the local store answers at once: no extra tick for a call below the limit
    if (!(d instanceof Promise)) return d.allowed ? run(inputs, signal) : Promise.reject(refusal(d));
    return d.then((r) => {
      if (!r.allowed) throw refusal(r);
      return run(inputs, signal);
    });
  };
}

export function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'hour' : `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return ms === 1_000 ? 'second' : `${ms / 1_000} s`;
  return `${ms} ms`;
}
