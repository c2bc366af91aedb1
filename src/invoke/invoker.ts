/**
 * The one invoker every adapter calls: (exposed operation, checked inputs) → result. Adapters turn their
 * request into inputs and the result into their own answer; none of them touches undici.
 */
import { ConcurrencyLimiter, type LimiterOptions } from '../consume/limiter.js';
import type { Readable } from 'node:stream';
import type { BoundVariable, CapabilityModel, CallHandler, ConsumedApi, ExposedOperation, ForwardSpec, OutputNode } from '../spec/model.js';
import { isRootPath } from '../spec/build-output.js';
import { renderTemplate, soleReference } from '../spec/template.js';
import { UpstreamPools, type UpstreamObserver } from '../consume/pools.js';
import type { StepObserver } from './orchestrate.js';
import { DEFAULT_DEADLINE_MS, limitedStream, type Timeouts } from '../consume/send.js';
import { DEFAULT_RETRY } from '../consume/retry.js';
import { DEFAULT_BREAKER } from '../consume/breaker.js';
import { compileOutput, type Mapper } from '../consume/shape.js';
import { InvokeError } from '../consume/errors.js';
import { prepareCall } from './consumed-call.js';
import { bindSteps } from './orchestrate.js';
import { ScriptRunner } from './script-runner.js';
import { safeHeaders } from '../consume/safe-headers.js';
import { bindForward, type ForwardInvocation } from './forward.js';
import type { CallSignal } from '../consume/call-signal.js';
import type { RateLimit } from '../spec/model.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import { rateLimited } from '../limits/rate-limited.js';
import type { ResponseCache } from '../shared/response-cache.js';
import type { TokenStore } from '../shared/token-store.js';

export interface InvokerOptions {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly maxResponseBytes: number;
  /** sockets, and calls in flight, per upstream origin (`--upstream-concurrency`) */
  readonly connectionsPerOrigin: number;
  /** calls that may wait for a slot per origin before 503 NR_ERR_UPSTREAM_BUSY (`--upstream-queue`) */
  readonly upstreamQueue?: number;
  /** retries of idempotent calls (`--retries`, default 2; 0 = none) */
  readonly retries?: number;
  /** ms one upstream call may take, retries and waits included (`--deadline`, default 60 s) */
  readonly deadlineMs?: number;
  /** the per-origin circuit breaker (default on; `--no-circuit-breaker`) */
  readonly circuitBreaker?: boolean;
  /** told of every upstream attempt (the debug log, metrics, traces) */
  readonly upstreamObserver?: UpstreamObserver;
  /** runs every orchestration step (metrics, traces) */
  readonly stepObserver?: StepObserver;
  /** `--base-uri NAMESPACE=URL` */
  readonly baseUriOverrides?: ReadonlyMap<string, string>;
  /** calls in flight per exposed operation or tool (`--operation-concurrency`; absent = no limit) */
  readonly operationConcurrency?: number;
  /** calls that may wait for one of them before 503 NR_ERR_OPERATION_BUSY (`--operation-queue`, default 64) */
  readonly operationQueue?: number;
  /** counts the calls of operations with a rate limit (one per process: it outlives reloads) */
  readonly rateLimiter?: RateLimiter;
  /** `--rate-limit NAME=N/WINDOW`, by operation or tool name or `namespace.name`; overrides `x-rate-limit` */
  readonly rateLimitOverrides?: ReadonlyMap<string, RateLimit>;
  /** keeps the answers of consumed GET operations with `x-cache` */
  readonly responseCache?: ResponseCache;
  /** OAuth2 client-credentials tokens shared with other replicas (`--redis`) */
  readonly tokenStore?: TokenStore;
}

export const DEFAULT_OPERATION_QUEUE = 64;

export const DEFAULT_INVOKER_OPTIONS: InvokerOptions = {
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 30_000,
  maxResponseBytes: 32 * 1024 * 1024,
  connectionsPerOrigin: 256,
};

export type InvokeResult =
  /** upstream body, unread: pass-through, or any non-2xx answer */
  | { readonly kind: 'stream'; readonly status: number; readonly headers: Record<string, string>; readonly body: Readable & AsyncIterable<Buffer>; readonly step?: FailedStep }
  /** a mapped or mock output */
  | { readonly kind: 'value'; readonly status: number; readonly headers: Record<string, string>; readonly value: unknown; readonly step?: FailedStep };

/** The orchestration step whose upstream answer (≥ 300) ended the run. */
export interface FailedStep {
  readonly name: string;
  readonly call: string;
}

