/**
 * Upstream bodies held to their call's deadline (undici's body timeout measures silence, which a
 * trickle never is). One shared timer sweeps every body still streaming, instead of a timer per call:
 * Node's timer for each call, armed and cleared, cost ~4 µs of a ~150 µs pass-through request. A body
 * is cut at most one sweep (SWEEP_MS) after its deadline.
 */

export const SWEEP_MS = 25;

interface Destroyable {
  destroy(error?: Error): void;
}

const watched = new Map<Destroyable, { readonly at: number; readonly error: () => Error }>();
let sweeper: NodeJS.Timeout | undefined;

/** Destroys `body` with `error()` once `deadlineAt` (ms since the epoch) has passed, unless `unwatch` comes first. */
export function watchBody(body: Destroyable, deadlineAt: number, error: () => Error): void {
  watched.set(body, { at: deadlineAt, error });
  // the sweeper runs while anything is watched and stops on the first sweep that finds nothing
  sweeper ??= setInterval(sweep, SWEEP_MS).unref();
}

export function unwatchBody(body: Destroyable): void {
  watched.delete(body);
}

function sweep(): void {
  if (watched.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
    return;
  }
  const now = Date.now();
  for (const [body, { at, error }] of watched) {
    if (at > now) continue;
    watched.delete(body);
    body.destroy(error());
  }
}
