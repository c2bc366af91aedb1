/**
 * The runtime's telemetry: the reference engine's metrics (same names and labels, FEATURES §15) plus
 * upstream, pool and process gauges, and the tracer whose finished traces the control adapter lists.
 * It watches upstream attempts and orchestration steps through the observer interfaces of consume/
 * and invoke/; the adapters report inbound requests. Created only when observability is on.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { AttemptOutcome, AttemptTarget, AttemptWatch, UpstreamObserver, UpstreamState } from '../consume/pools.js';
import type { StepObserver } from '../invoke/orchestrate.js';
import { MetricsRegistry, type HistogramValue, type Labels, type Series } from './metrics.js';
import { Tracer, type Attributes, type Span } from './tracer.js';
import { childAbort, type CallSignal } from '../consume/call-signal.js';
import { TraceBuffer } from './trace-buffer.js';
import type { Propagation } from './trace-context.js';

export type AdapterKind = 'rest' | 'mcp' | 'skill';

export interface TelemetryOptions {
  /** `observability.metrics.local.enabled` (default true) */
  readonly metrics: boolean;
  /** absent: no spans are made and no trace context is sent upstream; bufferSize 0: no /traces buffer (export only) */
  readonly traces?: { readonly sampling: number; readonly propagation: Propagation; readonly bufferSize: number };
}

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** The series one kind of answer records into, found by one string key instead of a label key per metric. */
interface AnswerSeries {
  readonly total: Series<number>;
  readonly duration: Series<HistogramValue>;
  readonly errors?: Series<number>;
}

