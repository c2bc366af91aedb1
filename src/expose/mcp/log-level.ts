/**
 * MCP logging levels (RFC 5424 severities) and the per-caller level of 2025-era clients: a stateless
 * endpoint has no session to keep `logging/setLevel` in, so the level is remembered per caller
 * (address and credential, as for cancellation) in a bounded table; the oldest callers are forgotten.
 */
import type { LogListener, LogSeverity } from '../../consume/call-signal.js';

export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SEVERITY = new Map<string, number>(LOG_LEVELS.map((l, i) => [l, i]));

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && SEVERITY.has(v);
}

/** A listener that sends the messages at `min` or more severe with `send`. */
export function logListener(min: LogLevel, send: (level: LogSeverity, logger: string, data: unknown) => void): LogListener {
  const floor = SEVERITY.get(min)!;
  return (level, logger, data) => {
    if (SEVERITY.get(level)! >= floor) send(level, logger, data);
  };
}

export class CallerLogLevels {
  private readonly levels = new Map<string, LogLevel>();

  constructor(private readonly capacity = 10_000) {}

  set(caller: string, level: LogLevel): void {
    this.levels.delete(caller);
    this.levels.set(caller, level);
    if (this.levels.size > this.capacity) this.levels.delete(this.levels.keys().next().value!);
  }

  get(caller: string): LogLevel | undefined {
    return this.levels.get(caller);
  }

  get size(): number {
    return this.levels.size;
  }
}
