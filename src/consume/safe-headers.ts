/**
 * The upstream response headers a caller may see (SEMANTICS §5), shared by simple calls and REST
 * forward (FEATURES §7): a fixed list plus the rate-limit families. `Set-Cookie` is deliberately absent.
 */
export const SAFE_HEADERS: ReadonlySet<string> = new Set(['content-type', 'content-length', 'etag', 'last-modified', 'cache-control', 'location', 'retry-after', 'content-language', 'expires', 'vary']);
const RATE_LIMIT = /^(x-)?ratelimit-|^x-rate-limit-/;

/** The upstream headers a caller may see; content-length and content-encoding only when the body passes through unchanged. */
export function safeHeaders(h: Record<string, string | string[] | undefined>, withLength: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined) continue;
    // the body passes through unchanged: its length and its encoding describe it (probe F12)
    if (k === 'content-length' || k === 'content-encoding') {
      if (withLength) out[k] = typeof v === 'string' ? v : v.join(', ');
      continue;
    }
    if (SAFE_HEADERS.has(k) || (k.includes('rate') && RATE_LIMIT.test(k))) out[k] = typeof v === 'string' ? v : v.join(', ');
  }
  return out;
}
