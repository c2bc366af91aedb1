/**
 * What cancels an invocation: a standard AbortSignal, or a CallAbort — the lighter signal the adapters
 * make for every request. An EventTarget AbortController per request cost ~25 µs on the REST hot path
 * (BENCHMARKS.md); a CallAbort costs an object and, only when it is handed to undici, one array slot.
 * undici accepts either: it needs `aborted`, `reason` and add/removeEventListener.
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
  /**
   * The context the call carries down to its upstream requests. It travels with the signal (not in an
   * AsyncLocalStorage, whose promise hooks cost a fifth of a request's CPU on Node 20):
   * the inbound request's id, sent upstream as x-request-id and logged with each attempt…
   */
  readonly requestId?: string;
  /** …when the caller asked for progress (an MCP progress token), where each finished step is reported… */
  readonly onProgress?: ProgressListener;
  /** …when the caller asked for log messages (MCP logging), where each upstream step is told… */
  readonly onLog?: LogListener;
  /** …and, when tracing, the span the call's work belongs to (the inbound request's, a tool's, a step's) */
  readonly span?: ParentSpan;
}

/** What a child span needs of its parent (observe/tracer.ts makes spans; nothing here depends on it). */
export interface ParentSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly tracestate?: string;
}

/** `done` of `total` orchestration steps have finished; `message` says which */
export type ProgressListener = (done: number, total: number, message: string) => void;

/** RFC 5424 severities, as MCP logging names them (the ones naftiko-run emits) */
export type LogSeverity = 'debug' | 'info' | 'warning' | 'error';
/** one log message about the call: `logger` names the tool or step, `data` is JSON */
export type LogListener = (level: LogSeverity, logger: string, data: unknown) => void;

export class CallAbort implements CallSignal {
  aborted = false;
  requestId?: string;
  onProgress?: ProgressListener;
  onLog?: LogListener;
  span?: ParentSpan;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.listeners;
    if (!l) return;
    const i = l.lastIndexOf(listener);
    if (i >= 0) l.splice(i, 1);
  }

  /** Aborts once; listeners run once each (every listener is a `once` listener). */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? abortError('the call was aborted');
    const l = this.listeners;
    this.listeners = undefined;
    if (l) for (const f of l) f();
  }
}

/** The reason an aborted call carries: named AbortError, which the upstream error mapping turns into 499. */
export function abortError(message: string): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

/** A signal aborted when `parent` aborts; `detach` undoes the link once the child's work is done. */
export function childAbort(parent: CallSignal | undefined): { child: CallAbort; detach: () => void } {
  const child = new CallAbort();
  if (!parent) return { child, detach: () => {} };
  if (parent.requestId !== undefined) child.requestId = parent.requestId;
  if (parent.onProgress) child.onProgress = parent.onProgress;
  if (parent.onLog) child.onLog = parent.onLog;
  if (parent.span) child.span = parent.span;
  if (parent.aborted) {
    child.abort(parent.reason);
    return { child, detach: () => {} };
  }
  const onAbort = () => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { child, detach: () => parent.removeEventListener('abort', onAbort) };
}
