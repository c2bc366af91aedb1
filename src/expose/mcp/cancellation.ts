/**
 * `notifications/cancelled` for a stateless endpoint: the notification arrives in a POST of its own,
 * served by another per-request SDK server than the call it names, so the adapter keeps its own table
 * of running tool calls. A call is identified by its JSON-RPC id and its caller (remote address and
 * credential), and is cancelled only when exactly one running call matches: ids repeat across clients,
 * and cancellation is advisory (a server MAY ignore it), so an ambiguous one is ignored rather than
 * guessed. Closing the connection of the call also cancels it (the SDK's request signal).
 */
import type { IncomingMessage } from 'node:http';
import type { CallAbort } from '../../consume/call-signal.js';

export type RequestId = string | number;

export class RunningCalls {
  private readonly calls = new Map<string, Set<CallAbort>>();

  /** Records a running call; the returned function forgets it. */
  track(caller: string, id: RequestId, abort: CallAbort): () => void {
    const key = keyOf(caller, id);
    let set = this.calls.get(key);
    if (!set) this.calls.set(key, (set = new Set()));
    set.add(abort);
    return () => {
      set!.delete(abort);
      if (set!.size === 0 && this.calls.get(key) === set) this.calls.delete(key);
    };
  }

  /** Cancels the one running call `id` of `caller`; false when there is none, or more than one. */
  cancel(caller: string, id: RequestId, reason: string): boolean {
    const set = this.calls.get(keyOf(caller, id));
    if (!set || set.size !== 1) return false;
    for (const abort of set) abort.abort(Object.assign(new Error(`the client cancelled the call: ${reason}`), { name: 'AbortError' }));
    return true;
  }

  get size(): number {
    return this.calls.size;
  }
}

function keyOf(caller: string, id: RequestId): string {
  return `${typeof id}:${id}\0${caller}`;
}

/** Who sent a request, as far as a stateless endpoint can tell: its address and its credential. */
export function callerOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? ''}\0${req.headers.authorization ?? ''}\0${req.headers['x-api-key'] ?? ''}`;
}

/** The `requestId`s of the `notifications/cancelled` messages in a POST body (one message or a batch). */
export function cancelledIds(body: unknown): { id: RequestId; reason: string }[] {
  const messages = Array.isArray(body) ? body : [body];
  const out: { id: RequestId; reason: string }[] = [];
  for (const m of messages) {
    const msg = m as { method?: unknown; params?: { requestId?: unknown; reason?: unknown } } | null;
    const id = msg?.params?.requestId;
    if (msg?.method === 'notifications/cancelled' && (typeof id === 'string' || typeof id === 'number')) {
      out.push({ id, reason: typeof msg.params?.reason === 'string' ? msg.params.reason : 'no reason given' });
    }
  }
  return out;
}
