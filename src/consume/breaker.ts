/**
 * A circuit breaker for one upstream origin. It counts only the answers that say the upstream is
 * unavailable (connection failures, timeouts, 502/503/504), over a sliding window; at `failureRate` of
 * at least `minCalls` calls it opens: calls fail at once (503 NR_ERR_CIRCUIT_OPEN, Retry-After) for
 * `openMs`; then one probe call is let through (half-open) — success closes it, failure opens it again.
 */
import { InvokeError } from './errors.js';

export interface BreakerOptions {
  /** 0 turns the breaker off */
  readonly failureRate: number;
  readonly minCalls: number;
  readonly windowMs: number;
  readonly openMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureRate: 0.5, minCalls: 20, windowMs: 10_000, openMs: 5_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private probing = false;
  // one bucket per second of the window: [calls, failures]
  private readonly buckets: Int32Array;
  private bucketSecond = 0;

  constructor(private readonly origin: string, private readonly options: BreakerOptions, private readonly now: () => number = Date.now) {
    this.buckets = new Int32Array(Math.max(1, Math.ceil(options.windowMs / 1000)) * 2);
  }

  get current(): BreakerState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.openMs) return 'half-open';
    return this.state;
  }

  /** Throws while open; in half-open lets exactly one probe through. Returns whether this call is the probe. */
  admit(): boolean {
    if (this.options.failureRate <= 0 || this.state === 'closed') return false;
    const elapsed = this.now() - this.openedAt;
    if (this.state === 'open' && elapsed >= this.options.openMs) this.state = 'half-open';
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    const wait = Math.max(1, Math.ceil((this.options.openMs - elapsed) / 1000));
    const e = new InvokeError('NR_ERR_CIRCUIT_OPEN', 503, 'Upstream circuit open', `${this.origin} failed too often recently (${Math.round(this.options.failureRate * 100)} % of the last ${this.options.windowMs / 1000} s); calls to it are refused for ${wait} s, then one probe call is tried`);
    e.retryAfterSeconds = wait;
    throw e;
  }

  /** The outcome of an admitted call: `failed` when it says the upstream is unavailable. */
  record(failed: boolean, probe: boolean): void {
    if (this.options.failureRate <= 0) return;
    if (probe || this.state === 'half-open') {
      this.probing = false;
      if (failed) this.open();
      else this.close();
      return;
    }
    const [calls, failures] = this.count(failed);
    if (this.state === 'closed' && calls >= this.options.minCalls && failures / calls >= this.options.failureRate) this.open();
  }

  private open(): void {
    this.state = 'open';
    this.openedAt = this.now();
  }

  private close(): void {
    this.state = 'closed';
    this.buckets.fill(0);
  }

  private count(failed: boolean): [number, number] {
    const second = Math.floor(this.now() / 1000);
    const n = this.buckets.length / 2;
    if (second !== this.bucketSecond) {
      // clear the buckets of the seconds that passed since the last call
      for (let s = Math.max(this.bucketSecond + 1, second - n + 1); s <= second; s++) {
        const i = (s % n) * 2;
        this.buckets[i] = 0;
        this.buckets[i + 1] = 0;
      }
      this.bucketSecond = second;
    }
    const i = (second % n) * 2;
    this.buckets[i]! += 1;
    if (failed) this.buckets[i + 1]! += 1;
    let calls = 0;
    let failures = 0;
    for (let k = 0; k < this.buckets.length; k += 2) {
      calls += this.buckets[k]!;
      failures += this.buckets[k + 1]!;
    }
    return [calls, failures];
  }
}
