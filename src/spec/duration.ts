/** `500ms`, `10s`, `1m`, `1h` → milliseconds; undefined for anything else (the schema reports it). */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^([1-9][0-9]*)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * ({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number.isSafeInteger(n) ? n : undefined;
}
