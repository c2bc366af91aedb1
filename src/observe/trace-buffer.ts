/**
 * The completed traces the control adapter shows at /traces: a trace is recorded when its root span
 * ends (a span with no parent, or whose parent is remote); spans that end before it wait for it. A ring
 * keeps the newest `size` traces.
 */
import type { FinishedSpan } from './tracer.js';

export interface RecordedTrace {
  readonly traceId: string;
  readonly operation: string;
  readonly durationMs: number;
  readonly status: FinishedSpan['status'];
  readonly timestamp: string;
  readonly spans: readonly FinishedSpan[];
}

/** A trace as kept: its summary fields, and the timestamp formatted only when read (most are never looked at). */
class Recorded implements RecordedTrace {
  readonly traceId: string;
  readonly operation: string;
  readonly durationMs: number;
  readonly status: FinishedSpan['status'];
  constructor(private readonly root: FinishedSpan, readonly spans: readonly FinishedSpan[]) {
    this.traceId = root.traceId;
    this.operation = String(root.attributes['naftiko.operation.id'] ?? root.name);
    this.durationMs = root.durationMs;
    this.status = root.status;
  }
  get timestamp(): string {
    return new Date(this.root.startTime).toISOString();
  }
}

export const DEFAULT_TRACE_BUFFER = 100;
/** traces whose root has not ended yet; past this the oldest pending one is dropped (a root that never ends cannot grow memory) */
const MAX_PENDING_TRACES = 10_000;
const MAX_SPANS_PER_TRACE = 1_000;

export class TraceBuffer {
  private readonly ring: (RecordedTrace | undefined)[];
  private next = 0;
  private used = 0;
  private readonly pending = new Map<string, FinishedSpan[]>();

  constructor(readonly size: number = DEFAULT_TRACE_BUFFER) {
    this.ring = new Array(size);
  }

  get bufferUsed(): number {
    return this.used;
  }

  add(span: FinishedSpan): void {
    if (!span.root) {
      let spans = this.pending.get(span.traceId);
      if (!spans) {
        if (this.pending.size >= MAX_PENDING_TRACES) this.pending.delete(this.pending.keys().next().value!);
        spans = [];
        this.pending.set(span.traceId, spans);
      }
      if (spans.length < MAX_SPANS_PER_TRACE) spans.push(span);
      return;
    }
    const children = this.pending.get(span.traceId) ?? [];
    this.pending.delete(span.traceId);
    this.ring[this.next] = new Recorded(span, children.length === 0 ? [span] : [span, ...children]);
    this.next = (this.next + 1) % this.size;
    this.used = Math.min(this.used + 1, this.size);
  }

  /** newest first; `operation` matches a substring of the operation, `status` exactly */
  list(filter: { operation?: string; status?: string } = {}): RecordedTrace[] {
    const out: RecordedTrace[] = [];
    for (let i = 1; i <= this.used; i++) {
      const t = this.ring[(this.next - i + this.size) % this.size]!;
      if (filter.operation !== undefined && !t.operation.includes(filter.operation)) continue;
      if (filter.status !== undefined && t.status !== filter.status) continue;
      out.push(t);
    }
    return out;
  }

  get(traceId: string): RecordedTrace | undefined {
    return this.list().find((t) => t.traceId === traceId);
  }
}
