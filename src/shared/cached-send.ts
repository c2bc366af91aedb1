/**
 * A consumed GET call through the response cache: the key is a hash of the method, URL and request
 * headers (a caller's credential keeps its own entries, and never appears in a Redis key); a miss sends
 * the call, reads the whole body (within the response limit) and keeps it when it may be kept. Every
 * caller gets a fresh stream of the same bytes, so the code after the call cannot tell a hit from a miss.
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { UpstreamRequest } from '../consume/request.js';
import type { UpstreamResponse } from '../consume/send.js';
import { readBody } from '../consume/send.js';
import { keepFor } from './cache-control.js';
import type { CachedAnswer, ResponseCache } from './response-cache.js';

export function cacheKey(request: UpstreamRequest): string {
  const headers = Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]).sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([request.method, request.origin, request.path, headers])).digest('base64url');
}

export async function sendCached(
  cache: ResponseCache, ttlMs: number, request: UpstreamRequest, maxResponseBytes: number, send: () => Promise<UpstreamResponse>,
): Promise<UpstreamResponse> {
  const answer = await cache.get(cacheKey(request), async () => {
    const response = await send();
    const body = await readBody(response.body as unknown as AsyncIterable<Buffer>, response.headers, maxResponseBytes, request.label);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(response.headers)) if (v !== undefined) headers[k] = v;
    // the bytes kept are decoded: their encoding and length headers describe them, not the wire
    delete headers['content-encoding'];
    delete headers['transfer-encoding'];
    headers['content-length'] = String(body.length);
    const keepMs = response.statusCode === 200 ? keepFor(ttlMs, response.headers) : 0;
    return { answer: { status: response.statusCode, headers, body }, keepMs };
  });
  return replay(answer);
}

function replay(answer: CachedAnswer): UpstreamResponse {
  const body = new PassThrough();
  body.end(answer.body);
  return { statusCode: answer.status, headers: { ...answer.headers }, body, trailers: {}, opaque: null, context: {} } as unknown as UpstreamResponse;
}
