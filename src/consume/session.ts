/**
 * Upstream credentials that take a round trip (a digest challenge, an OAuth2 token): an `Authorization`
 * for the first attempt when one is known, and after a 401 at most one more attempt. The request must be
 * replayable (a string, a buffer or a FormData body), which every body sendUpstream gets is.
 */
import type { UpstreamResponse } from './send.js';
import { discardBody } from './send.js';

export interface UpstreamSession {
  /** the `Authorization` for a first attempt at `METHOD origin target`, or undefined to send none */
  authorize(origin: string, method: string, target: string): string | undefined | Promise<string | undefined>;
  /**
   * After a 401 (its `WWW-Authenticate` values) to an attempt that carried `sent`: the `Authorization`
   * for one retry, or undefined to pass the 401 on.
   */
  retry(origin: string, challenges: string | string[] | undefined, method: string, target: string, sent: string | undefined): string | undefined | Promise<string | undefined>;
}

/** `send` once, and again once when the session answers the upstream's 401; never more. */
export async function sendWithSession(
  session: UpstreamSession, origin: string, method: string, target: string,
  send: (authorization: string | undefined) => Promise<UpstreamResponse>,
): Promise<UpstreamResponse> {
  const first = await session.authorize(origin, method, target);
  const res = await send(first);
  if (res.statusCode !== 401) return res;
  let again: string | undefined;
  try {
    again = await session.retry(origin, res.headers['www-authenticate'], method, target, first);
  } catch (e) {
    discardBody(res.body as unknown as NodeJS.ReadableStream);
    throw e;
  }
  if (again === undefined) return res;
  discardBody(res.body as unknown as NodeJS.ReadableStream);
  return send(again);
}
