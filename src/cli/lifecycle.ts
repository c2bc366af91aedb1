/**
 * Process signals. Waits for SIGINT/SIGTERM, then closes gracefully: `close(graceMs)` answers what is still running at
 * the deadline itself, so it resolves in time and the exit code is 0; a close that hangs past the
 * deadline (plus a margin) exits 1.
 */
export function closeOnSignal(close: (graceMs: number) => Promise<void>, log: (s: string) => void, graceMs = 10_000): Promise<number> {
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log(`naftiko-run: ${signal} received, finishing in-flight calls…`);
      const force = setTimeout(() => {
        log(`naftiko-run: the servers did not close within ${graceMs / 1000} s; exiting`);
        resolve(1);
      }, graceMs + 5_000);
      force.unref();
      void close(graceMs).then(
        () => {
          clearTimeout(force);
          resolve(0);
        },
        (e: unknown) => {
          log(`naftiko-run: error while closing: ${(e as Error).message}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** SIGHUP reloads the capability files (the outcome is logged by the runtime); returns a function that stops listening. */
export function reloadOnSignal(reload: () => Promise<unknown>): () => void {
  const onHangup = () => void reload();
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
