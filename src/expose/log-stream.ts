/**
 * Where the request log goes, and in which form. JSON lines, unless a person watches: on a terminal
 * (or with `--log-format pretty`) each line is made readable by pino-pretty. On the process's stdout or
 * stderr JSON lines are buffered and written asynchronously (pino's SonicBoom: at 4 KiB, every 250 ms,
 * and synchronously at exit), because one synchronous write per request line cost a third of REST
 * pass-through throughput at the default `info` level (BENCHMARKS.md). Any other stream (tests,
 * embedding) is written as it is.
 */
import pino from 'pino';

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
