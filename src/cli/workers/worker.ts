/**
 * The worker side of `--workers`: a normal serve whose control adapter asks the primary for every
 * worker's metrics and for reloads of all of them, and which answers the primary's own requests.
 */
import type { ClusterLink, ReloadOutcome, Runtime } from '../../runtime.js';
import type { PrimaryToWorker, WorkerToPrimary } from './messages.js';

const ASK_TIMEOUT_MS = 15_000;

export interface WorkerLink extends ClusterLink {
  /** starts answering the primary for `runtime`; tells it this worker is ready */
  attach(runtime: Runtime): void;
}

export function workerLink(): WorkerLink {
  let runtime: Runtime | undefined;
  let next = 1;
  const waiting = new Map<number, (m: PrimaryToWorker) => void>();
  const send = (m: WorkerToPrimary) => {
    if (process.connected) process.send?.(m);
  };
  // the channel to the primary is this worker's lifeline (cluster's listen goes through it): a preload
  // that unrefs it must not let the worker exit half-started
  process.channel?.ref();

  process.on('message', (m: PrimaryToWorker) => {
    if (m.type === 'gathered' || m.type === 'reloaded-all') {
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    } else if (m.type === 'metrics-request') {
      send({ type: 'metrics', id: m.id, text: runtime?.localMetrics() ?? '' });
    } else if (m.type === 'reload-request') {
      const reload = runtime ? runtime.reload('signal') : Promise.resolve<ReloadOutcome>({ ok: false, status: 503, code: 'NR_ERR_RELOAD_REFUSED', detail: 'the worker is not serving yet' });
      void reload.then((outcome) => send({ type: 'reloaded', id: m.id, outcome }));
    }
  });

  function ask<T extends PrimaryToWorker>(message: WorkerToPrimary & { id: number }, timeout: () => T): Promise<T> {
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(message.id);
        resolve(timeout());
      }, ASK_TIMEOUT_MS);
      waiting.set(message.id, (m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      send(message);
    });
  }

  return {
    attach(r) {
      runtime = r;
      send({ type: 'ready' });
    },
    metrics: async () => {
      const id = next++;
      const m = await ask({ type: 'gather-metrics', id }, () => ({ type: 'gathered', id, text: runtime?.localMetrics() ?? '' }) as const);
      return (m as { text: string }).text;
    },
    reload: async () => {
      const id = next++;
      const m = await ask({ type: 'reload-all', id }, () => ({ type: 'reloaded-all', id, outcome: { ok: false, status: 503, code: 'NR_ERR_RELOAD_REFUSED', detail: 'the primary process did not answer in time' } }) as const);
      return (m as { outcome: ReloadOutcome }).outcome;
    },
  };
}
