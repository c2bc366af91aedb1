/**
 * Helpers of the hardening suites (issue 11): a fault-producing upstream on 127.0.0.1, a REST call and
 * an MCP tool call that never wait past a bound (a hang becomes a result the test can assert on).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

export type FaultHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface FaultServer {
  readonly url: string;
  /** every request target seen, in order */
  readonly seen: string[];
  close(): Promise<void>;
}

/** node:http server answering each path with its handler; timers are cleared and sockets destroyed on close. */
export async function faultServer(handlers: Record<string, FaultHandler>, fallback: FaultHandler): Promise<FaultServer> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    const path = (req.url ?? '').split('?')[0]!;
    (handlers[path] ?? fallback)(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Writes one byte every `everyMs` until the response or its socket closes. */
export function trickle(res: ServerResponse, everyMs: number): void {
  const t = setInterval(() => {
    if (res.destroyed || res.writableEnded) return clearInterval(t);
    res.write(' ');
  }, everyMs);
  res.on('close', () => clearInterval(t));
}

export interface TimedReply {
  /** undefined when no response headers arrived within the bound */
  readonly status?: number;
  readonly headers?: Headers;
  readonly text?: string;
  readonly json?: any;
  /** the body could not be read to its end (connection cut, or the bound passed while reading) */
  readonly bodyError?: string;
  /** the bound passed before the call finished */
  readonly timedOut: boolean;
  readonly ms: number;
}

/** fetch that gives up after `boundMs` (headers and body together). */
export async function timedCall(url: string, boundMs: number, init: RequestInit = {}): Promise<TimedReply> {
  const t0 = Date.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('bound passed')), boundMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'manual', ...init, signal: ac.signal });
    } catch (e) {
      return { timedOut: ac.signal.aborted, bodyError: String((e as Error).message), ms: Date.now() - t0 };
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      return { status: res.status, headers: res.headers, bodyError: String((e as Error).message), timedOut: ac.signal.aborted, ms: Date.now() - t0 };
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json, timedOut: false, ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

export interface TimedTool {
  readonly isError?: boolean;
  readonly text?: string;
  readonly structured?: unknown;
  /** a JSON-RPC error instead of a result */
  readonly rpcError?: { code: number; message: string };
  readonly timedOut: boolean;
  readonly ms: number;
}

/** tools/call that gives up after `boundMs` (the SDK's own request timeout, so nothing stays pending). */
export async function timedTool(client: Client, name: string, args: Record<string, unknown>, boundMs: number): Promise<TimedTool> {
  const t0 = Date.now();
  try {
    const r = await client.callTool({ name, arguments: args }, undefined, { timeout: boundMs });
    const content = r.content as { type: string; text: string }[];
    return { isError: r.isError === true, text: content[0]?.text, structured: r.structuredContent, timedOut: false, ms: Date.now() - t0 };
  } catch (e) {
    const err = e as { code?: number; message?: string };
    // -32001 is the SDK's RequestTimeout
    return { rpcError: { code: err.code ?? 0, message: err.message ?? String(e) }, timedOut: err.code === -32001, ms: Date.now() - t0 };
  }
}
