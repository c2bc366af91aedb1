/**
 * The inbound request id (issue 9 §7): the caller's `x-request-id` when it is a sane token, else a new
 * UUID. It is answered back to the caller and names the request in the log (`reqId`); the adapters put
 * it on the call's signal (CallSignal.requestId), which carries it to every upstream call.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** letters, digits and `-._:` up to 128 characters: anything else (a log-injection attempt, a huge value) is replaced */
const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Decides the id of `req` (kept in its `x-request-id` header, where fastify and the adapters read it) and answers it. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): void {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && SANE.test(given) ? given : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader(REQUEST_ID_HEADER, id);
}

/** `headers` (lower-cased names) plus the attempt's `extra` ones and the request id, unless the call sets its own. */
export function outgoingHeaders<V>(headers: Record<string, V>, extra: Readonly<Record<string, string>> | undefined, requestId: string | undefined): Record<string, V | string> {
  if (!extra && (requestId === undefined || headers[REQUEST_ID_HEADER] !== undefined)) return headers;
  return { ...(requestId !== undefined && headers[REQUEST_ID_HEADER] === undefined ? { [REQUEST_ID_HEADER]: requestId } : {}), ...headers, ...extra };
}
