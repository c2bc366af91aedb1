/** Sends upstream requests (breaker, limit, retries, deadline) and reads their bodies within limits. */
import { outgoingHeaders } from '../observe/request-id.js';
import type { Dispatcher } from 'undici';
import type { UpstreamRequest } from './request.js';
import type { AttemptTarget, Upstream, UpstreamObserver, UpstreamPools } from './pools.js';
import { retriesFailure, retriesStatus, retryDelay } from './retry.js';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { Transform, type Readable } from 'node:stream';
import { InvokeError } from './errors.js';
import type { CallSignal } from './call-signal.js';
import { sendWithSession } from './session.js';
import { unwatchBody, watchBody } from './body-deadlines.js';

export interface Timeouts {
  /** ms until the upstream's response headers arrive (SEMANTICS §7: 30 s) */
  readonly response: number;
  /** ms of silence allowed while the body streams */
  readonly body: number;
  /** ms one call may take until its answer's headers, every retry and wait included (`--deadline`) */
  readonly deadline?: number;
}

export const DEFAULT_DEADLINE_MS = 60_000;

export type UpstreamResponse = Dispatcher.ResponseData;

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const UNAVAILABLE_STATUS = new Set([502, 503, 504]);
const DEADLINE_CODE = 'NR_DEADLINE';
const TOO_LARGE_CODE = 'NR_TOO_LARGE';

/**
 * Sends an UpstreamRequest: through the origin's breaker and concurrency limit, tried again as
 * src/consume/retry.ts allows, all within the call's deadline. The last answer is returned as it is.
 * A credential session (digest, OAuth2) sets `Authorization` per attempt and answers one 401.
 */
export function sendUpstream(pools: UpstreamPools, req: UpstreamRequest, timeouts: Timeouts, signal?: CallSignal): Promise<UpstreamResponse> {
  const deadlineAt = Date.now() + (timeouts.deadline ?? DEFAULT_DEADLINE_MS);
  if (!req.session) return sendRetrying(pools, req, req.headers, timeouts, deadlineAt, signal);
  return sendWithSession(req.session, req.origin, req.method, req.path, (authorization) =>
    sendRetrying(pools, req, authorization === undefined ? req.headers : { ...req.headers, authorization }, timeouts, deadlineAt, signal));
}

async function sendRetrying(pools: UpstreamPools, req: UpstreamRequest, reqHeaders: Record<string, string>, timeouts: Timeouts, deadlineAt: number, signal?: CallSignal): Promise<UpstreamResponse> {
  const upstream = pools.upstream(req.origin);
  const retry = pools.retry;
  for (let attempt = 0; ; attempt++) {
    let res: UpstreamResponse;
    try {
      res = await attemptOnce(upstream, deadlineAt, signal, pools.observer, (headersTimeout, extra) =>
        upstream.pool.request({
          path: req.path,
          method: req.method,
          headers: outgoingHeaders(reqHeaders, extra, signal?.requestId),
          ...(req.body !== undefined ? { body: req.body as string } : {}),
          headersTimeout,
          bodyTimeout: timeouts.body,
          // undici takes any object with aborted/reason/add- and removeEventListener
          ...(signal ? { signal: signal as AbortSignal } : {}),
        }), timeouts.response, req);
    } catch (e) {
      const failure = e as InvokeError & { upstreamCode?: string };
      if (attempt < retry.retries && failure.upstreamCode !== undefined && retriesFailure(req.method, failure.upstreamCode) && (await waitToRetry(retryDelay(attempt + 1, retry) ?? 0, deadlineAt, signal))) continue;
      throw e;
    }
    // a status no HTTP client can pass on (999) is a broken upstream, not a 500 of ours (probe F11)
    if (res.statusCode < 200 || res.statusCode > 599) {
      discardBody(res.body as unknown as NodeJS.ReadableStream);
      throw new InvokeError('NR_ERR_UPSTREAM_BAD_STATUS', 502, 'Upstream answered an invalid status', `${req.label} answered status ${res.statusCode}, which is not an HTTP status a caller can receive`);
    }
    if (attempt < retry.retries && retriesStatus(req.method, res.statusCode)) {
      const after = res.headers['retry-after'];
      const delay = retryDelay(attempt + 1, retry, typeof after === 'string' ? after : undefined);
      if (delay !== undefined && Date.now() + delay < deadlineAt) {
        discardBody(res.body as unknown as NodeJS.ReadableStream);
        if (await waitToRetry(delay, deadlineAt, signal)) continue;
        throw upstreamFailure(signal?.reason ?? new Error('aborted'), req);
      }
    }
    return res;
  }
}

