/** The messages between the primary process and its workers (`--workers`), over Node's IPC channel. */
import type { ReloadOutcome } from '../../runtime.js';

export type WorkerToPrimary =
  /** the worker listens on every adapter */
  | { readonly type: 'ready' }
  /** its control adapter was asked for /metrics or POST /reload: the primary answers for all workers */
  | { readonly type: 'gather-metrics'; readonly id: number }
  | { readonly type: 'reload-all'; readonly id: number }
  /** answers to the primary's requests */
  | { readonly type: 'metrics'; readonly id: number; readonly text: string }
  | { readonly type: 'reloaded'; readonly id: number; readonly outcome: ReloadOutcome };

export type PrimaryToWorker =
  | { readonly type: 'metrics-request'; readonly id: number }
  | { readonly type: 'reload-request'; readonly id: number }
  | { readonly type: 'gathered'; readonly id: number; readonly text: string }
  | { readonly type: 'reloaded-all'; readonly id: number; readonly outcome: ReloadOutcome };

/** The environment variable that tells a worker its number (1…N) */
export const WORKER_NUMBER_ENV = 'NAFTIKO_RUN_WORKER';
/** set for the one worker that prints the startup table */
export const WORKER_SUMMARY_ENV = 'NAFTIKO_RUN_WORKER_SUMMARY';
