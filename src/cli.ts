#!/usr/bin/env node
/** `naftiko-run`: argument parsing, lifecycle, graceful shutdown. Nothing else. */
import { loadCapability } from './spec/load.js';
import { CapabilityLoadError, formatDiagnostic } from './spec/diagnostics.js';
import type { Runtime } from './runtime.js';
import { RuntimeError } from './runtime-error.js';
import { closeOnSignal, reloadOnSignal } from './lifecycle.js';
import { tuneHeap } from './heap-tuning.js';
import { VERSION } from './version.js';
import { parseCliArgs, serveFlags } from './cli-args.js';
import { crossFileNamespaces, repeatedFile, repeatedMessage } from './spec/cross-file.js';

const HELP = `naftiko-run ${VERSION} — serve a Naftiko capability as REST routes and MCP tools

Usage:
  naftiko-run [serve] FILE… [options]     serve every adapter the files expose
  naftiko-run validate FILE… [--strict]   check files; print OK or every problem (exit 0 / 1)
  naftiko-run help | version              this text | the version

Options:
  --base-uri NAMESPACE=URL   replace a consumes namespace's baseUri (sandbox, staging); repeatable
  --port NAMESPACE=PORT      listen on another port for an exposes namespace (0 = any free port); repeatable
  --host ADDR                listen on ADDR for every adapter (default: the spec's address, else 127.0.0.1)
  --strict                   warnings (unknown fields, unknown version…) are errors
  --log-level LEVEL          fatal, error, warn, info (default), debug, trace or silent
  --timeout MS               upstream response timeout (default 30000)
  --connect-timeout MS       upstream connect timeout (default 10000)
  --request-timeout MS       time a client has to send a whole request (default 30000; headers within 10000)
  --drain-timeout MS         on SIGTERM/SIGINT, how long running calls may finish (default 10000; then 503)
  --retries N                retries of idempotent upstream calls on 429/502/503/504 or a broken connection (default 2; 0 = none)
  --deadline MS              the most one upstream call may take, retries, waits and body included (default 60000)
  --upstream-concurrency N   calls in flight (and sockets) per upstream origin (default 256)
  --upstream-queue N         calls that may wait for a slot per origin; then 503 (default 1024)
  --no-circuit-breaker       never stop calling an origin that keeps failing (default: open at 50 % failures)
  --max-event-loop-lag MS    answer new requests 503 while the event loop lags more than MS (default 1000; 0 = never)
  --upstream-in-errors show|hide   whether 502/503/504 details name the upstream origin (default: show on loopback, hide elsewhere)
  --mcp-max-result-bytes N   the most text one MCP tool result carries (default 1048576); longer ones are cut and marked
  --control-port PORT        serve the control adapter on PORT (health, status, metrics, traces, POST /reload; 0 = any free port)
  --watch                    reload when a capability file changes (as SIGHUP and POST /reload do)
  -h, --help                 this text
  -v, --version              the version

Environment: bind variables (e.g. POLYTOMIC_API_KEY) are read as the capability's binds declare;
NAFTIKO_RUN_HEAP_GROWTH_PERCENT caps V8's heap growth per GC (default 100, 0 = V8's default).
Docs: README.md; error codes: docs/errors.md`;

type Out = { out: (s: string) => void; err: (s: string) => void };

export async function main(argv: readonly string[], io: Out = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(argv);
  } catch (e) {
    return usageError((e as Error).message, io);
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  if (values.help || first === 'help') {
    io.out(HELP);
    return 0;
  }
  if (values.version || first === 'version') {
    io.out(VERSION);
    return 0;
  }
  const command = first === 'validate' || first === 'serve' ? first : 'serve';
  const files = first === 'validate' || first === 'serve' ? rest : positionals;
  if (files.length === 0) return usageError('no capability file given', io);
  const repeated = repeatedFile(files);
  if (repeated) {
    io.err(`naftiko-run: ${repeatedMessage(repeated)} [NR_ERR_FILE_REPEATED]`);
    return 2;
  }
  if (command === 'validate') return validate(files, values.strict ?? false, io);

  // the servers' modules are loaded only to serve: validate, --help and --version stay quick
  const { startRuntime } = await import('./runtime.js');
  const { startupSummary } = await import('./startup-summary.js');
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

function usageError(message: string, io: Out): number {
  io.err(`naftiko-run: ${message} [NR_ERR_CLI_USAGE]\nRun naftiko-run --help for usage.`);
  return 2;
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

function validate(files: readonly string[], strict: boolean, io: Out): number {
  const results = files.map((file) => {
    try {
      return { file, ...loadCapability(file, { strict }) };
    } catch (e) {
      return { file, error: e };
    }
  });
  // each file may be fine alone and still clash with another in one serve
  const clashes = crossFileNamespaces(results.flatMap((r) => ('model' in r && r.model ? [r.model] : [])));
  let failed = false;
  for (const r of results) {
    if ('error' in r) {
      failed = true;
      if (r.error instanceof CapabilityLoadError) io.err(r.error.message);
      else io.err(`${r.file}: ${(r.error as Error).message} [NR_ERR_INTERNAL]`);
      continue;
    }
    for (const w of r.warnings) io.err(formatDiagnostic(w));
    const own = clashes.filter((d) => d.file === r.model.file);
    for (const d of own) io.err(formatDiagnostic(d));
    if (own.length) failed = true;
    else io.out(`OK ${r.file}`);
  }
  return failed ? 1 : 0;
}

function reportStartFailure(e: unknown, io: Out): number {
  if (e instanceof CapabilityLoadError) io.err(e.message);
  else if (e instanceof RuntimeError) io.err(`naftiko-run: ${e.message} [${e.code}]`);
  else io.err(`naftiko-run: ${(e as Error).message} [NR_ERR_INTERNAL]`);
  return 1;
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${(await import('node:fs')).realpathSync(process.argv[1])}`).href;
if (isEntry) {
  process.on('unhandledRejection', (e) => process.stderr.write(`naftiko-run: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`));
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
