/**
 * Per-operation rate limits (x-rate-limit, --rate-limit) on one process: REST answers 429 problem+json
 * with Retry-After, an MCP tool a tool error, both from the one limiter in the invoker; nothing over the
 * limit reaches the upstream. The loader checks the extension field with positions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, mcpClient, startRecorder, tmpDir, type Recorder, type TmpDir } from '../runtime/helpers.js';
import { loadCapability } from '../../src/spec/load.js';
import { CapabilityLoadError } from '../../src/spec/diagnostics.js';
import { rateLimitFlags } from '../../src/cli/args.js';
import { LIMITED_YAML, serveLimited, type Served } from './fixtures.js';

let dir: TmpDir;
let upstream: Recorder;
let served: Served;

beforeAll(async () => {
  dir = tmpDir();
  upstream = await startRecorder();
  served = await serveLimited(dir, upstream.url);
});
afterAll(async () => {
  await served?.close();
  await upstream?.close();
  dir?.remove();
});

describe('x-rate-limit on one process', () => {
  it('lets 5 REST calls a minute through, then answers 429 problem+json with Retry-After', async () => {
    const before = upstream.requests.length;
    const replies = [];
    for (let i = 0; i < 8; i++) replies.push(await call(`${served.rest}/things/${i}`));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(upstream.requests.length - before).toBe(5);
    const refused = replies[5]!;
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.json).toMatchObject({ status: 429, code: 'NR_ERR_RATE_LIMITED', title: 'Too many requests' });
    expect(refused.json.detail).toMatch(/allows 5 calls per minute/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it("the adapter's OpenAPI document lists the 429 (with Retry-After) on the limited operation only", async () => {
    const doc = (await call(`${served.rest}/openapi.json`)).json;
    expect(doc.paths['/things/{id}'].get.responses['429']).toEqual({ $ref: '#/components/responses/TooManyRequests' });
    expect(doc.paths['/free/{id}'].get.responses['429']).toBeUndefined();
    expect(doc.components.responses.TooManyRequests.headers['Retry-After']).toBeDefined();
  });

  it('leaves an operation without a limit alone', async () => {
    for (let i = 0; i < 10; i++) expect((await call(`${served.rest}/free/${i}`)).status).toBe(200);
  });

  it('limits an MCP tool with the same limiter: the 4th call is a tool error naming the code', async () => {
    const client = await mcpClient(served.mcp);
    try {
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await client.callTool({ name: 'get-thing', arguments: { id: String(i) } }));
      expect(results.slice(0, 3).every((r) => !r.isError)).toBe(true);
      const refused = results[3]!;
      expect(refused.isError).toBe(true);
      expect((refused.content as { text: string }[])[0]!.text).toMatch(/NR_ERR_RATE_LIMITED, status 429\).*allows 3 calls per minute.*try again in \d+ s/);
    } finally {
      await client.close();
    }
  });

  it('--rate-limit NAME=N/WINDOW overrides the file and limits an operation the file does not', async () => {
    const u = await startRecorder();
    const s = await serveLimited(dir, u.url, { rateLimits: rateLimitFlags(['get-free=2/s', 'api.get-thing=1/1m']) });
    try {
      const free = [];
      for (let i = 0; i < 3; i++) free.push((await call(`${s.rest}/free/${i}`)).status);
      expect(free).toEqual([200, 200, 429]);
      expect([(await call(`${s.rest}/things/1`)).status, (await call(`${s.rest}/things/2`)).status]).toEqual([200, 429]);
      // a one-second window: after it, calls pass again
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await call(`${s.rest}/free/9`)).status).toBe(200);
    } finally {
      await s.close();
      await u.close();
    }
  });

  it('refuses a --rate-limit that names nothing, or is malformed', async () => {
    await expect(serveLimited(dir, upstream.url, { rateLimits: rateLimitFlags(['get-nothing=1/s']) })).rejects.toMatchObject({ code: 'NR_ERR_CLI_BAD_VALUE', message: expect.stringMatching(/no exposed operation or tool is named "get-nothing".*get-thing/) });
    for (const bad of ['get-thing', 'get-thing=0/s', 'get-thing=5/fortnight', '=5/s']) expect(() => rateLimitFlags([bad])).toThrow(/NAME=N\/WINDOW/);
    expect(rateLimitFlags(['a=5/s', 'b=10/1m', 'c=3/500ms', 'd=1/h'])).toEqual(new Map([['a', { max: 5, windowMs: 1000 }], ['b', { max: 10, windowMs: 60_000 }], ['c', { max: 3, windowMs: 500 }], ['d', { max: 1, windowMs: 3_600_000 }]]));
  });
});

describe('the loader checks the extension fields', () => {
  function problems(yaml: string) {
    try {
      loadCapability(dir.write(`bad-${Math.random().toString(36).slice(2)}.yaml`, yaml));
      return [];
    } catch (e) {
      if (!(e instanceof CapabilityLoadError)) throw e;
      return e.diagnostics.filter((d) => d.severity === 'error');
    }
  }

  it('reports a bad x-rate-limit with its line and column', () => {
    const yaml = LIMITED_YAML.replace('                window: 1m', '                window: a minute');
    const found = problems(yaml);
    expect(found).toHaveLength(1);
    const line = yaml.split('\n').findIndex((l) => l.includes('window: a minute')) + 1;
    expect(found[0]).toMatchObject({ code: 'NR_ERR_SCHEMA', pointer: '/capability/exposes/0/resources/0/operations/0/x-rate-limit/window', line });
    expect(found[0]!.column).toBeGreaterThan(1);
    const missing = problems(LIMITED_YAML.replace('                max: 5\n', ''));
    expect(missing[0]).toMatchObject({ code: 'NR_ERR_SCHEMA', message: 'missing required field "max"' });
    const zero = problems(LIMITED_YAML.replace('            max: 3', '            max: 0'));
    expect(zero[0]).toMatchObject({ code: 'NR_ERR_SCHEMA', pointer: '/capability/exposes/1/tools/0/x-rate-limit/max' });
  });

  it('refuses x-cache on anything but GET', () => {
    const found = problems(LIMITED_YAML.replace('              method: GET\n              x-cache:', '              method: POST\n              x-cache:'));
    expect(found.map((d) => d.code)).toContain('NR_ERR_CACHE_METHOD');
  });
});
