/**
 * V8 grows the old generation by up to 4x after each major GC when it is cheap, so under steady load a
 * server's heap (and RSS) climbs far above what it uses: with the MCP adapter under load, ~165 MB of
 * heap for ~30 MB live. Capping the growth factor at 2x keeps RSS near 150 MB (BENCHMARKS.md), at the
 * price of more frequent old-generation collections (p99). Set once the servers listen, so start-up is
 * not slowed. NAFTIKO_RUN_HEAP_GROWTH_PERCENT=N chooses another cap (0 leaves V8's default); so does
 * `node --heap-growing-percent=N` (V8 does not accept that flag in NODE_OPTIONS).
 */
import v8 from 'node:v8';

export const DEFAULT_HEAP_GROWTH_PERCENT = 100;

export function tuneHeap(env: Readonly<Record<string, string | undefined>> = process.env): void {
  if (process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return;
  const chosen = env.NAFTIKO_RUN_HEAP_GROWTH_PERCENT;
  const percent = chosen !== undefined && /^\d+$/.test(chosen) ? Number(chosen) : DEFAULT_HEAP_GROWTH_PERCENT;
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
