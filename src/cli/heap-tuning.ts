/**
 * V8 grows the old generation by up to 4x after each major GC when it is cheap, so under steady load a
 * server's heap (and RSS) climbs above what it uses. Capping the growth factor at 2x per collection
 * keeps the old generation near twice the live heap (BENCHMARKS.md: ~5–16 MB of RSS after the bench's
 * load sequence), at the price of more frequent old-generation collections.
 *
 * Large bodies turn that price into a storm: their Buffers' external memory counts against the capped
 * limit, so V8 ran a mark-compact every ~200 ms on a ~15 MB heap (100 KB pass-through at 1,500 req/s:
 * ~25 in 5 s, against 1 uncapped), for ~3 MB of RSS. So the default cap steps aside: when it makes V8
 * run STORM_GCS major collections within STORM_WINDOW_MS, it is lifted for LIFT_MS, then applied again.
 *
 * Set once the servers listen, so start-up is not slowed. NAFTIKO_RUN_HEAP_GROWTH_PERCENT=N fixes the
 * cap at N, never lifted (0 leaves V8's default); so does `node --heap-growing-percent=N` (V8 does not
 * accept that flag in NODE_OPTIONS).
 */
import v8 from 'node:v8';
import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';
import { debuglog } from 'node:util';

const debug = debuglog('naftiko-run');

export const DEFAULT_HEAP_GROWTH_PERCENT = 100;
export const STORM_GCS = 4;
export const STORM_WINDOW_MS = 1_000;
export const LIFT_MS = 10_000;

export interface HeapTuning {
  /** `fixed`: the operator's percent; `node-flag`: node's own flag; `adaptive`: the default cap, lifted during GC storms */
  readonly mode: 'fixed' | 'adaptive' | 'node-flag';
  /** stops watching collections */
  stop(): void;
}

export function tuneHeap(env: Readonly<Record<string, string | undefined>> = process.env, { liftMs = LIFT_MS }: { liftMs?: number } = {}): HeapTuning {
  if (process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return { mode: 'node-flag', stop() {} };
  const chosen = env.NAFTIKO_RUN_HEAP_GROWTH_PERCENT;
  if (chosen !== undefined && /^\d+$/.test(chosen)) {
    const percent = Number(chosen);
    if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
    return { mode: 'fixed', stop() {} };
  }
  return stormAwareCap(DEFAULT_HEAP_GROWTH_PERCENT, liftMs);
}

/** The cap, lifted for `liftMs` whenever it makes V8 collect STORM_GCS times within STORM_WINDOW_MS. */
function stormAwareCap(percent: number, liftMs: number): HeapTuning {
  const recent: number[] = [];
  let liftedUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  const apply = () => {
    timer = undefined;
    liftedUntil = 0;
    recent.length = 0;
    v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
    debug('heap growth cap on (%d %%)', percent);
  };
  apply();
  const observer = new PerformanceObserver((list) => {
    if (liftedUntil !== 0) return;
    for (const entry of list.getEntries()) {
      if (!isMajor(entry)) continue;
      const at = performance.now();
      recent.push(at);
      while (recent.length > 0 && at - recent[0]! > STORM_WINDOW_MS) recent.shift();
      if (recent.length < STORM_GCS) continue;
      // 0: V8 chooses the growth factor itself
      v8.setFlagsFromString('--heap-growing-percent=0');
      liftedUntil = at + liftMs;
      debug('heap growth cap lifted for %d ms: %d major collections within %d ms', liftMs, recent.length, STORM_WINDOW_MS);
      timer = setTimeout(apply, liftMs).unref();
      return;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    mode: 'adaptive',
    stop: () => {
      observer.disconnect();
      if (timer) clearTimeout(timer);
    },
  };
}

function isMajor(entry: PerformanceEntry): boolean {
  return (entry as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}
