/**
 * V8 grows the old generation by up to 4x after each major GC when it is cheap, so under steady load a
 * server's heap (and RSS) climbs far above what it uses: with the MCP adapter under load, ~165 MB of
 * heap for ~30 MB live. Capping the growth factor at 2x keeps RSS near the live size (BENCHMARKS.md).
 * Set once the servers listen, so start-up is not slowed by extra collections; skipped when the user
 * sets the flag through NODE_OPTIONS or argv.
 */
import v8 from 'node:v8';

const FLAG = '--heap-growing-percent';

export function tuneHeap(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes(FLAG.slice(2)) || a.includes('heap_growing_percent'));
  if (!given) v8.setFlagsFromString(`${FLAG}=100`);
}
