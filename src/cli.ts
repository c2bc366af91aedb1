#!/usr/bin/env node
/** `naftiko-run`: argument parsing, lifecycle, graceful shutdown. Nothing else. */
import { parseArgs } from 'node:util';
import { loadCapability } from './spec/load.js';
import { CapabilityLoadError, formatDiagnostic } from './spec/diagnostics.js';
import type { Runtime } from './runtime.js';
import { RuntimeError } from './runtime-error.js';
import { closeOnSignal } from './lifecycle.js';
import { tuneHeap } from './heap-tuning.js';
import { VERSION } from './version.js';

const HELP = `naftiko-run ${VERSION} — serve a Naftiko capability as REST routes and MCP tools

Usage:
  naftiko-run [serve] FILE… [options]     serve every adapter the files expose
  naftiko-run validate FILE… [--strict]   check files; print OK or every problem (exit 0 / 1)

Options:
  --base-uri NAMESPACE=URL   replace a consumes namespace's baseUri (sandbox, staging); repeatable
  --port NAMESPACE=PORT      listen on another port for an exposes namespace; repeatable
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
  -h, --help                 this text
  -v, --version              the version

Environment: bind variables (e.g. POLYTOMIC_API_KEY) are read as the capability's binds declare;
NAFTIKO_RUN_HEAP_GROWTH_PERCENT caps V8's heap growth per GC (default 100, 0 = V8's default).
Docs: README.md; error codes: docs/errors.md`;

type Out = { out: (s: string) => void; err: (s: string) => void };

export async function main(argv: readonly string[], io: Out = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'base-uri': { type: 'string', multiple: true },
        port: { type: 'string', multiple: true },
        host: { type: 'string' },
        strict: { type: 'boolean' },
        'log-level': { type: 'string' },
        timeout: { type: 'string' },
        'connect-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'mcp-max-result-bytes': { type: 'string' },
        retries: { type: 'string' },
        deadline: { type: 'string' },
        'upstream-concurrency': { type: 'string' },
        'upstream-queue': { type: 'string' },
        'no-circuit-breaker': { type: 'boolean' },
        'upstream-in-errors': { type: 'string' },
        'max-event-loop-lag': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    io.err(`naftiko-run: ${(e as Error).message} [NR_ERR_CLI_USAGE]\nRun naftiko-run --help for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (values.version) {
    io.out(VERSION);
    return 0;
  }
  const [first, ...rest] = positionals;
  const command = first === 'validate' || first === 'serve' ? first : 'serve';
  const files = first === 'validate' || first === 'serve' ? rest : positionals;
  if (files.length === 0) {
    io.err(`naftiko-run: no capability file given [NR_ERR_CLI_USAGE]\nRun naftiko-run --help for usage.`);
    return 2;
  }
  if (command === 'validate') return validate(files, values.strict ?? false, io);

  // the servers' modules are loaded only to serve: validate, --help and --version stay quick
  const { startRuntime } = await import('./runtime.js');
  const { startupSummary } = await import('./startup-summary.js');
  let runtime: Runtime;
  let drainMs: number | undefined;
  try {
    drainMs = values['drain-timeout'] !== undefined ? millis(values['drain-timeout'], '--drain-timeout') : undefined;
    const logLevel = values['log-level'] ?? 'info';
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--log-level ${logLevel}: expected fatal, error, warn, info, debug, trace or silent`);
    runtime = await startRuntime({
      files,
      strict: values.strict ?? false,
      baseUris: pairs(values['base-uri'] ?? [], '--base-uri', (v) => v),
      ports: pairs(values.port ?? [], '--port', portNumber),
      ...(values.host !== undefined ? { host: values.host } : {}),
      logLevel,
      ...(values['request-timeout'] !== undefined ? { requestTimeoutMs: millis(values['request-timeout'], '--request-timeout') } : {}),
      ...(values['max-event-loop-lag'] !== undefined ? { maxEventLoopLagMs: count(values['max-event-loop-lag'], '--max-event-loop-lag') } : {}),
      ...(values['upstream-in-errors'] !== undefined ? { upstreamInErrors: oneOf(values['upstream-in-errors'], '--upstream-in-errors', ['show', 'hide'] as const) } : {}),
      ...(values['mcp-max-result-bytes'] !== undefined ? { mcpMaxResultBytes: positiveInteger(values['mcp-max-result-bytes'], '--mcp-max-result-bytes', 'bytes') } : {}),
      invoker: {
        ...(values.timeout !== undefined ? { responseTimeoutMs: millis(values.timeout, '--timeout') } : {}),
        ...(values['connect-timeout'] !== undefined ? { connectTimeoutMs: millis(values['connect-timeout'], '--connect-timeout') } : {}),
        ...(values.retries !== undefined ? { retries: count(values.retries, '--retries') } : {}),
        ...(values.deadline !== undefined ? { deadlineMs: millis(values.deadline, '--deadline') } : {}),
        ...(values['upstream-concurrency'] !== undefined ? { connectionsPerOrigin: positiveInteger(values['upstream-concurrency'], '--upstream-concurrency', 'calls') } : {}),
        ...(values['upstream-queue'] !== undefined ? { upstreamQueue: count(values['upstream-queue'], '--upstream-queue') } : {}),
        ...(values['no-circuit-breaker'] ? { circuitBreaker: false } : {}),
      },
    });
  } catch (e) {
    return reportStartFailure(e, io);
  }
  tuneHeap();
  const stdio = runtime.adapters.some((a) => a.url === 'stdio');
  (stdio ? io.err : io.out)(startupSummary(runtime));
  return closeOnSignal((ms) => runtime.close(ms), stdio ? io.err : io.out, drainMs);
}

function validate(files: readonly string[], strict: boolean, io: Out): number {
  let failed = false;
  for (const file of files) {
    try {
      const { warnings } = loadCapability(file, { strict });
      for (const w of warnings) io.err(formatDiagnostic(w));
      io.out(`OK ${file}`);
    } catch (e) {
      failed = true;
      if (e instanceof CapabilityLoadError) io.err(e.message);
      else io.err(`${file}: ${(e as Error).message} [NR_ERR_INTERNAL]`);
    }
  }
  return failed ? 1 : 0;
}

function reportStartFailure(e: unknown, io: Out): number {
  if (e instanceof CapabilityLoadError) io.err(e.message);
  else if (e instanceof RuntimeError) io.err(`naftiko-run: ${e.message} [${e.code}]`);
  else io.err(`naftiko-run: ${(e as Error).message} [NR_ERR_INTERNAL]`);
  return 1;
}

function pairs<T>(list: readonly string[], flag: string, parse: (v: string, flag: string) => T): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag} ${item}: expected NAMESPACE=VALUE`);
    out.set(item.slice(0, eq), parse(item.slice(eq + 1), `${flag} ${item}`));
  }
  return out;
}

function portNumber(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag}: port must be an integer 0–65535`);
  return n;
}

function millis(v: string, flag: string): number {
  return positiveInteger(v, flag, 'milliseconds');
}

function oneOf<T extends string>(v: string, flag: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag} ${v}: expected ${allowed.join(' or ')}`);
  return v as T;
}

function count(v: string, flag: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag} ${v}: expected a whole number (0 or more)`);
  return Number(v);
}

function positiveInteger(v: string, flag: string, unit: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || !Number.isSafeInteger(n)) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag} ${v}: expected a positive number of ${unit}`);
  return n;
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${(await import('node:fs')).realpathSync(process.argv[1])}`).href;
if (isEntry) {
  process.on('unhandledRejection', (e) => process.stderr.write(`naftiko-run: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`));
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
