/**
 * A concurrency limit for one upstream origin: at most `max` calls in flight, at most `queue` waiting;
 * a call past both is refused at once (503 NR_ERR_UPSTREAM_BUSY, Retry-After: 1), a waiting one leaves
 * the queue when its caller goes away or its deadline passes. Without it undici queues without bound.
 */
import type { CallSignal } from './call-signal.js';
import { InvokeError } from './errors.js';

export interface LimiterOptions {
  readonly max: number;
  readonly queue: number;
}

interface Waiter {
  /** hands the waiter a slot */
  grant(): void;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly origin: string, private readonly options: LimiterOptions) {}

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
      const e = new InvokeError('NR_ERR_UPSTREAM_BUSY', 503, 'Upstream busy', `${this.origin} has ${this.options.max} calls in flight and ${this.options.queue} waiting (--upstream-concurrency, --upstream-queue); try again shortly`);
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
      const timer = setTimeout(() => leave(new InvokeError('NR_ERR_UPSTREAM_TIMEOUT', 504, 'Upstream timeout', `${this.origin}: no free slot within the call's deadline (${this.options.max} calls in flight)`)), Math.max(0, waitMs));
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
