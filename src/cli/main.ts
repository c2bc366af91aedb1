/** `naftiko-run`: picks the command from the first word and hands it the parsed arguments. Nothing else. */
import { VERSION } from '../version.js';
import { parseCliArgs } from './args.js';
import { repeatedFile, repeatedMessage } from '../spec/cross-file.js';
import { processIo, usageError, type Io } from './io.js';
import { validate } from './commands/validate.js';
import { serve } from './commands/serve.js';
import { schema } from './commands/schema.js';

export { whenServing } from './serving-hook.js';

const HELP = `naftiko-run ${VERSION} — serve a Naftiko capability as REST routes and MCP tools

Usage:
  naftiko-run [serve] FILE… [options]     serve every adapter the files expose
  naftiko-run validate FILE… [--strict]   check files; print OK or every problem (exit 0 / 1)
  naftiko-run schema [editor]             print the capability JSON Schema (2020-12; editor: its draft-07 copy)
  naftiko-run export openapi FILE [-o out.json|out.yaml] [--adapter NAMESPACE]
                                          a REST adapter's OpenAPI 3.1 document (stdout: JSON)
  naftiko-run import openapi SPEC [-o FILE] [--name NAME] [--force]
                                          a capability from an OpenAPI 2.0/3.0/3.1 file (YAML or JSON; stdout without -o)
  naftiko-run init [-o FILE] [--name NAME] [--force]
                                          write a small commented capability to start from (default capability.yaml)
  naftiko-run help | version              this text | the version

Options:
  --base-uri NAMESPACE=URL   replace a consumes namespace's baseUri (sandbox, staging); repeatable
  --port NAMESPACE=PORT      listen on another port for an exposes namespace (0 = any free port); repeatable
  --host ADDR                listen on ADDR for every adapter (default: the spec's address, else 127.0.0.1)
  --strict                   warnings (unknown fields, unknown version…) are errors
  --log-level LEVEL          fatal, error, warn, info (default), debug, trace or silent
  --log-format FORMAT        auto (default: readable lines on a terminal, JSON lines otherwise), json or pretty
  --timeout MS               upstream response timeout (default 30000)
  --connect-timeout MS       upstream connect timeout (default 10000)
  --request-timeout MS       time a client has to send a whole request (default 30000; headers within 10000)
  --drain-timeout MS         on SIGTERM/SIGINT, how long running calls may finish (default 10000; then 503)
  --retries N                retries of idempotent upstream calls on 429/502/503/504 or a broken connection (default 2; 0 = none)
  --deadline MS              the most one upstream call may take, retries, waits and body included (default 60000)
  --upstream-concurrency N   calls in flight (and sockets) per upstream origin (default 256)
  --upstream-queue N         calls that may wait for a slot per origin; then 503 (default 1024)
  --operation-concurrency N  calls in flight per exposed operation or tool (default: no limit); past it they wait
  --operation-queue N        calls that may wait per operation; then 503 NR_ERR_OPERATION_BUSY (default 64)
  --no-circuit-breaker       never stop calling an origin that keeps failing (default: open at 50 % failures)
  --max-event-loop-lag MS    answer new requests 503 while the event loop lags more than MS (default 1000; 0 = never)
  --upstream-in-errors show|hide   whether 502/503/504 details name the upstream origin (default: show on loopback, hide elsewhere)
  --mcp-max-result-bytes N   the most text one MCP tool result carries (default 1048576); longer ones are cut and marked
  --mcp-tool-timeout MS      the most one MCP tool call may take (default: none; each upstream call has --deadline); then a tool error
  --control-port PORT        serve the control adapter on PORT (health, status, metrics, traces, POST /reload; 0 = any free port)
  --watch                    reload when a capability file changes (as SIGHUP and POST /reload do)
  --workers N|auto           serve with N processes sharing every port (auto: one per core; default 1)
  --rate-limit NAME=N/WINDOW at most N calls per WINDOW (s, min, h, 10s…) of an operation or tool (NAME or NAMESPACE.NAME); repeatable
  --redis URL                share rate-limit counters, x-cache answers and OAuth2 tokens across replicas through Redis (redis://HOST:PORT)
  --redis-timeout MS         the most one Redis command may take; then this process's own state is used (default 250)
  --cors-origin ORIGIN       allow CORS from this exact origin on REST adapters (repeatable; default: CORS off)
  --cors-methods LIST        methods allowed cross-origin (default GET,HEAD,POST,PUT,PATCH,DELETE)
  --cors-headers LIST        request headers allowed cross-origin (default: those the preflight asks for)
  --no-docs                  no /openapi.json, /openapi.yaml or /docs on the REST adapters
  -h, --help                 this text
  -v, --version              the version

Environment: bind variables (e.g. POLYTOMIC_API_KEY) are read as the capability's binds declare;
NAFTIKO_RUN_HEAP_GROWTH_PERCENT caps V8's heap growth per GC (default 100, 0 = V8's default);
NAFTIKO_RUN_CODE_CACHE=DIR|off: where compiled code is kept between starts (default: the OS temporary folder).
Docs: README.md; error codes: docs/errors.md`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  // import and init parse their own flags (-o, --name, --force) and are loaded only when asked for
  if (argv[0] === 'import') return (await import('./commands/import-openapi.js')).importCommand(argv.slice(1), io);
  if (argv[0] === 'init') return (await import('./commands/init.js')).initCommand(argv.slice(1), io);
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
  if (first === 'schema') return schema(rest, io);
  if (first === 'export') {
    if (rest[0] !== 'openapi') return usageError(`${rest[0] === undefined ? 'export' : `export ${rest[0]}`}: expected export openapi FILE`, io);
    if (rest.length !== 2) return usageError(rest.length < 2 ? 'export openapi: no capability file given' : 'export openapi takes one capability file', io);
    const { exportOpenApi } = await import('./commands/export-openapi.js');
    return exportOpenApi(rest[1]!, values, io);
  }
  const command = first === 'validate' || first === 'serve' ? first : 'serve';
  const files = first === 'validate' || first === 'serve' ? rest : positionals;
  if (files.length === 0) return usageError('no capability file given', io);
  const repeated = repeatedFile(files);
  if (repeated) {
    io.err(`naftiko-run: ${repeatedMessage(repeated)} [NR_ERR_FILE_REPEATED]`);
    return 2;
  }
  if (values.output !== undefined || values.adapter !== undefined) return usageError(`${values.output !== undefined ? '-o' : '--adapter'} is an option of export openapi`, io);
  if (command === 'validate') return validate(files, values.strict ?? false, io);
  return serve(files, values, io);
}

/** Runs the CLI as a process: its exit code is the command's (src/cli/entry.ts calls this). */
export function runAsProcess(): void {
  process.on('unhandledRejection', (e) => process.stderr.write(`naftiko-run: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`));
  main(process.argv.slice(2)).then((code) => exitAfterOutput(code));
}

/**
 * Exits once stdout and stderr have written what they hold: on a pipe they write asynchronously, and
 * process.exit() would cut a large answer (`schema` prints 150 KB) short.
 */
function exitAfterOutput(code: number): void {
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0);
  if (pending.length === 0) return process.exit(code);
  let left = pending.length;
  for (const s of pending) s.once('drain', () => --left === 0 && process.exit(code));
  // a reader that never reads must not hold the process forever
  setTimeout(() => process.exit(code), 5_000).unref();
}
