/**
 * Runs the JavaScript of orchestration `script` steps (FEATURES §5) in a small pool of worker_threads
 * workers, one fresh `vm` context per call. See script-worker.ts for what the sandbox holds.
 *
 * The sandbox keeps configuration mistakes and runaway scripts away from the server (the main thread
 * never runs script code, and a worker that misbehaves is terminated and replaced). It is not a security
 * boundary against hostile scripts: scripts are trusted configuration, like the capability itself.
 *
 * Limits:
 * - `timeoutMs` covers the script's own run (all files, their promise jobs, and the conversion of
 *   `result` to JSON), measured in the worker from the moment it starts the call. Time spent waiting for
 *   a free worker does not count; pass a `signal` to bound the whole wait.
 * - The host arms a watchdog of `timeoutMs + watchdogMarginMs` when it hands the call to a worker; a worker
 *   that has not answered by then (stuck outside JavaScript) is terminated and the call fails with
 *   NR_ERR_SCRIPT_TIMEOUT.
 * - The heap of each worker is capped with `resourceLimits` (`memoryMb`, default 64). Exhausting it
 *   ends that worker; the call fails with NR_ERR_SCRIPT_MEMORY and later calls get a new worker.
 * - `statementLimit` has no V8 equivalent and is not enforced (the timeout is).
 */
import { Worker } from 'node:worker_threads';
import { WORKER_SOURCE } from './script-worker.js';
import type { CallSignal } from '../consume/call-signal.js';

/** One file of a script step: dependencies first, then the main file. `file` names it in errors and stack traces. */
export interface ScriptSource {
  readonly file: string;
  readonly code: string;
}

export interface ScriptLimits {
  readonly timeoutMs: number;
  /** Heap cap of the worker that runs the call, in MB; default: the runner's `memoryMb` (64). */
  readonly memoryMb?: number;
}

export interface ScriptRunnerOptions {
  /** Default heap cap per worker, in MB (default 64, minimum 16). */
  readonly memoryMb?: number;
  /** Pool size (default 2). */
  readonly maxWorkers?: number;
  /** Grace period of the host watchdog beyond `timeoutMs` (default 500 ms). */
  readonly watchdogMarginMs?: number;
  /** Largest `JSON.stringify(result)` accepted, in characters (default 8 Mi). */
  readonly maxResultChars?: number;
}

export type ScriptErrorCode = 'NR_ERR_SCRIPT_FAILED' | 'NR_ERR_SCRIPT_TIMEOUT' | 'NR_ERR_SCRIPT_MEMORY';

/** Where a script failed, when known (`column` is 0 for compile errors, whose column is not reported). */
export interface ScriptErrorLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export class ScriptError extends Error {
  constructor(
    readonly code: ScriptErrorCode,
    message: string,
    readonly location?: ScriptErrorLocation,
  ) {
    super(message);
    this.name = 'ScriptError';
  }
}

const DEFAULT_MEMORY_MB = 64;
const MIN_MEMORY_MB = 16;
const DEFAULT_MAX_WORKERS = 2;
const DEFAULT_MARGIN_MS = 500;
const DEFAULT_MAX_RESULT_CHARS = 8 * 1024 * 1024;
/** setTimeout's ceiling, less room for the margin. */
const MAX_TIMEOUT_MS = 2_000_000_000;
/** How long a new worker may take to report that it is ready. */
const START_TIMEOUT_MS = 10_000;

interface Job {
  readonly id: number;
  readonly memoryMb: number;
  readonly message: RunMessage;
  readonly timeoutMs: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: CallSignal | undefined;
  onAbort: (() => void) | undefined;
  slot: Slot | undefined;
  watchdog: NodeJS.Timeout | undefined;
  settled: boolean;
}

interface Slot {
  readonly worker: Worker;
  readonly memoryMb: number;
  ready: boolean;
  job: Job | undefined;
  /** Set once the slot left the pool (exited, crashed or was terminated); its events are then ignored. */
  gone: boolean;
  startTimer: NodeJS.Timeout | undefined;
}

interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly sources: readonly ScriptSource[];
  readonly context: string;
  readonly timeoutMs: number;
  readonly maxResultChars: number;
}

type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; ok: true; json: string }
  | { type: 'result'; id: number; ok: false; kind: 'failed' | 'timeout'; message: string; file?: string; line?: number; column?: number };

function checkMemory(mb: unknown, what: string): number {
  if (typeof mb !== 'number' || !Number.isInteger(mb) || mb < MIN_MEMORY_MB) {
    throw new RangeError(`${what} must be an integer number of MB, at least ${MIN_MEMORY_MB}`);
  }
  return mb;
}

export class ScriptRunner {
  private readonly memoryMb: number;
  private readonly maxWorkers: number;
  private readonly marginMs: number;
  private readonly maxResultChars: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly exiting = new Set<Promise<unknown>>();
  private nextId = 1;
  private closed = false;

  constructor(options: ScriptRunnerOptions = {}) {
    this.memoryMb = checkMemory(options.memoryMb ?? DEFAULT_MEMORY_MB, 'memoryMb');
    const maxWorkers = options.maxWorkers ?? DEFAULT_MAX_WORKERS;
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) throw new RangeError('maxWorkers must be a positive integer');
    this.maxWorkers = maxWorkers;
    const margin = options.watchdogMarginMs ?? DEFAULT_MARGIN_MS;
    if (!Number.isFinite(margin) || margin < 0) throw new RangeError('watchdogMarginMs must be a non-negative number');
    this.marginMs = margin;
    const maxResult = options.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS;
    if (!Number.isInteger(maxResult) || maxResult < 1) throw new RangeError('maxResultChars must be a positive integer');
    this.maxResultChars = maxResult;
  }

  /**
   * Runs `sources` in order in one fresh context whose global `context` is a deep, frozen copy of `context`
   * (JSON data). Resolves to the JSON copy of the global `result` (null when never assigned). Rejects with a
   * ScriptError, with `signal.reason` when the signal aborts, or with a TypeError/RangeError for bad arguments.
   */
  run(sources: readonly ScriptSource[], context: unknown, limits: ScriptLimits, signal?: CallSignal): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.closed) {
        reject(new ScriptError('NR_ERR_SCRIPT_FAILED', 'the script runner is closed'));
        return;
      }
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let message: RunMessage;
      let memoryMb: number;
      let timeoutMs: number;
      try {
        if (!Array.isArray(sources) || sources.some((s) => s === null || typeof s !== 'object' || typeof s.file !== 'string' || typeof s.code !== 'string')) {
          throw new TypeError('sources must be an array of { file, code } strings');
        }
        timeoutMs = limits?.timeoutMs;
        if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new RangeError('limits.timeoutMs must be a positive number');
        timeoutMs = Math.min(Math.ceil(timeoutMs), MAX_TIMEOUT_MS);
        memoryMb = limits.memoryMb === undefined ? this.memoryMb : checkMemory(limits.memoryMb, 'limits.memoryMb');
        let json: string | undefined;
        try {
          json = JSON.stringify(context);
        } catch (e) {
          throw new ScriptError('NR_ERR_SCRIPT_FAILED', `the script context is not JSON data: ${(e as Error).message}`);
        }
        message = {
          type: 'run',
          id: this.nextId++,
          sources: sources.map((s) => ({ file: s.file, code: s.code })),
          context: json ?? 'null',
          timeoutMs,
          maxResultChars: this.maxResultChars,
        };
      } catch (e) {
        reject(e);
        return;
      }
      const job: Job = {
        id: message.id,
        memoryMb,
        message,
        timeoutMs,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        slot: undefined,
        watchdog: undefined,
        settled: false,
      };
      if (signal !== undefined) {
        job.onAbort = () => this.abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Fails queued and running calls, terminates every worker, and waits for them to exit. */
  async close(): Promise<void> {
    this.closed = true;
    const closedError = () => new ScriptError('NR_ERR_SCRIPT_FAILED', 'the script runner was closed');
    for (const job of this.queue.splice(0)) this.fail(job, closedError());
    for (const slot of [...this.slots]) {
      if (slot.job !== undefined) this.fail(slot.job, closedError());
      this.discard(slot);
    }
    await Promise.allSettled([...this.exiting]);
  }

  /** Current pool size (for tests and diagnostics). */
  get workerCount(): number {
    return this.slots.length;
  }

  private pump(): void {
    if (this.closed) return;
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) return;
      const idle = this.slots.find((s) => s.ready && s.job === undefined && s.memoryMb === head.memoryMb);
      if (idle !== undefined) {
        this.queue.shift();
        this.dispatch(idle, head);
        continue;
      }
      // Start as many workers of that size as there are queued calls for it, within the pool size.
      const wanted = this.queue.filter((j) => j.memoryMb === head.memoryMb).length;
      let starting = this.slots.filter((s) => !s.ready && s.memoryMb === head.memoryMb).length;
      while (starting < wanted) {
        if (this.slots.length >= this.maxWorkers) {
          // Make room by retiring an idle worker of another size.
          const other = this.slots.find((s) => s.ready && s.job === undefined && s.memoryMb !== head.memoryMb);
          if (other === undefined) break;
          this.discard(other);
        }
        if (!this.spawn(head.memoryMb)) return;
        starting++;
      }
      return;
    }
  }

  /** Starts a worker; when Node refuses to, fails the calls waiting for one of that size and answers false. */
  private spawn(memoryMb: number): boolean {
    let worker: Worker;
    try {
      worker = this.newWorker(memoryMb);
    } catch (e) {
      const error = new ScriptError('NR_ERR_SCRIPT_FAILED', `the script worker could not start: ${(e as Error).message}`);
      for (const j of this.queue.filter((q) => q.memoryMb === memoryMb)) {
        this.queue.splice(this.queue.indexOf(j), 1);
        this.fail(j, error);
      }
      return false;
    }
    this.watch(worker, memoryMb);
    return true;
  }

  private newWorker(memoryMb: number): Worker {
    return new Worker(WORKER_SOURCE, {
      eval: true,
      name: 'naftiko-script',
      env: {},
      argv: [],
      // Needed for vm's importModuleDynamically, which keeps import() away from Node's loader and host errors.
      execArgv: ['--experimental-vm-modules'],
      stdin: false,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(1, Math.min(16, Math.floor(memoryMb / 4))), stackSizeMb: 4 },
    });
  }

  private watch(worker: Worker, memoryMb: number): void {
    // Discard the worker's own output (Node warnings). The sandbox's `console` is V8's built-in one,
    // which writes nowhere (only to an attached inspector).
    worker.stdout.resume();
    worker.stderr.resume();
    const slot: Slot = { worker, memoryMb, ready: false, job: undefined, gone: false, startTimer: undefined };
    // A worker that does not come up in time is given up (the calls waiting for it fail).
    slot.startTimer = setTimeout(() => {
      this.onCrash(slot, new ScriptError('NR_ERR_SCRIPT_FAILED', `the script worker did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    slot.startTimer.unref();
    this.slots.push(slot);
    worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
    worker.on('messageerror', () => this.onCrash(slot, new ScriptError('NR_ERR_SCRIPT_FAILED', 'the script worker sent an unreadable message')));
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        this.onCrash(slot, new ScriptError('NR_ERR_SCRIPT_MEMORY', `the script exceeded its memory limit (${memoryMb} MB)`));
      } else {
        this.onCrash(slot, new ScriptError('NR_ERR_SCRIPT_FAILED', `the script worker failed: ${err.message}`));
      }
    });
    worker.on('exit', (code) => {
      this.onCrash(slot, new ScriptError('NR_ERR_SCRIPT_FAILED', `the script worker stopped (exit code ${code})`));
    });
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    job.slot = slot;
    slot.worker.ref();
    job.watchdog = setTimeout(() => {
      if (job.settled) return;
      this.fail(job, new ScriptError('NR_ERR_SCRIPT_TIMEOUT', `the script did not finish within ${job.timeoutMs} ms (its worker did not answer and was stopped)`));
      this.discard(slot);
      this.pump();
    }, job.timeoutMs + this.marginMs);
    try {
      slot.worker.postMessage(job.message);
    } catch (e) {
      this.fail(job, new ScriptError('NR_ERR_SCRIPT_FAILED', `the script could not be sent to its worker: ${(e as Error).message}`));
      this.discard(slot);
    }
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    if (slot.gone) return;
    if (reply.type === 'ready') {
      slot.ready = true;
      clearTimeout(slot.startTimer);
      // Idle workers do not keep the process alive; dispatch() refs a worker while it runs a call.
      slot.worker.unref();
      this.pump();
      return;
    }
    const job = slot.job;
    if (reply.type !== 'result' || job === undefined || reply.id !== job.id) return;
    slot.job = undefined;
    slot.worker.unref();
    if (reply.ok) {
      let value: unknown;
      try {
        value = JSON.parse(reply.json);
      } catch {
        this.fail(job, new ScriptError('NR_ERR_SCRIPT_FAILED', 'the script result is not valid JSON'));
        this.pump();
        return;
      }
      this.settle(job, true, value);
    } else if (reply.kind === 'timeout') {
      this.fail(job, new ScriptError('NR_ERR_SCRIPT_TIMEOUT', `the script did not finish within ${job.timeoutMs} ms`));
    } else {
      const location =
        typeof reply.file === 'string' && typeof reply.line === 'number'
          ? { file: reply.file, line: reply.line, column: typeof reply.column === 'number' ? reply.column : 0 }
          : undefined;
      this.fail(job, new ScriptError('NR_ERR_SCRIPT_FAILED', String(reply.message), location));
    }
    this.pump();
  }

  /** The worker died or broke: fail its call (or, if it never started, the calls waiting for its size). */
  private onCrash(slot: Slot, error: ScriptError): void {
    if (slot.gone) return;
    const wasReady = slot.ready;
    const job = slot.job;
    this.discard(slot);
    if (job !== undefined) {
      this.fail(job, error);
    } else if (!wasReady && !this.slots.some((s) => s.ready && s.memoryMb === slot.memoryMb)) {
      // A worker that cannot start would be restarted forever; fail the calls that were waiting for it.
      const failing = this.queue.filter((j) => j.memoryMb === slot.memoryMb);
      for (const j of failing) {
        this.queue.splice(this.queue.indexOf(j), 1);
        this.fail(j, error.code === 'NR_ERR_SCRIPT_MEMORY' ? error : new ScriptError('NR_ERR_SCRIPT_FAILED', `the script worker could not start: ${error.message}`));
      }
    }
    this.pump();
  }

  private abort(job: Job): void {
    if (job.settled) return;
    const i = this.queue.indexOf(job);
    if (i !== -1) this.queue.splice(i, 1);
    const slot = job.slot;
    const running = slot !== undefined && !slot.gone && slot.job === job;
    this.fail(job, job.signal?.reason ?? new Error('aborted'));
    if (running) {
      // The worker may be deep in the script: stop it rather than wait.
      this.discard(slot);
      this.pump();
    }
  }

  /** Takes the slot out of the pool and terminates its worker. */
  private discard(slot: Slot): void {
    if (slot.gone) return;
    slot.gone = true;
    clearTimeout(slot.startTimer);
    slot.job = undefined;
    const i = this.slots.indexOf(slot);
    if (i !== -1) this.slots.splice(i, 1);
    const exit = slot.worker.terminate().catch(() => undefined);
    this.exiting.add(exit);
    void exit.finally(() => this.exiting.delete(exit));
  }

  private fail(job: Job, reason: unknown): void {
    this.settle(job, false, reason);
  }

  private settle(job: Job, ok: boolean, outcome: unknown): void {
    if (job.settled) return;
    job.settled = true;
    if (job.watchdog !== undefined) clearTimeout(job.watchdog);
    if (job.onAbort !== undefined) job.signal?.removeEventListener('abort', job.onAbort);
    if (job.slot !== undefined && job.slot.job === job) {
      job.slot.job = undefined;
      job.slot.worker.unref();
    }
    if (ok) job.resolve(outcome);
    else job.reject(outcome);
  }
}
