/**
 * The one Redis connection of a process (`--redis URL`), shared by the rate limiter, the response cache
 * and the OAuth2 token store. Every wait is bounded: connecting and each command time out after
 * `timeoutMs`, and while the connection is down commands fail at once (no offline queue) so callers
 * fall back to their per-process state instead of waiting. An outage is logged once when it starts and
 * once when Redis answers again.
 */
import type { Redis as RedisClient } from 'ioredis';
import { RuntimeError } from '../runtime-error.js';

export const DEFAULT_REDIS_TIMEOUT_MS = 250;

export interface SharedRedisLog {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface SharedRedis {
  readonly client: RedisClient;
  /** the URL without its password, for messages */
  readonly label: string;
  readonly timeoutMs: number;
  /** a failed command: logged once per outage, with the code callers fall back under */
  failed(what: string, err: unknown): void;
  close(): Promise<void>;
}

/** `redis://[user:pass@]host:port[/db]` or `rediss://…`; anything else is a usage error. */
export function checkRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--redis ${url}: expected a URL redis://HOST:PORT (or rediss:// for TLS)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--redis ${url}: expected a redis:// or rediss:// URL, got ${parsed.protocol}`);
  return url;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * Connects, waiting at most `connectWaitMs` for the first connection; an unreachable Redis does not stop
 * the start (the limiter and the cache work per process until it answers; NR_WARN_REDIS_UNAVAILABLE).
 */
export async function connectRedis(url: string, log: SharedRedisLog | undefined, timeoutMs = DEFAULT_REDIS_TIMEOUT_MS, connectWaitMs = 2_000): Promise<SharedRedis> {
  // ioredis is CommonJS: the class is `module.exports` itself, which a bundle may hand over as `default`
  const mod = (await import('ioredis')) as unknown as { Redis?: typeof RedisClient; default?: typeof RedisClient & { Redis?: typeof RedisClient } };
  const Redis = (mod.Redis ?? mod.default?.Redis ?? mod.default)!;
  const label = redact(url);
  const client = new Redis(url, {
    connectTimeout: Math.max(timeoutMs, 1_000),
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // reconnect forever, backing off to every 2 s
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    lazyConnect: true,
  });
  let down = false;
  const outage = (fields: Record<string, unknown>) => {
    if (down) return;
    down = true;
    log?.warn({ code: 'NR_WARN_REDIS_UNAVAILABLE', redis: label, ...fields }, 'Redis is unreachable: rate limits, the response cache and OAuth2 tokens work per process until it answers');
  };
  client.on('error', (err: Error) => outage({ err: err.message }));
  client.on('ready', () => {
    if (down) log?.info({ redis: label }, 'Redis answers again: limits and caches are shared');
    down = false;
  });
  await Promise.race([
    client.connect().catch((err: Error) => outage({ err: err.message })),
    new Promise((resolve) => setTimeout(resolve, connectWaitMs).unref()),
  ]);
  if (client.status !== 'ready') outage({ status: client.status });
  return {
    client,
    label,
    timeoutMs,
    failed: (what, err) => outage({ during: what, err: (err as Error)?.message ?? String(err) }),
    async close() {
      try {
        await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      } catch {
        // already gone
      }
      client.disconnect();
    },
  };
}
