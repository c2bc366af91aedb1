/**
 * The inbound request id (issue 9 §7): the caller's `x-request-id` when it is a sane token, else a new
 * UUID. It is answered back to the caller, names the request in the log (`reqId`) and goes upstream
 * with every call the request makes, carried through async code by AsyncLocalStorage.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** letters, digits and `-._:` up to 128 characters: anything else (a log-injection attempt, a huge value) is replaced */
const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

const storage = new AsyncLocalStorage<string>();

/** The id of the request whose code is running, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore();
}

/** Runs `handle` as the request `req`: decides its id, answers it in `x-request-id`, makes it current. */
export function withRequestId(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && SANE.test(given) ? given : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  storage.run(id, handle);
}

/** `headers` (lower-cased names) plus the attempt's `extra` ones and the current request id, unless the call sets its own. */
export function outgoingHeaders<V>(headers: Record<string, V>, extra: Readonly<Record<string, string>> | undefined): Record<string, V | string> {
  const id = storage.getStore();
  if (!extra && (id === undefined || headers[REQUEST_ID_HEADER] !== undefined)) return headers;
  return { ...(id !== undefined && headers[REQUEST_ID_HEADER] === undefined ? { [REQUEST_ID_HEADER]: id } : {}), ...headers, ...extra };
}
