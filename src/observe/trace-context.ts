/**
 * Trace context on the wire: W3C `traceparent` (with `tracestate` passed along) or B3 (the single `b3`
 * header, or the `X-B3-*` headers), read from inbound requests and written on upstream calls.
 */
import { randomBytes } from 'node:crypto';

export type Propagation = 'w3c' | 'b3';

export interface RemoteContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly tracestate?: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

export function extractContext(headers: Headers, propagation: Propagation): RemoteContext | undefined {
  return propagation === 'b3' ? extractB3(headers) : extractW3c(headers);
}

/** The headers an upstream call carries for a span of this trace. */
export function injectHeaders(traceId: string, spanId: string, sampled: boolean, propagation: Propagation, tracestate?: string): Record<string, string> {
  if (propagation === 'b3') {
    const flag = sampled ? '1' : '0';
    return { b3: `${traceId}-${spanId}-${flag}`, 'x-b3-traceid': traceId, 'x-b3-spanid': spanId, 'x-b3-sampled': flag };
  }
  const traceparent = `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

export function newTraceId(): string {
  return randomHex(16);
}

export function newSpanId(): string {
  return randomHex(8);
}

/**
 * Ids come from a pool of random bytes refilled 4 KiB at a time: one `randomBytes` call per id was the
 * largest single cost of tracing a request (a system call each, ~12 µs per traced request).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function extractW3c(headers: Headers): RemoteContext | undefined {
  const m = TRACEPARENT.exec(first(headers.traceparent)?.trim().toLowerCase() ?? '');
  if (!m || m[1] === 'ff' || m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return undefined;
  // version 00 has exactly four fields; later versions may add some, which are ignored
  if (m[1] === '00' && first(headers.traceparent)!.trim().length !== 55) return undefined;
  const tracestate = first(headers.tracestate);
  return { traceId: m[2]!, spanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1, ...(tracestate ? { tracestate } : {}) };
}

function extractB3(headers: Headers): RemoteContext | undefined {
  const single = first(headers.b3)?.trim().toLowerCase();
  if (single) {
    const [traceId, spanId, flag] = single.split('-');
    return validB3(traceId, spanId, flag);
  }
  const flags = first(headers['x-b3-flags']) === '1' ? '1' : first(headers['x-b3-sampled']);
  return validB3(first(headers['x-b3-traceid'])?.toLowerCase(), first(headers['x-b3-spanid'])?.toLowerCase(), flags);
}

function validB3(traceId: string | undefined, spanId: string | undefined, flag: string | undefined): RemoteContext | undefined {
  if (!traceId || !spanId || !/^[0-9a-f]{16}([0-9a-f]{16})?$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId)) return undefined;
  // 64-bit B3 trace ids are left-padded to W3C's 128 bits
  const id = traceId.padStart(32, '0');
  if (id === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId: id, spanId, sampled: flag === undefined ? true : flag === '1' || flag === 'd' || flag === 'true' };
}
