/**
 * Limits and cache shared through a real redis-server (started here on a free 127.0.0.1 port): two
 * naftiko-run CLI processes with one `--redis` count against one window, and what one fetched the other
 * serves. Redis unreachable at start or gone mid-run: every call is still answered within the Redis
 * timeout, counted per process (fail open to the local limit), and the outage is logged once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, closedPort, mcpClient, rawRequest, serveLocal, startRecorder, tmpDir, type Recorder, type TmpDir } from '../runtime/helpers.js';
import { Serving } from '../runtime/serving-cli.js';
import { LIMITED_YAML, serveLimited } from './fixtures.js';
import { REDIS_MISSING, startRedis, type RedisServer } from './redis-server.js';

const env = () => ({ PATH: process.env.PATH ?? '' });
if (REDIS_MISSING) console.warn(`test/shared/redis-shared.test.ts skipped: ${REDIS_MISSING}`);

interface Replica {
  readonly s: Serving;
  readonly rest: string;
  readonly mcp: string;
}

async function replica(file: string, upstream: string, redisUrl: string, extra: string[] = []): Promise<Replica> {
  const s = new Serving([file, '--port', 'api=0', '--port', 'tools=0', '--base-uri', `up=${upstream}`, '--redis', redisUrl, '--log-format', 'json', ...extra], env());
  const [, rest] = await s.waitFor(/^REST\s+api\s+(http:\/\/127\.0\.0\.1:\d+)$/m, 20_000);
  const [, mcp] = await s.waitFor(/^MCP\s+tools\s+(http:\/\/127\.0\.0\.1:\d+\/mcp)$/m);
  return { s, rest: rest!, mcp: mcp! };
}

describe.skipIf(REDIS_MISSING !== undefined)(`shared through Redis${REDIS_MISSING ? ` (skipped: ${REDIS_MISSING})` : ''}`, () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let redis: RedisServer;
  let file: string;

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    redis = await startRedis();
    file = dir.write('limited.yaml', LIMITED_YAML);
  });
  afterAll(async () => {
    await redis?.stop();
    await upstream?.close();
    dir?.remove();
  });

  it('two processes share one limit: 300 calls alternating between them, 100/min allowed, within ±5 %', async () => {
    const [a, b] = await Promise.all([replica(file, upstream.url, redis.url, ['--rate-limit', 'get-free=100/1m']), replica(file, upstream.url, redis.url, ['--rate-limit', 'get-free=100/1m'])]);
    try {
      const before = upstream.requests.length;
      const statuses: number[] = [];
      let next = 0;
      await Promise.all(Array.from({ length: 10 }, async () => {
        while (next < 300) {
          const i = next++;
          statuses.push((await call(`${i % 2 ? a.rest : b.rest}/free/${i}`)).status);
        }
      }));
      const ok = statuses.filter((s) => s === 200).length;
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      expect(ok).toBeGreaterThanOrEqual(95);
      expect(ok).toBeLessThanOrEqual(105);
      expect(upstream.requests.length - before).toBe(ok);
      // an MCP tool's limit is shared the same way: 3 a minute over both processes
      const [ca, cb] = await Promise.all([mcpClient(a.mcp), mcpClient(b.mcp)]);
      try {
        const results = [];
        for (const c of [ca, cb, ca, cb]) results.push(await c.callTool({ name: 'get-thing', arguments: { id: 'm' } }));
        expect(results.map((r) => r.isError === true)).toEqual([false, false, false, true]);
        expect((results[3]!.content as { text: string }[])[0]!.text).toMatch(/NR_ERR_RATE_LIMITED.*across all replicas/);
      } finally {
        await Promise.all([ca.close(), cb.close()]);
      }
    } finally {
      await Promise.all([a.s.stop(), b.s.stop()]);
    }
  }, 60_000);

  it('--workers 2 with --redis: the workers share one window too (a connection per request, spread over both)', async () => {
    const s = new Serving([file, '--workers', '2', '--port', 'api=0', '--port', 'tools=0', '--base-uri', `up=${upstream.url}`, '--redis', redis.url, '--rate-limit', 'api.get-free=10/1m'], env());
    try {
      await s.waitFor(/share every port/, 30_000);
      const [, rest] = await s.waitFor(/^REST\s+api\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
      // both workers listening before the count starts, on a window of its own (the first test used this operation's)
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await redis.command('FLUSHALL')).toMatch(/^\+OK/);
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push((await rawRequest(`${rest}/free/w${i}`, { headers: { host: new URL(rest!).host, connection: 'close' } })).status);
      expect(statuses.filter((x) => x === 200), JSON.stringify(statuses) + s.stdout.slice(-2000) + s.stderr).toHaveLength(10);
      expect(statuses.filter((x) => x === 429)).toHaveLength(10);
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('what one process fetched for a cached GET, the other serves from Redis', async () => {
    const [a, b] = await Promise.all([serveLimited(dir, upstream.url, { redis: redis.url }), serveLimited(dir, upstream.url, { redis: redis.url })]);
    try {
      const first = await call(`${a.rest}/cached/both`);
      const second = await call(`${b.rest}/cached/both`);
      expect(second.status).toBe(200);
      expect(second.text).toBe(first.text);
      expect(upstream.requests.filter((r) => r.path === '/cached/both').length).toBe(1);
      expect(await redis.command('KEYS naftiko-run:cache:*')).toMatch(/^\*1/);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('the OAuth2 client-credentials token one process asked for, the other uses: one token request for both', async () => {
    let issued = 0;
    const tokens = await serveLocal((req, res) => {
      req.resume();
      req.on('end', () => {
        issued++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `t${issued}`, token_type: 'Bearer', expires_in: 3600 }));
      });
    });
    const seen: string[] = [];
    const api = await serveLocal((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const yaml = `
naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      CLIENT_ID: CLIENT_ID
      CLIENT_SECRET: CLIENT_SECRET
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      authentication:
        type: oauth2
        authorizationServerUri: ${tokens.url}
        tokenEndpoint: ${tokens.url}/token
        resource: https://api.example.com
        clientId: "{{CLIENT_ID}}"
        clientSecret: "{{CLIENT_SECRET}}"
      resources:
        - name: thing
          path: /things/{{id}}
          operations:
            - name: get-thing
              method: GET
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - path: /things/{{id}}
          name: things
          operations:
            - method: GET
              call: up.get-thing
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: get-thing
          description: Get a thing
          call: up.get-thing
`;
    const env = { env: { CLIENT_ID: 'id', CLIENT_SECRET: 's3cret' }, redis: redis.url };
    const [a, b] = await Promise.all([serveLimited(dir, api.url, env, yaml), serveLimited(dir, api.url, env, yaml)]);
    try {
      expect((await call(`${a.rest}/things/1`)).status).toBe(200);
      expect((await call(`${b.rest}/things/2`)).status).toBe(200);
      expect(issued).toBe(1);
      expect(seen).toEqual(['Bearer t1', 'Bearer t1']);
      const keys = await redis.command('KEYS naftiko-run:token:*');
      expect(keys).toMatch(/^\*1/);
      expect(keys).not.toContain('s3cret');
    } finally {
      await Promise.all([a.close(), b.close(), tokens.close(), api.close()]);
    }
  });

  it('Redis unreachable at start: the process starts, serves, limits per process and says so once', async () => {
    const port = await closedPort();
    const r = await replica(file, upstream.url, `redis://127.0.0.1:${port}`);
    try {
      const statuses = [];
      const started = Date.now();
      for (let i = 0; i < 7; i++) statuses.push((await call(`${r.rest}/things/${i}`)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Date.now() - started).toBeLessThan(5_000);
      await r.s.waitFor(/NR_WARN_REDIS_UNAVAILABLE/);
      expect(r.s.stdout.match(/NR_WARN_REDIS_UNAVAILABLE/g)?.length).toBe(1);
    } finally {
      await r.s.stop();
    }
  }, 30_000);

  it('Redis gone mid-run: calls keep being answered within the timeout, and sharing resumes when it is back', async () => {
    const own = await startRedis();
    const r = await replica(file, upstream.url, own.url, ['--rate-limit', 'get-free=1000/1m', '--redis-timeout', '200']);
    try {
      expect((await call(`${r.rest}/free/1`)).status).toBe(200);
      expect(await own.command('KEYS naftiko-run:rate:*')).toMatch(/^\*1/);
      await own.stop();
      for (let i = 0; i < 5; i++) {
        const t = Date.now();
        expect((await call(`${r.rest}/free/down-${i}`)).status).toBe(200);
        expect(Date.now() - t).toBeLessThan(1_000);
      }
      await r.s.waitFor(/NR_WARN_REDIS_UNAVAILABLE/);
      const back = await startRedis(own.port);
      try {
        await r.s.waitFor(/Redis answers again/, 10_000);
        expect((await call(`${r.rest}/free/back`)).status).toBe(200);
        expect(await back.command('KEYS naftiko-run:rate:*')).toMatch(/^\*1/);
      } finally {
        await back.stop();
      }
      expect(r.s.stdout.match(/NR_WARN_REDIS_UNAVAILABLE/g)?.length).toBe(1);
    } finally {
      await r.s.stop();
    }
  }, 30_000);
});
