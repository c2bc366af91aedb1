/**
 * Reading a whole upstream body (consume/send.ts readLimited, readPrefix): real undici bodies from a
 * server on 127.0.0.1, each ending one way — whole, over the limit, cut mid-body, or already destroyed.
 * Every read settles (never hangs) with the bytes or the right coded error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { readLimited, readPrefix } from '../../src/consume/send.js';
import { InvokeError } from '../../src/consume/errors.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/chunks') {
      res.writeHead(200, { 'content-type': 'application/json' });
      let i = 0;
      const next = () => {
        if (i === 5) return res.end(']');
        res.write(i === 0 ? `[${i}` : `,${i}`);
        i++;
        setTimeout(next, 2);
      };
      return next();
    }
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(4096));
      return setTimeout(() => res.end('y'.repeat(4096)), 5);
    }
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('partial');
      return setTimeout(() => req.socket.destroy(), 10);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => {
  server.close(() => resolve());
  server.closeAllConnections();
}));

const body = async (path: string) => (await request(base + path)).body as unknown as AsyncIterable<Buffer> & { destroy(e?: Error): void };

async function failure(read: Promise<unknown>): Promise<InvokeError> {
  const e = await read.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(InvokeError);
  return e as InvokeError;
}

describe('reading an upstream body', () => {
  it('joins every chunk of a body that arrives in pieces', async () => {
    const bytes = await readLimited(await body('/chunks'), 1024, 'GET /chunks');
    expect(bytes.toString()).toBe('[0,1,2,3,4]');
  });

  it('stops past the limit with 502 NR_ERR_UPSTREAM_TOO_LARGE and destroys the body', async () => {
    const b = await body('/big');
    const e = await failure(readLimited(b, 5000, 'GET /big'));
    expect([e.code, e.status]).toEqual(['NR_ERR_UPSTREAM_TOO_LARGE', 502]);
    expect(e.detail).toContain('GET /big: response body exceeds the 5000 byte limit');
    expect((b as unknown as Readable).destroyed).toBe(true);
  });

  it('keeps the first bytes for a reader that wants a prefix', async () => {
    const prefix = await readPrefix(await body('/big'), {}, 100, 1 << 20, 'GET /big');
    expect(prefix.truncated).toBe(true);
    expect(prefix.bytes.toString()).toBe('x'.repeat(100));
  });

  it('answers 502 NR_ERR_UPSTREAM_UNREACHABLE when the connection breaks mid-body', async () => {
    const e = await failure(readLimited(await body('/cut'), 1 << 20, () => 'GET /cut'));
    expect([e.code, e.status]).toEqual(['NR_ERR_UPSTREAM_UNREACHABLE', 502]);
    expect(e.detail).toMatch(/^GET \/cut: the connection broke while reading the body/);
  });

  it('settles for a body destroyed before it is read (with or without an error)', async () => {
    const withError = new Readable({ read() {} });
    withError.on('error', () => {});
    withError.destroy(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await new Promise((r) => setImmediate(r));
    const e1 = await failure(readLimited(withError as unknown as AsyncIterable<Buffer>, 100, 'GET /a'));
    expect(e1.detail).toBe('GET /a: the connection broke while reading the body (ECONNRESET)');

    const closed = new Readable({ read() {} });
    closed.destroy();
    const e2 = await failure(readLimited(closed as unknown as AsyncIterable<Buffer>, 100, 'GET /b'));
    expect(e2.detail).toBe('GET /b: the connection broke while reading the body (ERR_STREAM_PREMATURE_CLOSE)');
  });

  it('reports a body closed without its end as broken, not as complete', async () => {
    const s = new Readable({ read() {} });
    s.push('half');
    setTimeout(() => s.destroy(), 5);
    const e = await failure(readLimited(s as unknown as AsyncIterable<Buffer>, 100, 'GET /c'));
    expect(e.detail).toBe('GET /c: the connection broke while reading the body (ERR_STREAM_PREMATURE_CLOSE)');
  });
});
