/**
 * How long an upstream answer may be kept, from the operation's TTL and the answer's own headers
 * (RFC 9111): `no-store`, `no-cache` and `private` (the cache is shared by every caller and replica)
 * and a `Set-Cookie` keep nothing; `s-maxage`, else `max-age`, minus `Age`, shortens the TTL.
 */
export function keepFor(ttlMs: number, headers: Readonly<Record<string, string | string[] | undefined>>): number {
  if (headers['set-cookie'] !== undefined) return 0;
  const raw = headers['cache-control'];
  const text = (Array.isArray(raw) ? raw.join(',') : raw ?? '').toLowerCase();
  let maxAge: number | undefined;
  let sMaxAge: number | undefined;
  for (const part of text.split(',')) {
    const [name, value] = part.trim().split('=', 2) as [string, string | undefined];
    if (name === 'no-store' || name === 'no-cache' || name === 'private') return 0;
    const seconds = value !== undefined && /^"?\d+"?$/.test(value) ? Number(value.replace(/"/g, '')) : undefined;
    if (name === 'max-age' && seconds !== undefined) maxAge = seconds;
    if (name === 's-maxage' && seconds !== undefined) sMaxAge = seconds;
  }
  const limit = sMaxAge ?? maxAge;
  if (limit === undefined) return ttlMs;
  const age = Number(Array.isArray(headers.age) ? headers.age[0] : headers.age ?? 0) || 0;
  return Math.max(0, Math.min(ttlMs, (limit - age) * 1000));
}
