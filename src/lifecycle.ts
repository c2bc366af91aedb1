/** Waits for SIGINT/SIGTERM, then closes gracefully (bounded); resolves with the exit code. */
export function closeOnSignal(close: () => Promise<void>, log: (s: string) => void, graceMs = 10_000): Promise<number> {
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log(`naftiko-run: ${signal} received, finishing in-flight calls…`);
      const force = setTimeout(() => {
        log(`naftiko-run: in-flight calls did not finish within ${graceMs / 1000} s; exiting`);
        resolve(1);
      }, graceMs);
      force.unref();
      void close().then(
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
