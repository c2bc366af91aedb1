/**
 * The answers of consumed GET operations with `x-cache`, kept for their TTL: in this process (a bounded
 * map) by default, in Redis with `--redis` so every replica reads what one of them fetched. Concurrent
 * calls with the same key in one process share one upstream request (request coalescing); they all get
 * its answer, kept or not. Redis failing or slow (past its command timeout): the process's own map is
 * used, and the outage is logged once.
 */
import type { SharedRedis } from './redis.js';

export interface CachedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** What the shared fetch found: the answer, and how long it may be kept (0: not at all). */
export interface Fetched {
  readonly answer: CachedAnswer;
  readonly keepMs: number;
}

export const CACHE_KEY_PREFIX = 'naftiko-run:cache:';
/** answers larger than this are shared by concurrent callers but not kept */
export const MAX_CACHED_BYTES = 1024 * 1024;
const MAX_LOCAL_ENTRIES = 1_000;

export class ResponseCache {
  private readonly local = new Map<string, { answer: CachedAnswer; expires: number }>();
  private readonly inFlight = new Map<string, Promise<CachedAnswer>>();

  constructor(private readonly redis?: SharedRedis) {}

  get isShared(): boolean {
    return this.redis !== undefined;
  }

  /** The kept answer for `key`, or the one `fetch` produces (once for all concurrent callers). */
  get(key: string, fetch: () => Promise<Fetched>): Promise<CachedAnswer> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = this.lookupOrFetch(key, fetch).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async lookupOrFetch(key: string, fetch: () => Promise<Fetched>): Promise<CachedAnswer> {
    const kept = await this.read(key);
    if (kept) return kept;
    const { answer, keepMs } = await fetch();
    if (keepMs > 0 && answer.body.length <= MAX_CACHED_BYTES) await this.write(key, answer, keepMs);
    return answer;
  }

  private async read(key: string): Promise<CachedAnswer | undefined> {
    if (this.redis) {
      try {
        const text = await this.redis.client.get(CACHE_KEY_PREFIX + key);
        return text === null ? undefined : decode(text);
      } catch (e) {
        this.redis.failed('response cache read', e);
      }
    }
    const entry = this.local.get(key);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry.answer;
    this.local.delete(key);
    return undefined;
  }

  private async write(key: string, answer: CachedAnswer, keepMs: number): Promise<void> {
    if (this.redis) {
      try {
        await this.redis.client.set(CACHE_KEY_PREFIX + key, encode(answer), 'PX', Math.ceil(keepMs));
        return;
      } catch (e) {
        this.redis.failed('response cache write', e);
      }
    }
    if (this.local.size >= MAX_LOCAL_ENTRIES) {
      const now = Date.now();
      for (const [k, v] of this.local) if (v.expires <= now) this.local.delete(k);
      // still full: the oldest entry goes (a Map iterates in insertion order)
      if (this.local.size >= MAX_LOCAL_ENTRIES) this.local.delete(this.local.keys().next().value!);
    }
    this.local.set(key, { answer, expires: Date.now() + keepMs });
  }
}

function encode(a: CachedAnswer): string {
  return JSON.stringify({ s: a.status, h: a.headers, b: a.body.toString('base64') });
}

function decode(text: string): CachedAnswer | undefined {
  try {
    const v = JSON.parse(text) as { s: number; h: Record<string, string | string[]>; b: string };
    return { status: v.s, headers: v.h, body: Buffer.from(v.b, 'base64') };
  } catch {
    return undefined;
  }
}
