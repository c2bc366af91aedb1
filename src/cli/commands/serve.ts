/** `naftiko-run [serve] FILE…`: start every adapter, print where, reload on SIGHUP, drain on SIGTERM/SIGINT. */
import { loadCapability } from '../../spec/load.js';
import { CapabilityLoadError } from '../../spec/diagnostics.js';
import type { Runtime } from '../../runtime.js';
import { RuntimeError } from '../../runtime-error.js';
import { closeOnSignal, reloadOnSignal } from '../lifecycle.js';
import { tuneHeap } from '../heap-tuning.js';
import { serveFlags, type CliArgs } from '../args.js';
import type { Io } from '../io.js';

export async function serve(files: readonly string[], values: CliArgs['values'], io: Io): Promise<number> {
  // the servers' modules are loaded only to serve: validate, --help and --version stay quick
  const { startRuntime } = await import('../../runtime.js');
  const { startupSummary } = await import('../startup-summary.js');
  let runtime: Runtime;
  let drainMs: number | undefined;
  try {
    const flags = serveFlags(values, { logLevel: 'info' }, () => exposesNamespaces(files));
    drainMs = flags.drainMs;
    runtime = await startRuntime({ ...flags.options, files });
  } catch (e) {
    return reportStartFailure(e, io);
  }
  tuneHeap();
  const stdio = runtime.adapters.some((a) => a.url === 'stdio');
  (stdio ? io.err : io.out)(startupSummary(runtime));
  const stopReloadOnHangup = reloadOnSignal(() => runtime.reload('signal'));
  const code = await closeOnSignal((ms) => runtime.close(ms), stdio ? io.err : io.out, drainMs);
  stopReloadOnHangup();
  return code;
}

/** The exposes namespaces of the files that load (for a usage message; load problems are reported later). */
function exposesNamespaces(files: readonly string[]): string[] {
  return files.flatMap((f) => {
    try {
      return loadCapability(f).model.exposes.map((e) => e.namespace);
    } catch {
      return [];
    }
  });
}

function reportStartFailure(e: unknown, io: Io): number {
  if (e instanceof CapabilityLoadError) io.err(e.message);
  else if (e instanceof RuntimeError) io.err(`naftiko-run: ${e.message} [${e.code}]`);
  else io.err(`naftiko-run: ${(e as Error).message} [NR_ERR_INTERNAL]`);
  return 1;
}
