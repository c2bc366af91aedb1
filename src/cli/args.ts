/**
 * The command line of `naftiko-run` and of `npm run demo`: one parser, so both accept the same
 * --port/--host/--base-uri/--log-level/timeout flags with the same messages.
 */
import { parseArgs } from 'node:util';
import { RuntimeError } from '../runtime-error.js';
import type { ServeOptions } from '../runtime.js';
import { CORS_METHODS, corsOriginProblem, type CorsSettings } from '../expose/rest/cors-settings.js';
import type { RateLimit } from '../spec/model.js';
import { parseDuration } from '../spec/duration.js';
import { checkRedisUrl } from '../shared/redis.js';

const OPTIONS = {
  'base-uri': { type: 'string', multiple: true },
  port: { type: 'string', multiple: true },
  host: { type: 'string' },
  strict: { type: 'boolean' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  timeout: { type: 'string' },
  'connect-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  'drain-timeout': { type: 'string' },
  'mcp-max-result-bytes': { type: 'string' },
  'mcp-tool-timeout': { type: 'string' },
  retries: { type: 'string' },
  deadline: { type: 'string' },
  'upstream-concurrency': { type: 'string' },
  'upstream-queue': { type: 'string' },
  'operation-concurrency': { type: 'string' },
  'operation-queue': { type: 'string' },
  'no-circuit-breaker': { type: 'boolean' },
  'upstream-in-errors': { type: 'string' },
  'max-event-loop-lag': { type: 'string' },
  'control-port': { type: 'string' },
  watch: { type: 'boolean' },
  workers: { type: 'string' },
  'cors-origin': { type: 'string', multiple: true },
  'cors-methods': { type: 'string' },
  'cors-headers': { type: 'string' },
  'no-docs': { type: 'boolean' },
  'rate-limit': { type: 'string', multiple: true },
  redis: { type: 'string' },
  'redis-timeout': { type: 'string' },
  output: { type: 'string', short: 'o' },
  adapter: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface CliArgs {
  readonly positionals: readonly string[];
  readonly values: {
    readonly 'base-uri'?: string[];
    readonly port?: string[];
    readonly host?: string;
    readonly strict?: boolean;
    readonly 'log-level'?: string;
    readonly 'log-format'?: string;
    readonly timeout?: string;
    readonly 'connect-timeout'?: string;
    readonly 'request-timeout'?: string;
    readonly 'drain-timeout'?: string;
    readonly 'mcp-max-result-bytes'?: string;
    readonly 'mcp-tool-timeout'?: string;
    readonly retries?: string;
    readonly deadline?: string;
    readonly 'upstream-concurrency'?: string;
    readonly 'upstream-queue'?: string;
    readonly 'operation-concurrency'?: string;
    readonly 'operation-queue'?: string;
    readonly 'no-circuit-breaker'?: boolean;
    readonly 'upstream-in-errors'?: string;
    readonly 'max-event-loop-lag'?: string;
    readonly 'control-port'?: string;
    readonly watch?: boolean;
    readonly workers?: string;
    readonly 'cors-origin'?: string[];
    readonly 'cors-methods'?: string;
    readonly 'cors-headers'?: string;
    readonly 'no-docs'?: boolean;
    readonly 'rate-limit'?: string[];
    readonly redis?: string;
    readonly 'redis-timeout'?: string;
    readonly output?: string;
    readonly adapter?: string;
    readonly help?: boolean;
    readonly version?: boolean;
  };
}

/** Throws RuntimeError NR_ERR_CLI_USAGE for an unknown option or a missing value. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    throw new RuntimeError('NR_ERR_CLI_USAGE', usageMessage((e as Error).message));
  }
}

/** Node's parseArgs messages, without their advice about positionals (which ends in an unbalanced quote). */
export function usageMessage(nodeMessage: string): string {
  const unknown = /^Unknown option '([^']+)'/.exec(nodeMessage);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(-\w, )?(--[\w-]+)[^']*' argument missing/.exec(nodeMessage);
  if (missing) return `${missing[2]} needs a value`;
  return nodeMessage;
}

export interface ServeFlags {
  readonly options: Omit<ServeOptions, 'files'>;
  readonly drainMs: number | undefined;
}

