/**
 * When an upstream call is tried again: idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) on a broken
 * connection, a timeout, or 429/502/503/504; any method when the connection was refused (nothing was
 * sent). Waits grow exponentially with full jitter, or follow the upstream's Retry-After; every wait and
 * attempt stays within the call's deadline.
 */
export interface RetryOptions {
  /** attempts after the first (0 = never retry) */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** a Retry-After longer than this is passed on to the caller instead of waited for */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 2, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 5_000 };

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRY_STATUS = new Set([429, 502, 503, 504]);
/** failures where the request never reached the upstream */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);
// a timeout waiting for headers is not retried: the upstream has the request and is slow, and a retry
// would multiply the caller's wait
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export function retriesStatus(method: string, status: number): boolean {
  return RETRY_STATUS.has(status) && IDEMPOTENT.has(method);
}

export function retriesFailure(method: string, code: string): boolean {
  return NOT_SENT.has(code) || (BROKEN.has(code) && IDEMPOTENT.has(method));
}

/**
 * ms to wait before attempt `attempt` (1 = the first retry); `retryAfter` is the upstream's header.
 * Undefined: do not retry (the upstream asked for a longer wait than is worth holding the caller).
 */
export function retryDelay(attempt: number, options: RetryOptions, retryAfter?: string, now = Date.now()): number | undefined {
  const asked = retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, now);
  if (asked !== undefined) return asked <= options.maxRetryAfterMs ? asked : undefined;
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(Math.random() * ceiling);
}

/** Retry-After as ms from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when unreadable. */
export function parseRetryAfter(value: string, now = Date.now()): number | undefined {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