/**
 * One call through an origin's breaker and limiter: the slot is held until the answer's body is read
 * (or at once when there is no answer); the breaker learns whether the upstream was available.
 * Failures become InvokeErrors that keep the network code (`upstreamCode`) for the retry decision.
 */
export async function attemptOnce(
  upstream: Upstream, deadlineAt: number, signal: CallSignal | undefined, observer: UpstreamObserver | undefined,
  send: (headersTimeout: number, extraHeaders: Readonly<Record<string, string>> | undefined) => Promise<UpstreamResponse>, responseTimeout: number, target: AttemptTarget,
): Promise<UpstreamResponse> {
  const probe = upstream.breaker.admit();
  let release: () => void;
  try {
    const slot = upstream.limiter.acquire(signal, deadlineAt - Date.now());
    release = typeof slot === 'function' ? slot : await slot;
  } catch (e) {
    if (probe) upstream.breaker.record(false, true);
    throw e instanceof InvokeError ? e : upstreamFailure(e, target);
  }
  const remaining = deadlineAt - Date.now();
  const watch = observer?.attempt(target, signal);
  let res: UpstreamResponse;
  try {
    if (remaining <= 0) throw Object.assign(new Error('the call deadline passed'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    res = await send(Math.min(responseTimeout, remaining), watch?.headers);
  } catch (e) {
    release();
    const err = e as { code?: string; name?: string; cause?: { code?: string } };
    const code = err.code ?? err.cause?.code;
    const aborted = err.name === 'AbortError' || code === 'UND_ERR_ABORTED';
    upstream.breaker.record(!aborted && code !== undefined && (UNREACHABLE.has(code) || TIMEOUT.has(code)), probe);
    const failure = upstreamFailure(e, target) as InvokeError & { upstreamCode?: string };
    if (code !== undefined && !aborted) failure.upstreamCode = code;
    watch?.done({ error: aborted ? 'aborted' : code ?? failure.code });
    throw failure;
  }
  watch?.done({ status: res.statusCode });
  upstream.breaker.record(UNAVAILABLE_STATUS.has(res.statusCode), probe);
  const body = res.body as unknown as NodeJS.ReadableStream & { destroyed?: boolean; destroy(e?: Error): void };
  if (body.destroyed) {
    release();
    return res;
  }
  watchBody(body, deadlineAt, overdueError);
  body.once('close', () => {
    unwatchBody(body);
    release();
  });
  return res;
}

const overdueError = () => Object.assign(new Error('the call deadline passed while the body streamed'), { code: DEADLINE_CODE });

export function targetLabel(target: AttemptTarget): string {
  return target.label ?? `${target.method} ${target.origin}${target.path.split('?')[0]}`;
}

/** Waits `ms` unless the deadline would pass first or the caller goes away; true when the call may go on. */
function waitToRetry(ms: number, deadlineAt: number, signal: CallSignal | undefined): Promise<boolean> | boolean {
  if (Date.now() + ms >= deadlineAt || signal?.aborted) return false;
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function upstreamFailure(e: unknown, req: { origin: string; method: string; path: string; label?: string }): InvokeError {
  if (e instanceof InvokeError) return e;
  const err = e as { code?: string; name?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? err.name ?? 'unknown';
  const target = targetLabel(req);
  if (TIMEOUT.has(code)) return new InvokeError('NR_ERR_UPSTREAM_TIMEOUT', 504, 'Upstream timeout', `${target} did not answer in time (${code})`);
  if (err.name === 'AbortError' || code === 'UND_ERR_ABORTED') return new InvokeError('NR_ERR_CALL_ABORTED', 499, 'Call aborted', `${target}: the caller went away`);
  if (UNREACHABLE.has(code)) return new InvokeError('NR_ERR_UPSTREAM_UNREACHABLE', 502, 'Upstream unreachable', `${target} could not be reached (${code})`);
  return new InvokeError('NR_ERR_UPSTREAM_UNREACHABLE', 502, 'Upstream unreachable', `${target} failed (${code})`);
}

/** Reads a whole body, failing with 502 past `limit` bytes. */
export function readLimited(body: AsyncIterable<Buffer> & { destroy?: (e?: Error) => void }, limit: number, what: string | (() => string)): Promise<Buffer> {
  return collect(body, limit, what, 'refuse');
}

/**
 * Reads chunks until the body ends or holds more than `max` bytes. Past `max` the body is destroyed and
 * the read fails with 502 (`refuse`) or answers what it holds (`keep`: the caller cuts it).
 * 'data' events, not `for await`: the async iterator schedules several ticks and promises per chunk
 * (~40–80k instructions of a mapped 1 KB request, BENCHMARKS.md).
 */
function collect(body: AsyncIterable<Buffer> & { destroy?: (e?: Error) => void }, max: number, what: string | (() => string), overMax: 'refuse' | 'keep'): Promise<Buffer> {
  const stream = body as unknown as Readable;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const bytes = () => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    // once settled nobody reads the stream: a later error (of the destroy below, say) must not go unheard
    const settle = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      stream.on('error', ignore);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > max) {
        settle();
        stream.destroy();
        if (overMax === 'keep') resolve(bytes());
        else reject(new InvokeError('NR_ERR_UPSTREAM_TOO_LARGE', 502, 'Upstream response too large', `${labelOf(what)}: response body exceeds the ${max} byte limit`));
      }
    };
    const onEnd = () => {
      settle();
      resolve(bytes());
    };
    const onError = (e: Error) => {
      settle();
      reject(bodyReadFailure(e, labelOf(what)));
    };
    // closed without 'end' or 'error': the body was cut (as the async iterator reports it)
    const onClose = () => onError(prematureClose());
    if (stream.destroyed) return onError(stream.errored ?? prematureClose());
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

const ignore = () => {};
const prematureClose = () => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/** The body's Content-Encoding, lower-cased; '' when there is none. */
const contentEncoding = (headers: Record<string, string | string[] | undefined>): string => {
  const value = headers['content-encoding'];
  return value === undefined ? '' : String(value).trim().toLowerCase();
};

const labelOf = (what: string | (() => string)): string => (typeof what === 'string' ? what : what());

export function bodyReadFailure(e: unknown, label: string): InvokeError {
  const code = (e as { code?: string }).code;
  if (code === DEADLINE_CODE) return new InvokeError('NR_ERR_UPSTREAM_TIMEOUT', 504, 'Upstream timeout', `${label}: the response body did not finish within the call's deadline (--deadline)`);
  if (code === TOO_LARGE_CODE) return new InvokeError('NR_ERR_UPSTREAM_TOO_LARGE', 502, 'Upstream response too large', `${label}: ${(e as Error).message}`);
  if (code === 'UND_ERR_BODY_TIMEOUT') return new InvokeError('NR_ERR_UPSTREAM_TIMEOUT', 504, 'Upstream timeout', `${label}: the response body stalled`);
  return new InvokeError('NR_ERR_UPSTREAM_UNREACHABLE', 502, 'Upstream unreachable', `${label}: the connection broke while reading the body (${code ?? 'error'})`);
}

/** Drains a body nobody reads (204, 304), so the connection returns to the pool; errors are moot. */
export function discardBody(body: NodeJS.ReadableStream): void {
  body.on('error', () => {});
  body.resume();
}

const DECOMPRESS: Record<string, (buf: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/**
 * A whole upstream body as the bytes it stands for: read within `limit`, then, when the upstream
 * compressed it although nobody asked, decompressed within the same limit (probe F12).
 */
export function readBody(
  body: AsyncIterable<Buffer> & { destroy?: (e?: Error) => void }, headers: Record<string, string | string[] | undefined>, limit: number, what: string | (() => string),
): Promise<Buffer> {
  const encoding = contentEncoding(headers);
  // the common case is one promise: no async frame around the read
  if (encoding === '' || encoding === 'identity') return readLimited(body, limit, what);
  return readLimited(body, limit, what).then((raw) => (raw.length === 0 ? raw : decompressBody(raw, encoding, limit, what)));
}

async function decompressBody(raw: Buffer, encoding: string, limit: number, what: string | (() => string)): Promise<Buffer> {
  const label = () => labelOf(what);
  const decompress = DECOMPRESS[encoding];
  if (!decompress) throw new InvokeError('NR_ERR_UPSTREAM_BAD_BODY', 502, 'Upstream response unreadable', `${label()}: the body uses Content-Encoding ${JSON.stringify(encoding)}, which naftiko-run cannot decode`);
  try {
    return await decompress(raw, { maxOutputLength: limit });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new InvokeError('NR_ERR_UPSTREAM_TOO_LARGE', 502, 'Upstream response too large', `${label()}: the ${encoding} body decompresses to more than the ${limit} byte limit`);
    throw new InvokeError('NR_ERR_UPSTREAM_BAD_BODY', 502, 'Upstream response unreadable', `${label()}: the ${encoding} body cannot be decompressed (${(e as Error).message})`);
  }
}

/** The first bytes of a body, for a caller that keeps at most `keep` of them (MCP results, probe F9). */
export interface BodyPrefix {
  readonly bytes: Buffer;
  /** the body was longer than `keep`: `bytes` ends at a UTF-8 character boundary at or before `keep` */
  readonly truncated: boolean;
}

/**
 * Reads at most `keep` bytes and stops (the rest is never buffered; the connection is closed). A body
 * the upstream compressed unasked is read and decompressed within `limit` first, then cut.
 */
export async function readPrefix(
  body: AsyncIterable<Buffer> & { destroy?: (e?: Error) => void }, headers: Record<string, string | string[] | undefined>, keep: number, limit: number, what: string | (() => string),
): Promise<BodyPrefix> {
  const encoding = contentEncoding(headers);
  const bytes = encoding !== '' && encoding !== 'identity' ? await readBody(body, headers, limit, what) : await collect(body, keep, what, 'keep');
  return bytes.length <= keep ? { bytes, truncated: false } : { bytes: utf8Prefix(bytes, keep), truncated: true };
}

/** The first `keep` bytes or fewer, never splitting a UTF-8 character. */
export function utf8Prefix(bytes: Buffer, keep: number): Buffer {
  if (bytes.length <= keep) return bytes;
  let end = keep;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * A body passed through unread, held to `limit` bytes (FEATURES/SEMANTICS §7 response limit): over a
 * declared Content-Length it is refused before anything reaches the caller (502); a chunked body is
 * counted as it streams and cut past the limit (the caller's answer then breaks, since its status is sent).
 */
export function limitedStream<T extends NodeJS.ReadableStream>(body: T, headers: Record<string, string | string[] | undefined>, limit: number, label: string): T {
  const b = body as unknown as Readable;
  const length = headers['content-length'];
  if (length !== undefined) {
    const declared = Number(length);
    if (declared > limit) {
      b.destroy();
      throw new InvokeError('NR_ERR_UPSTREAM_TOO_LARGE', 502, 'Upstream response too large', `${label}: the response declares ${declared} bytes, over the ${limit} byte limit`);
    }
    return body; // undici holds the body to its declared length
  }
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(Object.assign(new Error(`response body exceeds the ${limit} byte limit`), { code: TOO_LARGE_CODE }));
      else done(null, chunk);
    },
  });
  b.on('error', (e) => counter.destroy(e));
  counter.on('close', () => {
    if (!b.destroyed) b.destroy();
  });
  return b.pipe(counter) as unknown as T;
}