export type BoundInvocation = (inputs: Readonly<Record<string, unknown>>, signal?: CallSignal) => Promise<InvokeResult>;

export class Invoker {
  readonly pools: UpstreamPools;
  private readonly timeouts: Timeouts;
  private readonly apis: ReadonlyMap<string, ConsumedApi>;
  private scriptRunner: ScriptRunner | undefined;

  constructor(
    private readonly model: CapabilityModel,
    private readonly options: InvokerOptions = DEFAULT_INVOKER_OPTIONS,
  ) {
    this.pools = new UpstreamPools({
      connectTimeout: options.connectTimeoutMs,
      connections: options.connectionsPerOrigin,
      ...(options.upstreamQueue !== undefined ? { queue: options.upstreamQueue } : {}),
      retry: { ...DEFAULT_RETRY, ...(options.retries !== undefined ? { retries: options.retries } : {}) },
      breaker: options.circuitBreaker === false ? { ...DEFAULT_BREAKER, failureRate: 0 } : DEFAULT_BREAKER,
      ...(options.upstreamObserver ? { observer: options.upstreamObserver } : {}),
      ...(options.tokenStore ? { tokenStore: options.tokenStore } : {}),
    });
    this.timeouts = { response: options.responseTimeoutMs, body: options.responseTimeoutMs, deadline: options.deadlineMs ?? DEFAULT_DEADLINE_MS };
    this.apis = new Map(model.consumes.map((a) => [a.namespace, a]));
  }

  /** Compiles everything about `op` that does not depend on a call; done once at start-up. */
  bind(op: ExposedOperation): BoundInvocation {
    const run = this.bindHandler(op);
    const max = this.options.operationConcurrency;
    const limited = max === undefined || op.handler.kind === 'mock' ? run : limitOperation(op.id, run, { max, queue: this.options.operationQueue ?? DEFAULT_OPERATION_QUEUE }, this.timeouts.deadline ?? DEFAULT_DEADLINE_MS);
    const overrides = this.options.rateLimitOverrides;
    const rate = overrides?.get(`${op.adapter}.${op.name}`) ?? overrides?.get(op.name) ?? op.rateLimit;
    const limiter = this.options.rateLimiter;
    // counted before a concurrency slot is taken: a refused call never waits
    return rate && limiter ? rateLimited(op.id, `${op.adapter}:${op.id}`, rate, limiter, limited) : limited;
  }

  private bindHandler(op: ExposedOperation): BoundInvocation {
    const handler = op.handler;
    switch (handler.kind) {
      case 'mock': {
        const map = compileOutput(handler.output);
        return async (inputs) => ({ kind: 'value', status: 200, headers: {}, value: map(undefined, inputs) });
      }
      case 'unserved':
        return async () => {
          throw new InvokeError('NR_ERR_NOT_IMPLEMENTED', 501, 'Not implemented',
            handler.detail ?? `${op.id} uses ${handler.feature === 'none' ? 'no call' : `"${handler.feature}"`}, which naftiko-run does not serve yet`);
        };
      case 'call':
        return this.bindCall(handler);
      case 'steps':
        return bindSteps(op.id, handler, {
          pools: this.pools,
          timeouts: this.timeouts,
          variables: this.model.variables,
          maxResponseBytes: this.options.maxResponseBytes,
          apis: this.apis,
          ...(this.options.baseUriOverrides ? { baseUriOverrides: this.options.baseUriOverrides } : {}),
          scripts: () => (this.scriptRunner ??= new ScriptRunner()),
          ...(this.options.responseCache ? { responseCache: this.options.responseCache } : {}),
          ...(this.options.stepObserver ? { stepObserver: this.options.stepObserver } : {}),
        });
    }
  }

  private bindCall(handler: CallHandler): BoundInvocation {
    const target = handler.operation;
    const api = this.apis.get(target.namespace)!;
    const override = this.options.baseUriOverrides?.get(api.namespace);
    const map: Mapper | undefined = handler.output.kind === 'mapped' ? compileOutput(handler.output.root) : undefined;
    const call = prepareCall(api, target, {
      pools: this.pools, timeouts: this.timeouts, variables: this.model.variables, maxResponseBytes: this.options.maxResponseBytes,
      ...(this.options.responseCache ? { responseCache: this.options.responseCache } : {}),
      ...(override !== undefined ? { baseUriOverride: override } : {}),
    }, map !== undefined);
    const buildArgs = argumentBuilder(handler, this.model.variables);
    const unwrap = handler.output.kind === 'mapped' && target.outputRawFormat === 'xml' ? xmlRootUnwrapper(handler.output.root) : undefined;

    return async (inputs, signal) => {
      const sent = await call.send(buildArgs(inputs), signal);
      const res = sent.response;
      const passThrough = !map || res.statusCode < 200 || res.statusCode >= 300 || res.statusCode === 204;
      const headers = safeHeaders(res.headers, passThrough);
      if (passThrough) {
        const body = limitedStream(res.body as unknown as Readable & AsyncIterable<Buffer>, res.headers, this.options.maxResponseBytes, sent.request.label);
        return { kind: 'stream', status: res.statusCode, headers, body };
      }
      let decoded = call.decode(await call.read(sent), sent);
      if (unwrap) decoded = unwrap(decoded);
      headers['content-type'] = 'application/json; charset=utf-8';
      return { kind: 'value', status: res.statusCode, headers, value: map(decoded, inputs) };
    };
  }

