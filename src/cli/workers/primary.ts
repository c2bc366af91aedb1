/**
 * The primary process of `--workers N`: forks N workers that share every listening port (node:cluster
 * hands each new connection to the next worker, round-robin), restarts one that crashes, forwards
 * SIGHUP (and --watch) as a reload of all workers and SIGTERM/SIGINT as a drain of all, and answers a
 * worker's control adapter for the whole set: merged /metrics, a reload of every worker.
 */
import cluster, { type Worker } from 'node:cluster';
import { mergeExpositions } from '../../observe/merge-exposition.js';
import type { ReloadOutcome } from '../../runtime.js';
import { watchFiles } from '../../serve/watch-files.js';
import type { Io } from '../io.js';
import { WORKER_NUMBER_ENV, WORKER_SUMMARY_ENV, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';

const ANSWER_TIMEOUT_MS = 10_000;
/** more restarts than this within the window is a crash loop: the primary stops */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 30_000;

export interface PrimaryOptions {
  readonly workers: number;
  readonly files: readonly string[];
  readonly watch: boolean;
  /** the workers' own drain deadline (--drain-timeout); the primary waits a little longer */
  readonly drainMs: number;
}

interface Slot {
  readonly number: number;
  worker: Worker;
  ready: boolean;
}

export function runPrimary(options: PrimaryOptions, io: Io): Promise<number> {
  return new Promise<number>((resolve) => {
    const slots: Slot[] = [];
    const restarts: number[] = [];
    let stopping = false;
    /** the 'N workers … share every port' line was printed: later readies are replacements */
    let announced = false;
    let exitCode = 0;
    let nextId = 1;
    const pending = new Map<number, { expect: Set<number>; got: Map<number, WorkerToPrimary>; done: (answers: Map<number, WorkerToPrimary>) => void; timer: NodeJS.Timeout }>();

    const fork = (number: number, summary: boolean): Worker => {
      const worker = cluster.fork({ [WORKER_NUMBER_ENV]: String(number), ...(summary ? { [WORKER_SUMMARY_ENV]: '1' } : {}) });
      worker.on('message', (m: WorkerToPrimary) => onMessage(number, worker, m));
      // a message to a worker that just died (EPIPE): its 'exit' is handled below; the primary stays up
      worker.on('error', (e) => io.err(`naftiko-run: worker ${number}: ${e.message}`));
      return worker;
    };

    const live = () => slots.filter((s) => s.ready && !s.worker.isDead());

    /** asks every ready worker; resolves with their answers (late or dead ones are left out) */
    const askAll = (make: (id: number) => PrimaryToWorker): Promise<Map<number, WorkerToPrimary>> =>
      new Promise((done) => {
        const id = nextId++;
        const targets = live();
        if (targets.length === 0) return done(new Map());
        const timer = setTimeout(() => finish(id), ANSWER_TIMEOUT_MS);
        pending.set(id, { expect: new Set(targets.map((s) => s.number)), got: new Map(), done, timer });
        for (const s of targets) s.worker.send(make(id));
      });
    const finish = (id: number) => {
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      clearTimeout(p.timer);
      p.done(p.got);
    };

    const gatherMetrics = async (): Promise<string> => {
      const answers = await askAll((id) => ({ type: 'metrics-request', id }));
      const parts = [...answers].map(([worker, m]) => ({ worker, text: m.type === 'metrics' ? m.text : '' })).sort((a, b) => a.worker - b.worker);
      return mergeExpositions(parts);
    };

    const reloadAll = async (): Promise<ReloadOutcome> => {
      const answers = await askAll((id) => ({ type: 'reload-request', id }));
      const outcomes = [...answers.values()].flatMap((m) => (m.type === 'reloaded' ? [m.outcome] : []));
      if (outcomes.length < slots.length) return { ok: false, status: 503, code: 'NR_ERR_RELOAD_REFUSED', detail: `only ${outcomes.length} of ${slots.length} workers answered the reload; the others serve the files they had` };
      return outcomes.find((o) => !o.ok) ?? outcomes[0]!;
    };

    function onMessage(number: number, worker: Worker, m: WorkerToPrimary): void {
      switch (m.type) {
        case 'ready': {
          const slot = slots.find((s) => s.number === number);
          if (slot) slot.ready = true;
          if (announced) io.out(`naftiko-run: worker ${number} (pid ${worker.process.pid}) is serving`);
          else if (slots.length === options.workers && slots.every((s) => s.ready)) {
            announced = true;
            io.out(`naftiko-run: ${options.workers} workers (pids ${slots.map((s) => s.worker.process.pid).join(', ')}) share every port`);
          }
          return;
        }
        case 'gather-metrics':
          void gatherMetrics().then((text) => worker.isConnected() && worker.send({ type: 'gathered', id: m.id, text } satisfies PrimaryToWorker));
          return;
        case 'reload-all':
          void reloadAll().then((outcome) => worker.isConnected() && worker.send({ type: 'reloaded-all', id: m.id, outcome } satisfies PrimaryToWorker));
          return;
        case 'metrics':
        case 'reloaded': {
          const p = pending.get(m.id);
          if (!p) return;
          p.got.set(number, m);
          if ([...p.expect].every((n) => p.got.has(n))) finish(m.id);
          return;
        }
      }
    }

    cluster.on('exit', (worker, code, signal) => {
      const slot = slots.find((s) => s.worker === worker);
      if (!slot) return;
      if (stopping) {
        // a replacement still starting has no drain to do: SIGTERM ends it, which is no failure
        if (code !== 0 && !(signal === 'SIGTERM' && !slot.ready)) exitCode = 1;
        if (slots.every((s) => s.worker.isDead())) finishAll();
        return;
      }
      if (!slot.ready) {
        // it never listened (a port in use, a bad file…): its own message says why; restarting would loop
        io.err(`naftiko-run: worker ${slot.number} exited (${signal ?? `code ${code}`}) before it was ready; stopping [NR_ERR_WORKER_START]`);
        exitCode = 1;
        stopAll();
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length > MAX_RESTARTS) {
        io.err(`naftiko-run: workers crashed ${restarts.length} times within ${RESTART_WINDOW_MS / 1000} s; stopping [NR_ERR_WORKER_CRASH_LOOP]`);
        exitCode = 1;
        stopAll();
        return;
      }
      io.err(`naftiko-run: worker ${slot.number} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); starting another`);
      slot.ready = false;
      slot.worker = fork(slot.number, false);
    });

    const stopAll = () => {
      if (stopping) return;
      stopping = true;
      stopWatching();
      process.off('SIGHUP', onHangup);
      for (const s of slots) if (!s.worker.isDead()) s.worker.process.kill('SIGTERM');
      // a worker that does not finish its drain in time is killed
      setTimeout(() => {
        for (const s of slots) if (!s.worker.isDead()) s.worker.process.kill('SIGKILL');
      }, options.drainMs + 5_000).unref();
      if (slots.every((s) => s.worker.isDead())) finishAll();
    };
    const finishAll = () => {
      for (const id of [...pending.keys()]) finish(id);
      resolve(exitCode);
    };

    const onHangup = () => void reloadAll().then((o) => (o.ok ? io.out(`naftiko-run: reloaded ${slots.length} workers`) : io.err(`naftiko-run: reload refused: ${o.detail} [${o.code}]`)));
    process.on('SIGHUP', onHangup);
    const onStop = (signal: string) => {
      io.out(`naftiko-run: ${signal} received, draining ${slots.length} workers…`);
      stopAll();
    };
    process.once('SIGINT', () => onStop('SIGINT'));
    process.once('SIGTERM', () => onStop('SIGTERM'));
    const stopWatching = options.watch ? watchFiles(options.files, onHangup, (e) => io.err(`naftiko-run: watching the capability files failed: ${e.message}`)) : () => {};

    for (let n = 1; n <= options.workers; n++) slots.push({ number: n, worker: fork(n, n === 1), ready: false });
  });
}
