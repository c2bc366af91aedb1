/**
 * A concurrency limit: at most `max` calls in flight, at most `queue` waiting; a call past both is
 * refused at once (503 with Retry-After: 1), a waiting one leaves the queue when its caller goes away
 * or its deadline passes. One per upstream origin (without it undici queues without bound) and,
 * with `--operation-concurrency`, one per exposed operation.
 */
import type { CallSignal } from './call-signal.js';
import { InvokeError } from './errors.js';

export interface LimiterOptions {
  readonly max: number;
  readonly queue: number;
}

/** The refusals of one limiter: queue full, or no slot within the wait. */
export interface LimiterErrors {
  busy(max: number, queue: number): InvokeError;
  noSlot(max: number): InvokeError;
}

/** The per-origin limiter's refusals (`--upstream-concurrency`, `--upstream-queue`). */
export function upstreamLimiterErrors(origin: string): LimiterErrors {
  return {
    busy: (max, queue) => new InvokeError('NR_ERR_UPSTREAM_BUSY', 503, 'Upstream busy', `${origin} has ${max} calls in flight and ${queue} waiting (--upstream-concurrency, --upstream-queue); try again shortly`),
    noSlot: (max) => new InvokeError('NR_ERR_UPSTREAM_TIMEOUT', 504, 'Upstream timeout', `${origin}: no free slot within the call's deadline (${max} calls in flight)`),
  };
}

interface Waiter {
  /** hands the waiter a slot */
  grant(): void;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly errors: LimiterErrors, private readonly options: LimiterOptions) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** A release function once a slot is free (at once when one is); call it exactly when the call is over. */
  acquire(signal: CallSignal | undefined, waitMs: number): Promise<() => void> | (() => void) {
    if (this.active < this.options.max) {
      this.active++;
      return this.releaser();
    }
    if (this.waiting.length >= this.options.queue) {
      const e = this.errors.busy(this.options.max, this.options.queue);
      e.retryAfterSeconds = 1;
      throw e;
    }
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const leave = (e: unknown) => {
        const i = this.waiting.indexOf(waiter);
        if (i < 0) return;
        this.waiting.splice(i, 1);
        settle();
        reject(e);
      };
      const waiter: Waiter = {
        grant: () => {
          settle();
          resolve(this.releaser());
        },
      };
      const onAbort = () => leave(signal!.reason);
      const timer = setTimeout(() => leave(this.errors.noSlot(this.options.max)), Math.max(0, waitMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }
}