/**
 * The serve options the flags ask for. `namespaces` lists the exposes namespaces of the files being
 * served, named when a --port lacks its NAMESPACE=.
 */
export function serveFlags(values: CliArgs['values'], defaults: { logLevel: string }, namespaces: () => readonly string[]): ServeFlags {
  const drainMs = values['drain-timeout'] !== undefined ? millis(values['drain-timeout'], '--drain-timeout') : undefined;
  const logLevel = values['log-level'] ?? defaults.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--log-level ${logLevel}: expected ${LOG_LEVELS.slice(0, -1).join(', ')} or silent`);
  const options: Omit<ServeOptions, 'files'> = {
    strict: values.strict ?? false,
    baseUris: pairs(values['base-uri'] ?? [], '--base-uri', (v) => v, () => 'a consumes namespace'),
    ports: pairs(values.port ?? [], '--port', portNumber, () => {
      const known = namespaces();
      return `an exposes namespace${known.length ? ` (adapters of the given files: ${known.join(', ')})` : ''}`;
    }),
    ...(values.host !== undefined ? { host: values.host } : {}),
    logLevel,
    ...(values['log-format'] !== undefined ? { logFormat: oneOf(values['log-format'], '--log-format', ['auto', 'json', 'pretty'] as const) } : {}),
    ...(values['request-timeout'] !== undefined ? { requestTimeoutMs: millis(values['request-timeout'], '--request-timeout') } : {}),
    ...(values['max-event-loop-lag'] !== undefined ? { maxEventLoopLagMs: count(values['max-event-loop-lag'], '--max-event-loop-lag') } : {}),
    ...(values['upstream-in-errors'] !== undefined ? { upstreamInErrors: oneOf(values['upstream-in-errors'], '--upstream-in-errors', ['show', 'hide'] as const) } : {}),
    ...(values['control-port'] !== undefined ? { controlPort: portNumber(values['control-port'], `--control-port ${values['control-port']}`) } : {}),
    ...(values.watch ? { watch: true } : {}),
    ...(corsFlags(values) ?? {}),
    ...(values['no-docs'] ? { docs: false } : {}),
    ...(values['rate-limit']?.length ? { rateLimits: rateLimitFlags(values['rate-limit']) } : {}),
    ...(values.redis !== undefined ? { redis: checkRedisUrl(values.redis) } : {}),
    ...(values['redis-timeout'] !== undefined ? { redisTimeoutMs: millis(values['redis-timeout'], '--redis-timeout') } : {}),
    ...(values['mcp-tool-timeout'] !== undefined ? { mcpToolTimeoutMs: millis(values['mcp-tool-timeout'], '--mcp-tool-timeout') } : {}),
    ...(values['mcp-max-result-bytes'] !== undefined ? { mcpMaxResultBytes: positiveInteger(values['mcp-max-result-bytes'], '--mcp-max-result-bytes', 'bytes') } : {}),
    invoker: {
      ...(values.timeout !== undefined ? { responseTimeoutMs: millis(values.timeout, '--timeout') } : {}),
      ...(values['connect-timeout'] !== undefined ? { connectTimeoutMs: millis(values['connect-timeout'], '--connect-timeout') } : {}),
      ...(values.retries !== undefined ? { retries: count(values.retries, '--retries') } : {}),
      ...(values.deadline !== undefined ? { deadlineMs: millis(values.deadline, '--deadline') } : {}),
      ...(values['upstream-concurrency'] !== undefined ? { connectionsPerOrigin: positiveInteger(values['upstream-concurrency'], '--upstream-concurrency', 'calls') } : {}),
      ...(values['upstream-queue'] !== undefined ? { upstreamQueue: count(values['upstream-queue'], '--upstream-queue') } : {}),
      ...(values['operation-concurrency'] !== undefined ? { operationConcurrency: positiveInteger(values['operation-concurrency'], '--operation-concurrency', 'calls') } : {}),
      ...(values['operation-queue'] !== undefined ? { operationQueue: count(values['operation-queue'], '--operation-queue') } : {}),
      ...(values['no-circuit-breaker'] ? { circuitBreaker: false } : {}),
    },
  };
  return { options, drainMs };
}

/** `--cors-origin` (repeatable, exact origins), `--cors-methods`, `--cors-headers` (comma-separated lists). */
function corsFlags(values: CliArgs['values']): { cors: CorsSettings } | undefined {
  const origins = values['cors-origin'] ?? [];
  if (origins.length === 0) {
    const stray = values['cors-methods'] !== undefined ? '--cors-methods' : values['cors-headers'] !== undefined ? '--cors-headers' : undefined;
    if (stray) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${stray} needs at least one --cors-origin ORIGIN (CORS is off without one)`);
    return undefined;
  }
  for (const origin of origins) {
    const problem = corsOriginProblem(origin);
    if (problem) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--cors-origin ${origin}: ${problem}`);
  }
  const list = (v: string) => v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const methods = values['cors-methods'] !== undefined ? list(values['cors-methods']).map((m) => m.toUpperCase()) : undefined;
  const badMethod = methods?.find((m) => !(CORS_METHODS as readonly string[]).includes(m));
  if (methods && (methods.length === 0 || badMethod)) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--cors-methods ${values['cors-methods']}: expected a comma-separated list of ${CORS_METHODS.join(', ')}`);
  const headers = values['cors-headers'] !== undefined ? list(values['cors-headers']) : undefined;
  const badHeader = headers?.find((h) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h));
  if (headers && (headers.length === 0 || badHeader)) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--cors-headers ${values['cors-headers']}: expected a comma-separated list of header names${badHeader ? ` (${JSON.stringify(badHeader)} is not one)` : ''}`);
  return { cors: { origins: [...new Set(origins)], ...(methods ? { methods } : {}), ...(headers ? { headers } : {}) } };
}

/**
 * `--rate-limit NAME=N/WINDOW` (repeatable): NAME is an exposed operation's or tool's name, or
 * `namespace.name` for one adapter's; WINDOW a duration (`1s`, `1m`…) or a bare unit (`s`, `min`, `h`).
 */
export function rateLimitFlags(list: readonly string[]): Map<string, RateLimit> {
  const out = new Map<string, RateLimit>();
  for (const item of list) {
    const m = /^([^=\s]+)=([1-9][0-9]*)\/(\S+)$/.exec(item);
    const unit = m ? ({ s: '1s', sec: '1s', second: '1s', m: '1m', min: '1m', minute: '1m', h: '1h', hour: '1h' } as Record<string, string>)[m[3]!] ?? m[3]! : '';
    const windowMs = parseDuration(unit);
    if (!m || windowMs === undefined || !Number.isSafeInteger(Number(m[2]))) {
      throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--rate-limit ${item}: expected NAME=N/WINDOW, e.g. list-syncs=100/1m or mcp.get-note=10/s (WINDOW: s, min, h or a duration like 10s, 500ms)`);
    }
    out.set(m[1]!, { max: Number(m[2]), windowMs });
  }
  return out;
}

