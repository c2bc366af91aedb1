/** Defaults of the serve lifecycle that the CLI's primary process needs without loading the runtime. */

/** How long running calls may finish after SIGTERM/SIGINT (`--drain-timeout`); then each gets a 503. */
export const DEFAULT_DRAIN_MS = 10_000;
