/**
 * The one invoker every adapter calls: (exposed operation, checked inputs) → result. Adapters turn their
 * request into inputs and the result into their own answer; none of them touches undici.
 */
import type { Readable } from 'node:stream';
import type { BoundVariable, CapabilityModel, CallHandler, ExposedOperation } from '../spec/model.js';
import { renderTemplate, soleReference, staticTemplate } from '../spec/template.js';
import { UpstreamPools } from '../consume/pools.js';
import { prepareRequest, buildUpstreamRequest, type PreparedRequest } from '../consume/request.js';
import { readLimited, sendUpstream, type Timeouts } from '../consume/send.js';
import { compileOutput, type Mapper } from '../consume/shape.js';
import { decodeBody } from '../consume/decode.js';
import { InvokeError } from '../consume/errors.js';

export interface InvokerOptions {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly maxResponseBytes: number;
  /** sockets per upstream origin */
  readonly connectionsPerOrigin: number;
  /** `--base-uri NAMESPACE=URL` */
  readonly baseUriOverrides?: ReadonlyMap<string, string>;
}

export const DEFAULT_INVOKER_OPTIONS: InvokerOptions = {
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 30_000,
  maxResponseBytes: 32 * 1024 * 1024,
  connectionsPerOrigin: 256,
};

/** Upstream headers a caller may see (SEMANTICS §5). */
const SAFE_HEADERS = new Set(['content-type', 'content-length', 'etag', 'last-modified', 'cache-control', 'location', 'retry-after', 'content-language', 'expires', 'vary']);
const RATE_LIMIT = /^(x-)?ratelimit-|^x-rate-limit-/;

export type InvokeResult =
  /** upstream body, unread: pass-through, or any non-2xx answer */
  | { readonly kind: 'stream'; readonly status: number; readonly headers: Record<string, string>; readonly body: Readable & AsyncIterable<Buffer> }
  /** a mapped or mock output */
  | { readonly kind: 'value'; readonly status: number; readonly headers: Record<string, string>; readonly value: unknown };

export type BoundInvocation = (inputs: Readonly<Record<string, unknown>>, signal?: AbortSignal) => Promise<InvokeResult>;

export class Invoker {
  readonly pools: UpstreamPools;
  private readonly timeouts: Timeouts;

  constructor(
    private readonly model: CapabilityModel,
    private readonly options: InvokerOptions = DEFAULT_INVOKER_OPTIONS,
  ) {
    this.pools = new UpstreamPools({ connectTimeout: options.connectTimeoutMs, connections: options.connectionsPerOrigin });
    this.timeouts = { response: options.responseTimeoutMs, body: options.responseTimeoutMs };
  }

  /** Compiles everything about `op` that does not depend on a call; done once at start-up. */
  bind(op: ExposedOperation): BoundInvocation {
    const handler = op.handler;
    switch (handler.kind) {
      case 'mock': {
        const map = compileOutput(handler.output);
        return async (inputs) => ({ kind: 'value', status: 200, headers: {}, value: map(undefined, inputs) });
      }
      case 'unserved':
        return async () => {
          throw new InvokeError('NR_ERR_NOT_IMPLEMENTED', 501, 'Not implemented',
            `${op.id} uses ${handler.feature === 'none' ? 'no call' : `"${handler.feature}"`}, which naftiko-run does not serve yet`);
        };
      case 'call':
        return this.bindCall(handler);
    }
  }

  private bindCall(handler: CallHandler): BoundInvocation {
    const target = handler.operation;
    const api = this.model.consumes.find((a) => a.namespace === target.namespace)!;
    const override = this.options.baseUriOverrides?.get(api.namespace);
    const plan: PreparedRequest = prepareRequest(override ? { ...api, baseUri: staticTemplate(override) } : api, target, this.model.variables);
    const map: Mapper | undefined = handler.output.kind === 'mapped' ? compileOutput(handler.output.root) : undefined;
    const variables = this.model.variables;
    const buildArgs = argumentBuilder(handler, variables);
    const { pools, timeouts } = this;
    const limit = this.options.maxResponseBytes;

    return async (inputs, signal) => {
      const request = buildUpstreamRequest(plan, { args: buildArgs(inputs), variables });
      const res = await sendUpstream(pools, request, timeouts, signal);
      const passThrough = !map || res.statusCode < 200 || res.statusCode >= 300 || res.statusCode === 204;
      const headers = safeHeaders(res.headers, passThrough);
      if (passThrough) {
        return { kind: 'stream', status: res.statusCode, headers, body: res.body as unknown as Readable & AsyncIterable<Buffer> };
      }
      const what = () => `${request.method} ${request.origin}${request.path.split('?')[0]}`;
      const raw = await readLimited(res.body as unknown as AsyncIterable<Buffer>, limit, what);
      let decoded: unknown;
      try {
        decoded = decodeBody(target.outputRawFormat, raw.toString('utf8'));
      } catch (e) {
        throw new InvokeError('NR_ERR_UPSTREAM_BAD_BODY', 502, 'Upstream response unreadable',
          `${what()} answered ${res.statusCode} with a body that is not valid ${target.outputRawFormat}: ${(e as Error).message.split('\n')[0]}`);
      }
      headers['content-type'] = 'application/json; charset=utf-8';
      return { kind: 'value', status: res.statusCode, headers, value: map(decoded, inputs) };
    };
  }

  get maxResponseBytes(): number {
    return this.options.maxResponseBytes;
  }

  async close(): Promise<void> {
    await this.pools.close();
  }
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

/** The upstream headers a caller may see; content-length only when the body passes through unchanged. */
function safeHeaders(h: Record<string, string | string[] | undefined>, withLength: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || (k === 'content-length' && !withLength)) continue;
    if (SAFE_HEADERS.has(k) || (k.includes('rate') && RATE_LIMIT.test(k))) out[k] = typeof v === 'string' ? v : v.join(', ');
  }
  return out;
}
