/** `naftiko-run [serve] FILE…`: start every adapter, print where, reload on SIGHUP, drain on SIGTERM/SIGINT. */
import { loadCapability } from '../../spec/load.js';
import { CapabilityLoadError } from '../../spec/diagnostics.js';
import type { Runtime } from '../../runtime.js';
import { RuntimeError } from '../../runtime-error.js';
import { closeOnSignal, reloadOnSignal } from '../lifecycle.js';
import { tuneHeap } from '../heap-tuning.js';
import { serving } from '../serving-hook.js';
import { useParseCache } from '../../spec/parse-cache.js';
import { fileParseCache } from '../parse-cache-file.js';
import { serveFlags, workerCount, type CliArgs } from '../args.js';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { workerLink } from '../workers/worker.js';
import { WORKER_SUMMARY_ENV } from '../workers/messages.js';
import { DEFAULT_DRAIN_MS } from '../../serve/defaults.js';
import type { Io } from '../io.js';

export async function serve(files: readonly string[], values: CliArgs['values'], io: Io): Promise<number> {
  // a start reads what an earlier start parsed of the same files (the code cache's folder)
  useParseCache(fileParseCache());
  let workers: number;
  try {
    workers = workerCount(values.workers, availableParallelism());
  } catch (e) {
    return reportStartFailure(e, io);
  }
  if (workers > 1 && cluster.isPrimary) return servePrimary(files, values, workers, io);
  const link = cluster.isWorker ? workerLink() : undefined;
  // the servers' modules are loaded only to serve: validate, --help and --version stay quick
  const { startRuntime } = await import('../../runtime.js');
  const { startupSummary } = await import('../startup-summary.js');
  let runtime: Runtime;
  let drainMs: number | undefined;
  try {
    const flags = serveFlags(values, { logLevel: 'info' }, () => exposesNamespaces(files));
    drainMs = flags.drainMs;
    // the primary watches the files for all workers
    runtime = await startRuntime({ ...flags.options, files, ...(link ? { cluster: link, watch: false } : {}) });
  } catch (e) {
    return reportStartFailure(e, io);
  }
  serving(); // before tuneHeap: the code cache is made with V8's flags as a start has them
  tuneHeap();
  link?.attach(runtime);
  const stdio = runtime.adapters.some((a) => a.url === 'stdio');
  // the handlers before the summary: a SIGHUP or SIGTERM sent as soon as the addresses are printed finds them
  const stopReloadOnHangup = reloadOnSignal(() => runtime.reload('signal'));
  const closed = closeOnSignal((ms) => runtime.close(ms), stdio ? io.err : io.out, drainMs);
  if (!link || process.env[WORKER_SUMMARY_ENV]) (stdio ? io.err : io.out)(startupSummary(runtime));
  const code = await closed;
  stopReloadOnHangup();
  return code;
}

/**
 * `--workers N` in the process the user started: the files are checked once here, so a problem is
 * reported once rather than by every worker, then the workers are forked.
 */
async function servePrimary(files: readonly string[], values: CliArgs['values'], workers: number, io: Io): Promise<number> {
  let flags: ReturnType<typeof serveFlags>;
  try {
    flags = serveFlags(values, { logLevel: 'info' }, () => exposesNamespaces(files));
    const { loadFiles } = await import('../../serve/load-files.js');
    const models = loadFiles({ ...flags.options, files }).map((l) => l.model);
    const stdio = models.flatMap((m) => m.exposes).find((a) => a.type === 'mcp' && a.transport === 'stdio');
    if (stdio) throw new RuntimeError('NR_ERR_WORKERS_STDIO', `--workers ${workers}: adapter "${stdio.namespace}" is an MCP adapter on stdio, which one process serves; serve it without --workers`);
    if (flags.options.rateLimits) (await import('../../shared/shared-state.js')).checkRateLimitNames(models, flags.options.rateLimits);
  } catch (e) {
    return reportStartFailure(e, io);
  }
  const { runPrimary } = await import('../workers/primary.js');
  return runPrimary({ workers, files, watch: values.watch ?? false, drainMs: flags.drainMs ?? DEFAULT_DRAIN_MS }, io);
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