export class Telemetry implements UpstreamObserver, StepObserver {
  readonly registry = new MetricsRegistry();
  readonly tracer: Tracer | undefined;
  readonly traces: TraceBuffer | undefined;
  readonly metricsEnabled: boolean;
  private readonly upstreamSources: (() => readonly UpstreamState[])[] = [];
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });
  private readonly requestSeries = new Map<string, AnswerSeries>();
  private readonly clientSeries = new Map<string, AnswerSeries>();
  private readonly inFlightSeries = new Map<string, Series<number>>();

  private readonly requestTotal = this.registry.counter('naftiko.request.total', 'Inbound requests by adapter, operation and status');
  private readonly requestDuration = this.registry.histogram('naftiko.request.duration.seconds', 'Inbound request duration in seconds');
  private readonly requestErrors = this.registry.counter('naftiko.request.errors', 'Inbound requests answered with a 4xx or 5xx status');
  private readonly stepDuration = this.registry.histogram('naftiko.step.duration.seconds', 'Orchestration step duration in seconds');
  private readonly clientTotal = this.registry.counter('naftiko.http.client.total', 'Upstream attempts by method, origin and status (or error.type="transport")');
  private readonly clientDuration = this.registry.histogram('naftiko.http.client.duration.seconds', 'Upstream attempt duration in seconds, until the answer\'s headers');
  private readonly clientInFlight = this.registry.upDown('naftiko.http.client.in_flight', 'Upstream attempts waiting for their answer\'s headers');
  readonly capabilitiesActive = this.registry.upDown('naftiko.capability.active', 'Capabilities being served');

  constructor(options: TelemetryOptions) {
    this.metricsEnabled = options.metrics;
    if (options.traces) {
      this.tracer = new Tracer(options.traces);
      if (options.traces.bufferSize > 0) {
        const traces = (this.traces = new TraceBuffer(options.traces.bufferSize));
        this.tracer.onFinished((span) => traces.add(span));
      }
    }
    this.registry.gauge('naftiko.upstream.circuit.state', 'Circuit breaker per upstream origin: 0 closed, 1 half-open, 2 open', () =>
      this.upstreams().map((u) => [{ 'server.address': u.origin }, BREAKER_VALUE[u.breaker]] as const));
    this.registry.gauge('naftiko.upstream.calls', 'Upstream calls holding (state="in_flight") or waiting for (state="queued") a slot of the origin\'s limit', () =>
      this.upstreams().flatMap((u) => [[{ 'server.address': u.origin, state: 'in_flight' }, u.inFlight], [{ 'server.address': u.origin, state: 'queued' }, u.queued]] as const));
    this.registry.gauge('naftiko.upstream.connections', 'Open upstream sockets per origin (state="idle" for the unused ones)', () =>
      this.upstreams().flatMap((u) => [[{ 'server.address': u.origin, state: 'open' }, u.connected], [{ 'server.address': u.origin, state: 'idle' }, u.free]] as const));
    this.loopDelay.enable();
    this.registry.gauge('process.resident_memory_bytes', 'Resident set size in bytes', () => [[{}, process.memoryUsage.rss()]]);
    this.registry.gauge('nodejs.heap_used_bytes', 'V8 heap in use in bytes', () => [[{}, process.memoryUsage().heapUsed]]);
    this.registry.gauge('process.cpu_seconds_total', 'User and system CPU time in seconds', () => {
      const cpu = process.cpuUsage();
      return [[{}, (cpu.user + cpu.system) / 1e6]];
    }, 'counter');
    this.registry.gauge('process.start_time_seconds', 'Start time of the process since the Unix epoch in seconds', () => [[{}, Math.round((Date.now() - process.uptime() * 1000) / 1000)]]);
    this.registry.gauge('nodejs.eventloop.delay.p99_seconds', 'Event loop delay, 99th percentile since the last scrape, in seconds', () => {
      const p99 = this.loopDelay.percentile(99) / 1e9;
      this.loopDelay.reset();
      return [[{}, Number.isFinite(p99) ? p99 : 0]];
    });
  }

  /** An invoker's upstream origins, shown in /metrics until the returned function is called. */
  watchUpstreams(states: () => readonly UpstreamState[]): () => void {
    this.upstreamSources.push(states);
    return () => {
      const i = this.upstreamSources.indexOf(states);
      if (i >= 0) this.upstreamSources.splice(i, 1);
    };
  }

  upstreams(): UpstreamState[] {
    return this.upstreamSources.flatMap((s) => s());
  }

  /** One inbound request answered. */
  request(adapter: AdapterKind, operationId: string, status: number, seconds: number): void {
    if (!this.metricsEnabled) return;
    const key = `${adapter}\u0000${operationId}\u0000${status}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      const labels: Labels = { 'naftiko.adapter.type': adapter, 'naftiko.operation.id': operationId, status };
      series = {
        total: this.requestTotal.at(labels),
        duration: this.requestDuration.at(labels),
        ...(status >= 400 ? { errors: this.requestErrors.at({ ...labels, 'error.type': String(status) }) } : {}),
      };
      this.requestSeries.set(key, series);
    }
    series.total.value++;
    this.requestDuration.record(series.duration, seconds);
    if (series.errors) series.errors.value++;
  }

  attempt(target: AttemptTarget, context?: CallSignal): AttemptWatch {
    const started = performance.now();
    const address = target.origin;
    let inFlight: Series<number> | undefined;
    if (this.metricsEnabled) {
      inFlight = this.inFlightSeries.get(address);
      if (!inFlight) this.inFlightSeries.set(address, (inFlight = this.clientInFlight.at({ 'server.address': address })));
      inFlight.value++;
    }
    let span: Span | undefined;
    if (this.tracer) {
      const q = target.path.indexOf('?');
      const attributes: Attributes = { 'http.request.method': target.method, 'url.full': target.origin + (q < 0 ? target.path : target.path.slice(0, q)) };
      if (target.namespace) attributes['naftiko.namespace'] = target.namespace;
      span = this.tracer.start(`http.client.${target.method}`, 'CLIENT', attributes, context?.span);
    }
    const done = (outcome: AttemptOutcome) => {
      if (inFlight) {
        inFlight.value--;
        const series = this.clientAnswer(target.method, address, outcome);
        series.total.value++;
        this.clientDuration.record(series.duration, (performance.now() - started) / 1000);
      }
      if (span) {
        if ('status' in outcome) span.setAttribute('http.response.status_code', outcome.status);
        else span.setAttribute('error.type', outcome.error);
        span.setStatus('status' in outcome && outcome.status < 500 ? 'OK' : 'ERROR');
        span.end();
      }
    };
    return span ? { headers: span.headers(), done } : { done };
  }

  private clientAnswer(method: string, address: string, outcome: AttemptOutcome): AnswerSeries {
    const key = `${method}\u0000${address}\u0000${'status' in outcome ? outcome.status : 'transport'}`;
    let series = this.clientSeries.get(key);
    if (!series) {
      const base = { 'http.request.method': method, 'server.address': address };
      const labels: Labels = 'status' in outcome ? { ...base, 'http.response.status_code': outcome.status } : { ...base, 'error.type': 'transport' };
      series = { total: this.clientTotal.at(labels), duration: this.clientDuration.at(labels) };
      this.clientSeries.set(key, series);
    }
    return series;
  }

  async step<T>(step: Parameters<StepObserver['step']>[0], signal: CallSignal | undefined, run: (signal: CallSignal | undefined) => Promise<T>): Promise<T> {
    const started = performance.now();
    const record = () => {
      if (this.metricsEnabled) this.stepDuration.observe({ 'step.type': step.kind, 'naftiko.namespace': step.namespace ?? '' }, (performance.now() - started) / 1000);
    };
    if (!this.tracer) {
      try {
        return await run(signal);
      } finally {
        record();
      }
    }
    const attributes = {
      'naftiko.step.index': step.index,
      ...(step.kind === 'call' ? { 'naftiko.step.call': step.detail } : step.kind === 'lookup' ? { 'naftiko.step.match': step.detail } : { 'naftiko.step.script.file': step.detail, 'naftiko.step.script.language': step.language ?? '' }),
      ...(step.namespace ? { 'naftiko.namespace': step.namespace } : {}),
    };
    try {
      return await this.tracer.inSpan(`step.${step.kind}`, 'INTERNAL', attributes, signal?.span, (span) => withSpan(signal, span, run));
    } finally {
      record();
    }
  }

  /** A span around an MCP tool call (`mcp.tool`), when tracing; `run` gets the signal that carries it. */
  inToolSpan<T>(tool: string, signal: CallSignal | undefined, run: (signal: CallSignal | undefined) => Promise<T>): Promise<T> {
    return this.tracer ? this.tracer.inSpan('mcp.tool', 'INTERNAL', { 'naftiko.tool': tool }, signal?.span, (span) => withSpan(signal, span, run)) : run(signal);
  }

  close(): void {
    this.loopDelay.disable();
  }
}

/** Runs `run` on a child of `signal` (aborted with it) that carries `span` as the parent of the work inside. */
async function withSpan<T>(signal: CallSignal | undefined, span: Span, run: (signal: CallSignal) => Promise<T>): Promise<T> {
  const link = childAbort(signal);
  link.child.span = span;
  try {
    return await run(link.child);
  } finally {
    link.detach();
  }
}
