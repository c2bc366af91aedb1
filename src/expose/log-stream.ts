/**
 * Where the request log goes, and in which form. JSON lines, unless a person watches: on a terminal
 * (or with `--log-format pretty`) each line is made readable by pino-pretty. On the process's stdout or
 * stderr JSON lines are buffered and written asynchronously (fd-log-buffer.ts: at 64 KiB, every 250 ms,
 * and synchronously at exit), because one synchronous write per request line cost a third of REST
 * pass-through throughput at the default `info` level (BENCHMARKS.md). Any other stream (tests,
 * embedding) is written as it is.
 */
import cluster from 'node:cluster';
import { FdLogBuffer } from './fd-log-buffer.js';

/** `--log-format`: auto = pretty on a terminal, JSON elsewhere */
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LogStream {
  readonly stream: NodeJS.WritableStream;
  /** writes what is buffered, synchronously */
  flush(): void;
}

const FLUSH_EVERY_MS = 250;
// one buffer per descriptor for the process, however many runtimes it starts
const byFd = new Map<number, LogStream>();

export async function logStream(target: NodeJS.WritableStream, format: LogFormat = 'auto'): Promise<LogStream> {
  const terminal = (target as { isTTY?: boolean }).isTTY === true;
  if (format === 'pretty' || (format === 'auto' && terminal)) return prettyStream(target, terminal);
  return jsonStream(target);
}

async function prettyStream(target: NodeJS.WritableStream, colorize: boolean): Promise<LogStream> {
  const { default: pretty } = await import('pino-pretty');
  const stream = pretty({ destination: target, colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, errorLikeObjectKeys: ['err'], sync: true });
  return { stream, flush: () => {} };
}

function jsonStream(target: NodeJS.WritableStream): LogStream {
  const fd = target === process.stdout ? 1 : target === process.stderr ? 2 : undefined;
  if (fd === undefined) return { stream: target, flush: () => {} };
  let made = byFd.get(fd);
  if (!made) byFd.set(fd, (made = buffered(fd)));
  return made;
}

function buffered(fd: number): LogStream {
  // workers share the primary's stdout: their writes must not cut each other's lines
  const out = new FdLogBuffer(fd, { atomicWrites: cluster.isWorker });
  const timer = setInterval(() => out.flush(), FLUSH_EVERY_MS);
  timer.unref();
  const flush = () => {
    try {
      out.flushSync();
    } catch {
      // the descriptor is gone: what could not be written is lost, the server is not
    }
  };
  process.once('exit', flush);
  return { stream: out as unknown as NodeJS.WritableStream, flush };
}
