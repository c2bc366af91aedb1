/**
 * A small in-process metrics registry (counters, up-down counters, histograms, gauges read on demand)
 * rendered in the Prometheus text exposition format 0.0.4. Metric names are written with dots, as the
 * reference engine's OpenTelemetry instruments are, and exposed with dots and dashes as underscores.
 */

export type Labels = Readonly<Record<string, string | number>>;

export interface Series<T> {
  readonly labels: Labels;
  value: T;
}

abstract class Metric<T> {
  protected readonly series = new Map<string, Series<T>>();
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge' | 'histogram') {}

  /** The series of `labels`, made on first use: a caller that records the same labels often keeps it (no key built per record). */
  at(labels: Labels): Series<T> {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, value: this.initial() };
      this.series.set(key, s);
    }
    return s;
  }

  protected abstract initial(): T;
  abstract render(out: string[]): void;
}

export class Counter extends Metric<number> {
  constructor(name: string, help: string, type: 'counter' | 'gauge' = 'counter') {
    super(name, help, type);
  }
  protected initial(): number {
    return 0;
  }
  add(labels: Labels, n = 1): void {
    this.at(labels).value += n;
  }
  get(labels: Labels): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }
  render(out: string[]): void {
    header(out, this);
    for (const s of this.series.values()) out.push(`${promName(this.name)}${renderLabels(s.labels)} ${s.value}`);
  }
}

/** A value that goes up and down (in-flight calls, active capabilities). */
export class UpDownCounter extends Counter {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
}

export interface HistogramValue {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** Seconds buckets: the reference engine's millisecond-style defaults put nearly every request in le="5" (FEATURES §15). */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export class Histogram extends Metric<HistogramValue> {
  constructor(name: string, help: string, private readonly bounds: readonly number[] = SECONDS_BUCKETS) {
    super(name, help, 'histogram');
  }
  protected initial(): HistogramValue {
    return { buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 };
  }
  observe(labels: Labels, value: number): void {
    this.record(this.at(labels), value);
  }
  /** `observe` on a series obtained from `at` */
  record(series: Series<HistogramValue>, value: number): void {
    const s = series.value;
    s.sum += value;
    s.count++;
    // buckets are stored non-cumulative and summed when rendered
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]!) {
        s.buckets[i]!++;
        break;
      }
    }
  }
  count(labels: Labels): number {
    return this.series.get(labelKey(labels))?.value.count ?? 0;
  }
  render(out: string[]): void {
    header(out, this);
    const name = promName(this.name);
    for (const { labels, value } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += value.buckets[i]!;
        out.push(`${name}_bucket${renderLabels({ ...labels, le: this.bounds[i]! })} ${cumulative}`);
      }
      out.push(`${name}_bucket${renderLabels({ ...labels, le: '+Inf' })} ${value.count}`);
      out.push(`${name}_sum${renderLabels(labels)} ${value.sum}`);
      out.push(`${name}_count${renderLabels(labels)} ${value.count}`);
    }
  }
}

/** A gauge whose series are read when the metrics are rendered (process memory, pool sockets, breaker states). */
export class ObservedGauge {
  constructor(readonly name: string, readonly help: string, private readonly read: () => Iterable<readonly [Labels, number]>, readonly type: 'gauge' | 'counter' = 'gauge') {}
  render(out: string[]): void {
    header(out, this);
    for (const [labels, value] of this.read()) out.push(`${promName(this.name)}${renderLabels(labels)} ${value}`);
  }
}

type Renderable = { render(out: string[]): void };

export class MetricsRegistry {
  private readonly metrics: Renderable[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  upDown(name: string, help: string): UpDownCounter {
    return this.add(new UpDownCounter(name, help));
  }
  histogram(name: string, help: string, bounds?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, bounds));
  }
  /** a series set read when rendered; `counter` for totals kept elsewhere (CPU seconds) */
  gauge(name: string, help: string, read: () => Iterable<readonly [Labels, number]>, type: 'gauge' | 'counter' = 'gauge'): ObservedGauge {
    return this.add(new ObservedGauge(name, help, read, type));
  }

  /** The Prometheus text exposition (`text/plain; version=0.0.4`). */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) m.render(out);
    return out.join('\n') + '\n';
  }

  private add<M extends Renderable>(m: M): M {
    this.metrics.push(m);
    return m;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** `naftiko.request.total` → `naftiko_request_total`; anything outside [a-zA-Z0-9_:] becomes `_`. */
export function promName(name: string): string {
  const n = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

function header(out: string[], m: { name: string; help: string; type: string }): void {
  out.push(`# HELP ${promName(m.name)} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
  out.push(`# TYPE ${promName(m.name)} ${m.type}`);
}

function labelKey(labels: Labels): string {
  let key = '';
  for (const k in labels) key += `${k}\u0000${labels[k]}\u0001`;
  return key;
}

function renderLabels(labels: Labels): string {
  const parts: string[] = [];
  for (const k in labels) parts.push(`${promName(k)}="${escapeLabel(String(labels[k]))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
