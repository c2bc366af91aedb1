/**
 * A minimal Language Server Protocol client over a child process's stdio (Content-Length framing,
 * JSON-RPC 2.0): requests with a timeout, notifications, answers to the server's own requests, and waiting
 * for a notification that matches. Enough to drive yaml-language-server from a test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

type Message = { id?: number | string; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
type Waiter = { match: (params: unknown) => boolean; resolve: (params: unknown) => void };

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters = new Map<string, Waiter[]>();
  readonly notifications: Array<{ method: string; params: unknown }> = [];
  stderr = '';

  constructor(command: string, args: readonly string[], private readonly onRequest: (method: string, params: unknown) => unknown) {
    this.child = spawn(command, args, { stdio: 'pipe', env: { ...process.env, NODE_OPTIONS: '' } });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`language server exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  request(method: string, params: unknown, timeoutMs = 15_000): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`${method}: no answer in ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** The first notification `method` (already received or still to come) whose params match. */
  waitFor(method: string, match: (params: unknown) => boolean, timeoutMs = 15_000): Promise<unknown> {
    const seen = this.notifications.find((n) => n.method === method && match(n.params));
    if (seen) return Promise.resolve(seen.params);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve: (p) => { clearTimeout(timer); resolve(p); } };
      const timer = setTimeout(() => {
        this.waiters.set(method, (this.waiters.get(method) ?? []).filter((w) => w !== waiter));
        reject(new Error(`no ${method} notification matched in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(method, [...(this.waiters.get(method) ?? []), waiter]);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.request('shutdown', null, 5_000).catch(() => undefined);
    this.notify('exit', null);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: Message): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    this.child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString('ascii'))?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.dispatch(message);
    }
  }

  private dispatch(message: Message): void {
    if (message.method !== undefined && message.id !== undefined) {
      this.send({ id: message.id, result: this.onRequest(message.method, message.params) ?? null });
    } else if (message.method !== undefined) {
      this.notifications.push({ method: message.method, params: message.params });
      const waiters = this.waiters.get(message.method) ?? [];
      const hit = waiters.find((w) => w.match(message.params));
      if (hit) {
        this.waiters.set(message.method, waiters.filter((w) => w !== hit));
        hit.resolve(message.params);
      }
    } else if (typeof message.id === 'number') {
      const p = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) p?.reject(new Error(message.error.message));
      else p?.resolve(message.result);
    }
  }
}
