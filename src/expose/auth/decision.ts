/** What an inbound check answers, and the constant-time comparison every secret check uses. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type InboundDecision =
  | { readonly ok: true }
  | {
    readonly ok: false;
    readonly status: 401 | 403 | 501 | 503;
    readonly code: string;
    readonly detail: string;
    /** `WWW-Authenticate`: one challenge, or several (digest offers SHA-256 and MD5) */
    readonly challenge?: string | readonly string[];
  };

/** The parts of a request a check may read. `url` is the raw request target (path and query). */
export interface InboundRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export const OK: InboundDecision = { ok: true };

export function refused(status: 401 | 403 | 501 | 503, code: string, detail: string, challenge?: string | readonly string[]): InboundDecision {
  return { ok: false, status, code, detail, ...(challenge ? { challenge } : {}) };
}

export function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time over SHA-256 digests, so neither the value nor its length leaks. */
export function sameSecret(sent: string, expected: Buffer): boolean {
  return timingSafeEqual(sha256(sent), expected);
}

export function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A quoted-string parameter value of `WWW-Authenticate`: no quote, backslash or control character. */
export function quotable(s: string): string {
  return s.replace(/["\\\u0000-\u001f\u007f]/g, ' ');
}
