/**
 * In-process spans with the reference engine's names and attributes (FEATURES §15): a span per inbound
 * request, per MCP tool, per orchestration step and per upstream call. The parent travels on the
 * call's signal (CallSignal.span), not in an AsyncLocalStorage: on Node 20 an enabled one adds promise
 * hooks to every request, which cost more than the spans themselves. Finished spans go to the
 * listeners (the /traces buffer, an OTLP exporter). Sampling is decided once per trace, at its root, and travels in the propagated flag.
 */
import { performance } from 'node:perf_hooks';
import type { ParentSpan } from '../consume/call-signal.js';
import { extractContext, injectHeaders, newSpanId, newTraceId, type Propagation } from './trace-context.js';

export type SpanKind = 'SERVER' | 'CLIENT' | 'INTERNAL';
export type SpanStatus = 'OK' | 'ERROR' | 'UNSET';
export type Attributes = Record<string, string | number | boolean>;

export interface FinishedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** absent (undefined) for a trace's first span */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: SpanKind;
  /** epoch ms */
  readonly startTime: number;
  readonly durationMs: number;
  readonly status: SpanStatus;
  readonly attributes: Readonly<Attributes>;
  /** no parent, or a remote one: the trace is complete when this span ends */
  readonly root: boolean;
}

export class Span implements ParentSpan {
  readonly spanId = newSpanId();
  readonly attributes: Attributes;
  private status: SpanStatus = 'UNSET';
  private readonly startTime = Date.now();
  private readonly started = performance.now();
  private ended = false;

  constructor(
    private readonly tracer: Tracer,
    readonly traceId: string,
    readonly parentSpanId: string | undefined,
    readonly name: string,
    readonly kind: SpanKind,
    attributes: Attributes,
    readonly sampled: boolean,
    readonly root: boolean,
    readonly tracestate?: string,
  ) {
    this.attributes = attributes;
  }

  setAttribute(key: string, value: string | number | boolean): void {
    this.attributes[key] = value;
  }

  setStatus(status: SpanStatus): void {
    this.status = status;
  }

  /** OK unless something already set a status */
  succeed(): void {
    if (this.status === 'UNSET') this.status = 'OK';
  }

  /** Headers that make an upstream call a child of this span. */
  headers(): Record<string, string> {
    return injectHeaders(this.traceId, this.spanId, this.sampled, this.tracer.propagation, this.tracestate);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.sampled) return;
    this.tracer.finished({
      traceId: this.traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      name: this.name,
      kind: this.kind,
      startTime: this.startTime,
      durationMs: Math.round((performance.now() - this.started) * 1000) / 1000,
      status: this.status,
      attributes: this.attributes,
      root: this.root,
    });
  }
}

export interface TracerOptions {
  /** 0..1: the share of new traces recorded (and flagged sampled upstream) */
  readonly sampling: number;
  readonly propagation: Propagation;
}

export class Tracer {
  private readonly listeners: ((span: FinishedSpan) => void)[] = [];
  readonly propagation: Propagation;
  private readonly sampling: number;

  constructor(options: TracerOptions) {
    this.sampling = options.sampling;
    this.propagation = options.propagation;
  }

  onFinished(listener: (span: FinishedSpan) => void): void {
    this.listeners.push(listener);
  }

  /** The span of an inbound request: a child of the caller's trace context when it sent one. */
  startServer(name: string, attributes: Attributes, headers: Readonly<Record<string, string | string[] | undefined>>): Span {
    const remote = extractContext(headers, this.propagation);
    if (remote) return new Span(this, remote.traceId, remote.spanId, name, 'SERVER', attributes, remote.sampled, true, remote.tracestate);
    return new Span(this, newTraceId(), undefined, name, 'SERVER', attributes, Math.random() < this.sampling, true);
  }

  /** A child of `parent`, or a new root when there is none. */
  start(name: string, kind: SpanKind, attributes: Attributes, parent?: ParentSpan): Span {
    if (parent) return new Span(this, parent.traceId, parent.spanId, name, kind, attributes, parent.sampled, false, parent.tracestate);
    return new Span(this, newTraceId(), undefined, name, kind, attributes, Math.random() < this.sampling, true);
  }

  /** Runs `fn` in a child span of `parent` that ends when `fn` settles (a throw marks it ERROR); `fn` gets the span to parent its own work. */
  async inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, parent: ParentSpan | undefined, fn: (span: Span) => Promise<T>): Promise<T> {
    const span = this.start(name, kind, attributes, parent);
    try {
      const out = await fn(span);
      span.succeed();
      return out;
    } catch (e) {
      span.setStatus('ERROR');
      throw e;
    } finally {
      span.end();
    }
  }

  /** @internal called by Span.end for sampled spans */
  finished(span: FinishedSpan): void {
    for (const l of this.listeners) l(span);
  }
}