  /** A REST `forward` resource (FEATURES §7): compiled once, like a call. Forwarded bodies share the response size limit. */
  bindForward(spec: ForwardSpec): ForwardInvocation {
    const api = this.model.consumes.find((a) => a.namespace === spec.targetNamespace);
    if (!api) throw new Error(`forward target "${spec.targetNamespace}" is not a consumes namespace`);
    const override = this.options.baseUriOverrides?.get(api.namespace);
    return bindForward(spec, api, {
      pools: this.pools, timeouts: this.timeouts, variables: this.model.variables,
      ...(override !== undefined ? { baseUriOverride: override } : {}),
      maxRequestBytes: this.options.maxResponseBytes,
    });
  }

  get maxResponseBytes(): number {
    return this.options.maxResponseBytes;
  }

  async close(): Promise<void> {
    await this.scriptRunner?.close();
    await this.pools.close();
  }
}

/**
 * XML has no top-level arrays: `<vessels><vessel/>…</vessels>` decodes to `{vessel: […]}`. An array
 * output mapped at the root (`type: array, mapping: $.`) means the one list inside (FEATURES §13 deviation).
 */
function xmlRootUnwrapper(root: OutputNode): ((v: unknown) => unknown) | undefined {
  if (root.kind !== 'array' || (root.path !== undefined && !isRootPath(root.path))) return undefined;
  return (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    return keys.length === 1 ? (v as Record<string, unknown>)[keys[0]!] : v;
  };
}

/** `with` (or implicit pass-through) → the consumed operation's arguments. */
function argumentBuilder(handler: CallHandler, variables: ReadonlyMap<string, BoundVariable>) {
  const entries = handler.with;
  return (inputs: Readonly<Record<string, unknown>>): Map<string, unknown> => {
    const args = new Map<string, unknown>();
    if (handler.withImplicit) for (const [k, v] of Object.entries(inputs)) args.set(k, v);
    for (const { target, source } of entries) {
      let v: unknown;
      if (source.kind === 'input') v = inputs[source.name];
      else if (source.kind === 'literal') v = source.value;
      else {
        const sole = soleReference(source.template);
        if (sole !== undefined && inputs[sole] !== undefined) v = inputs[sole];
        else {
          const r = renderTemplate(source.template, (ref) => {
            const x = inputs[ref];
            if (x !== undefined && x !== null) return typeof x === 'object' ? JSON.stringify(x) : String(x);
            return variables.get(ref)?.value;
          });
          v = r.ok ? r.value : undefined;
        }
      }
      if (v !== undefined) args.set(target, v);
    }
    return args;
  };
}

/**
 * `run` with at most `limits.max` calls of it in flight: a slot is held until the answer is produced
 * and, for a streamed answer, until its body is done.
 */
function limitOperation(id: string, run: BoundInvocation, limits: LimiterOptions, waitMs: number): BoundInvocation {
  const limiter = new ConcurrencyLimiter({
    busy: (max, queue) => new InvokeError('NR_ERR_OPERATION_BUSY', 503, 'Operation busy', `${id} has ${max} calls in flight and ${queue} waiting (--operation-concurrency, --operation-queue); try again shortly`),
    noSlot: (max) => new InvokeError('NR_ERR_OPERATION_BUSY', 503, 'Operation busy', `${id}: no free slot within the call's deadline (${max} calls in flight)`),
  }, limits);
  return async (inputs, signal) => {
    const slot = limiter.acquire(signal, waitMs);
    const release = typeof slot === 'function' ? slot : await slot;
    let result: InvokeResult;
    try {
      result = await run(inputs, signal);
    } catch (e) {
      release();
      throw e;
    }
    if (result.kind === 'stream' && !result.body.destroyed && !result.body.readableEnded) result.body.once('close', release);
    else release();
    return result;
  };
}
