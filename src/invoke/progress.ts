/**
 * Progress of one invocation, for a caller that asked for it (an MCP client's progress token): the
 * orchestration engine reports each finished step to the listener of the call it runs in, carried by
 * AsyncLocalStorage so that the engine needs no extra argument and costs nothing when nobody listens.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** `done` of `total` steps have finished; `message` says which */
export type ProgressListener = (done: number, total: number, message: string) => void;

const storage = new AsyncLocalStorage<ProgressListener>();

export function withProgress<T>(listener: ProgressListener, run: () => Promise<T>): Promise<T> {
  return storage.run(listener, run);
}

/** The listener of the running invocation, if its caller asked for progress. */
export function progressListener(): ProgressListener | undefined {
  return storage.getStore();
}
