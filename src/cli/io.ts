/** Where a command writes: its output and its diagnostics (tests pass their own). */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

export const processIo: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

/** A usage mistake: the message, the advice, exit 2. */
export function usageError(message: string, io: Io): number {
  io.err(`naftiko-run: ${message} [NR_ERR_CLI_USAGE]\nRun naftiko-run --help for usage.`);
  return 2;
}
