/**
 * Where the request log goes. On the process's stdout or stderr, lines are buffered and written
 * asynchronously (pino's SonicBoom: at 4 KiB, every 250 ms, and synchronously at exit), because one
 * synchronous write per request line cost a third of REST pass-through throughput at the default
 * `info` level (BENCHMARKS.md). Any other stream (tests, embedding) is written as it is.
 */
import pino from 'pino';

export interface LogStream {
  readonly stream: NodeJS.WritableStream;
  /** writes what is buffered, synchronously */
  flush(): void;
}

const FLUSH_EVERY_MS = 250;
// one buffer per descriptor for the process, however many runtimes it starts
const byFd = new Map<number, LogStream>();

export function logStream(target: NodeJS.WritableStream): LogStream {
  const fd = target === process.stdout ? 1 : target === process.stderr ? 2 : undefined;
  if (fd === undefined) return { stream: target, flush: () => {} };
  let made = byFd.get(fd);
  if (!made) byFd.set(fd, (made = buffered(fd)));
  return made;
}

function buffered(fd: number): LogStream {
  const dest = pino.destination({ dest: fd, sync: false, minLength: 4096 });
  const flush = () => {
    try {
      dest.flushSync();
    } catch {
      // an EAGAIN on a full pipe, or the fd is gone: what could not be written is lost, the server is not
    }
  };
  const timer = setInterval(() => dest.flush(), FLUSH_EVERY_MS);
  timer.unref();
  process.once('exit', flush);
  return { stream: dest as unknown as NodeJS.WritableStream, flush };
}
