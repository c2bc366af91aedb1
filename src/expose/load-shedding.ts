/**
 * Load shedding: while the event loop lags more than a threshold, new requests are answered 503
 * (NR_ERR_OVERLOADED, Retry-After: 1) before any work, so a saturated process recovers instead of
 * queueing ever more. One monitor per process: a timer that measures how late it fires.
 */
import { problem, PROBLEM_CONTENT_TYPE } from './problem.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DEFAULT_MAX_EVENT_LOOP_LAG_MS = 1_000;
const SAMPLE_EVERY_MS = 100;

let lagging = false;
let lastLagMs = 0;
let timer: NodeJS.Timeout | undefined;
let users = 0;
let threshold = DEFAULT_MAX_EVENT_LOOP_LAG_MS;

/** Starts the monitor (shared by every adapter of the process); the returned function stops this use of it. */
export function watchEventLoop(maxLagMs: number): () => void {
  if (maxLagMs <= 0) return () => {};
  threshold = maxLagMs;
  users++;
  if (!timer) {
    let expected = Date.now() + SAMPLE_EVERY_MS;
    timer = setInterval(() => {
      const now = Date.now();
      lastLagMs = Math.max(0, now - expected);
      lagging = lastLagMs > threshold;
      expected = now + SAMPLE_EVERY_MS;
    }, SAMPLE_EVERY_MS);
    timer.unref();
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--users === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
      lagging = false;
    }
  };
}

export function overloaded(): boolean {
  return lagging;
}

const detail = () => `the server's event loop is ${lastLagMs} ms behind (limit ${threshold} ms, --max-event-loop-lag); try again shortly`;

/** The REST answer while overloaded. */
export function sendOverloaded(req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify(problem('NR_ERR_OVERLOADED', 503, 'Server overloaded', detail(), (req.url ?? '/').split('?')[0]));
  req.resume();
  res.writeHead(503, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), 'retry-after': '1' }).end(body);
}

/** The MCP (JSON-RPC) answer while overloaded. */
export function overloadedJsonRpc(): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: `Server overloaded (NR_ERR_OVERLOADED): ${detail()}` }, id: null });
}
