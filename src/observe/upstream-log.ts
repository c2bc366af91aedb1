/** The debug log's line per upstream attempt: method and URL without query values, status or error, ms. */
import { performance } from 'node:perf_hooks';
import type { UpstreamObserver } from '../consume/pools.js';
import { targetLabel } from '../consume/send.js';

/** One upstream attempt, as logged: never a header, a body or a query string (secrets live there). */
export interface UpstreamAttemptLine {
  /** the inbound request that made the call */
  readonly reqId?: string;
  /** METHOD and URL with the path's values shown as their placeholders where the capability has them */
  readonly call: string;
  readonly status?: number;
  readonly error?: string;
  readonly ms: number;
}

export function upstreamLogObserver(write: (line: UpstreamAttemptLine) => void): UpstreamObserver {
  return {
    attempt(target, context) {
      const requestId = context?.requestId;
      const started = performance.now();
      return {
        done(outcome) {
          write({ ...(requestId !== undefined ? { reqId: requestId } : {}), call: targetLabel(target), ...outcome, ms: Math.round((performance.now() - started) * 10) / 10 });
        },
      };
    },
  };
}
