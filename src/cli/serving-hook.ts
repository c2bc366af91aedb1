/**
 * One moment other code may wait for: the servers of `serve` listen. The CLI's loader (src/cli/code-cache.ts)
 * writes the code cache then, before the heap flags change (src/cli/heap-tuning.ts).
 */
let waiting: Array<() => void> = [];

export function whenServing(fn: () => void): void {
  waiting.push(fn);
}

/** Runs (once) what waits for the servers to listen; a failure of one is not the server's. */
export function serving(): void {
  const fns = waiting;
  waiting = [];
  for (const fn of fns) {
    try {
      fn();
    } catch {
      // best effort (the code cache): serving goes on
    }
  }
}
