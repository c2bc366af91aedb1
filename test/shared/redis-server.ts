/**
 * A real redis-server (Debian's `redis-server` package; `.ci/run` installs it) for one test file: on
 * 127.0.0.1, on a free port found by binding port 0, with no persistence, stopped by `stop()`. When the
 * binary is missing, `REDIS_MISSING` says why, and the tests that need it are skipped with that reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, createConnection } from 'node:net';
import type { AddressInfo } from 'node:net';

function findBinary(): string | undefined {
  for (const candidate of [process.env.REDIS_SERVER, 'redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (!candidate) continue;
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return undefined;
}

export const REDIS_BINARY = findBinary();
export const REDIS_MISSING = REDIS_BINARY ? undefined : 'redis-server is not installed (apt-get install redis-server; .ci/run does it when run as root)';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** sends one command in the inline protocol and returns the first reply line */
  command(text: string): Promise<string>;
  stop(): Promise<void>;
}

/** `port`: start on this one (a restart of a stopped server); default a free one */
export async function startRedis(fixedPort?: number): Promise<RedisServer> {
  if (!REDIS_BINARY) throw new Error(REDIS_MISSING);
  for (let attempt = 0; ; attempt++) {
    const port = fixedPort ?? await freePort();
    const child = spawn(REDIS_BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const ready = await waitReady(port, child);
    if (ready) return handle(port, child);
    child.kill('SIGKILL');
    if (attempt >= 3) throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${output}`);
  }
}

async function waitReady(port: number, child: ChildProcess): Promise<boolean> {
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) return false;
    const reply = await inline(port, 'PING').catch(() => '');
    if (reply.startsWith('+PONG')) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function inline(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    socket.setTimeout(1_000, () => socket.destroy(new Error('redis timeout')));
    socket.on('connect', () => socket.write(`${text}\r\n`));
    socket.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) {
        socket.end();
        resolve(data.split('\r\n').slice(0, 2).join('\n'));
      }
    });
    socket.on('error', reject);
  });
}

function handle(port: number, child: ChildProcess): RedisServer {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    command: (text) => inline(port, text),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