/** `--workers N|auto`: how many processes serve (default 1: this one; auto: one per core). */
export function workerCount(value: string | undefined, cores: number): number {
  if (value === undefined) return 1;
  if (value === 'auto') return Math.max(1, cores);
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 256) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--workers ${value}: expected a number of processes from 1 to 256, or auto (one per core: ${cores} here)`);
  return Number(value);
}

function pairs<T>(list: readonly string[], flag: string, parse: (v: string, flag: string) => T, what: () => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      const value = flag === '--port' ? 'PORT' : 'URL';
      throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag} ${item}: expected NAMESPACE=${value}, NAMESPACE being ${what()}`);
    }
    out.set(item.slice(0, eq), parse(item.slice(eq + 1), `${flag} ${item}`));
  }
  return out;
}

function portNumber(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag}: port must be an integer 0–65535 (0 = any free port)`);
  return n;
}

function millis(v: string, flag: string): number {
  return positiveInteger(v, flag, 'milliseconds');
}

function positiveInteger(v: string, flag: string, unit: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || !Number.isSafeInteger(n)) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag} ${v}: expected a positive number of ${unit}`);
  return n;
}

function count(v: string, flag: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag} ${v}: expected a whole number (0 or more)`);
  return Number(v);
}

function oneOf<T extends string>(v: string, flag: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `${flag} ${v}: expected ${allowed.join(' or ')}`);
  return v as T;
}
