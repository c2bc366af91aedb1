/**
 * x-cache in one process (the memory store): concurrent identical calls share one upstream request,
 * later ones are served from the cache within the TTL, and the upstream's Cache-Control decides what
 * may be kept. REST routes and MCP tools calling the same consumed operation share its entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, mcpClient, startRecorder, tmpDir, type Answer, type Recorded, type Recorder, type TmpDir } from '../runtime/helpers.js';
import { keepFor } from '../../src/shared/cache-control.js';
import { serveLimited, type Served } from './fixtures.js';

let dir: TmpDir;
let upstream: Recorder;
let served: Served;
/** Cache-Control (and other headers) the upstream answers with, by id */
const headersFor: Record<string, Record<string, string>> = {
  'no-store': { 'cache-control': 'no-store' },
  'private': { 'cache-control': 'private, max-age=60' },
  'short': { 'cache-control': 'max-age=1' },
  'cookie': { 'set-cookie': 'a=b' },
};
const fetched = (id: string) => upstream.requests.filter((r) => r.path === `/cached/${id}`).length;

beforeAll(async () => {
  dir = tmpDir();
  upstream = await startRecorder((req: Recorded): Answer => {
    const id = req.path.split('/').pop()!;
    if (id === 'missing') return { status: 404, body: { error: 'no such thing' } };
    return { status: 200, headers: headersFor[id] ?? {}, body: { id, n: upstream.requests.length }, delayMs: id === 'slow' ? 200 : 0 };
  });
  served = await serveLimited(dir, upstream.url);
});
afterAll(async () => {
  await served?.close();
  await upstream?.close();
  dir?.remove();
});

describe('x-cache (memory)', () => {
  it('3 concurrent calls make 1 upstream call and get the same answer; later calls are hits', async () => {
    const replies = await Promise.all([1, 2, 3].map(() => call(`${served.rest}/cached/slow`)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    expect(fetched('slow')).toBe(1);
    expect((await call(`${served.rest}/cached/slow`)).text).toBe(replies[0]!.text);
    expect(fetched('slow')).toBe(1);
  });

  it('keys by URL: another id is another entry', async () => {
    await call(`${served.rest}/cached/a`);
    await call(`${served.rest}/cached/b`);
    await call(`${served.rest}/cached/a`);
    expect([fetched('a'), fetched('b')]).toEqual([1, 1]);
  });

  it('the MCP tool and the REST route calling the same consumed operation share the entry', async () => {
    const rest = await call(`${served.rest}/cached/shared`);
    const client = await mcpClient(served.mcp);
    try {
      const result = await client.callTool({ name: 'get-cached', arguments: { id: 'shared' } });
      expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toEqual(rest.json);
    } finally {
      await client.close();
    }
    expect(fetched('shared')).toBe(1);
  });

  it('keeps nothing the upstream marks no-store or private, or that sets a cookie; nor a 404', async () => {
    for (const id of ['no-store', 'private', 'cookie', 'missing']) {
      await call(`${served.rest}/cached/${id}`);
      await call(`${served.rest}/cached/${id}`);
      expect(fetched(id), id).toBe(2);
    }
  });

  it('max-age shortens the TTL', async () => {
    await call(`${served.rest}/cached/short`);
    await call(`${served.rest}/cached/short`);
    expect(fetched('short')).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100));
    await call(`${served.rest}/cached/short`);
    expect(fetched('short')).toBe(2);
  });

  it('an operation without x-cache is never cached', async () => {
    await call(`${served.rest}/free/x`);
    await call(`${served.rest}/free/x`);
    expect(upstream.requests.filter((r) => r.path === '/things/x').length).toBe(2);
  });
});

describe('keepFor (Cache-Control)', () => {
  it('reads the directives', () => {
    expect(keepFor(60_000, {})).toBe(60_000);
    expect(keepFor(60_000, { 'cache-control': 'public, max-age=10' })).toBe(10_000);
    expect(keepFor(60_000, { 'cache-control': 'max-age=10, s-maxage=20' })).toBe(20_000);
    expect(keepFor(5_000, { 'cache-control': 'max-age=10' })).toBe(5_000);
    expect(keepFor(60_000, { 'cache-control': 'max-age=10', age: '4' })).toBe(6_000);
    expect(keepFor(60_000, { 'cache-control': 'max-age=0' })).toBe(0);
    expect(keepFor(60_000, { 'cache-control': 'No-Cache' })).toBe(0);
    expect(keepFor(60_000, { 'cache-control': ['public', 'no-store'] })).toBe(0);
  });
});
