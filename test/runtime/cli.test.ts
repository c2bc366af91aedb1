/** The CLI as a user runs it: `node dist/cli.js …` (the bundle `npm run build` makes). */
import { ensureBuilt } from '../build-dist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { CLI, Serving, type Exit } from './serving-cli.js';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SEEDED_SYNC_IDS, startPolytomicSandbox, type PolytomicSandbox } from '../../src/sandbox/polytomic-sandbox.js';
import { CONSUMES_NS, MCP_NS, REST_NS, ROOT, call, startRecorder, tmpDir, type TmpDir } from './helpers.js';

const DEMO = path.join(ROOT, 'dist/demo.js');
const CAPABILITY = 'capabilities/bulksync.yaml';
const TOKEN = 'cli-token';
/** explicit: nothing from the machine's environment but PATH */
const ENV = { PATH: process.env.PATH ?? '', POLYTOMIC_API_KEY: TOKEN };


function runCli(args: readonly string[], env: Record<string, string> = ENV): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env, timeout: 15_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

const lines = (s: string) => s.trim().split('\n').filter((l) => l.trim() !== '');

describe('naftiko-run CLI', () => {
  let sandbox: PolytomicSandbox;
  let dir: TmpDir;
  const serving: Serving[] = [];
  const serve = (args: readonly string[], env?: Record<string, string>, script?: string) => {
    const s = new Serving(args, env ?? ENV, script);
    serving.push(s);
    return s;
  };
  const freePorts = ['--port', `${REST_NS}=0`, '--port', `${MCP_NS}=0`];

  beforeAll(async () => {
    ensureBuilt();
    sandbox = await startPolytomicSandbox({ token: TOKEN });
    dir = tmpDir();
  }, 180_000);
  afterAll(async () => {
    for (const s of serving) await s.stop();
    await sandbox?.close();
    dir?.remove();
  });

  it('validate capabilities/bulksync.yaml → OK, exit 0', async () => {
    const r = await runCli(['validate', CAPABILITY]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([`OK ${CAPABILITY}`]);
  });

  it('serve on free ports prints the startup table, serves, and exits 0 on SIGTERM', async () => {
    const s = serve([CAPABILITY, ...freePorts, '--base-uri', `${CONSUMES_NS}=${sandbox.url}`, '--log-level', 'warn']);
    const [, mcpUrl] = await s.waitFor(/^MCP\s+polytomic-subpackage-bulksync-mcp\s+(http:\/\/127\.0\.0\.1:\d+\/mcp)$/m);
    const [, restUrl] = /^REST\s+polytomic-subpackage-bulksync-rest\s+(http:\/\/127\.0\.0\.1:\d+)$/m.exec(s.stdout)!;
    expect(restUrl).toBeDefined();
    expect(mcpUrl).toBeDefined();
    for (const route of ['GET /v1/api/bulk/syncs', 'POST /v1/api/bulk/syncs', 'DELETE /v1/api/bulk/syncs/{id}', 'GET /v1/api/connections/{id}/bulksync/target']) {
      expect(s.stdout).toContain(route);
    }
    expect(s.stdout).toMatch(/tools: .*list-bulk-syncs.*get-bulk-destination/);
    expect(s.stdout).not.toContain(TOKEN);

    const res = await call(`${restUrl}/v1/api/bulk/syncs`);
    expect(res.status).toBe(200);
    expect(res.json.data.map((x: { id: string }) => x.id)).toContain(SEEDED_SYNC_IDS.postgresToS3);

    const exit = await s.stop();
    expect(exit).toMatchObject({ code: 0, signal: null });
  });

  it('at --log-level info every request line reaches stdout (buffered, flushed on a timer and at exit)', async () => {
    const s = serve([CAPABILITY, ...freePorts, '--base-uri', `${CONSUMES_NS}=${sandbox.url}`]);
    const [, restUrl] = await s.waitFor(/^REST\s+\S+\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
    await call(`${restUrl}/v1/api/bulk/syncs`);
    // a lone line is written within the flush interval, not held until 4 KiB have gathered
    await s.waitFor(/"msg":"request"/, 2_000);
    for (let i = 0; i < 40; i++) await call(`${restUrl}/v1/api/bulk/syncs?i=${i}`);
    const exit = await s.stop();
    expect(exit.code).toBe(0);
    expect(exit.stdout.match(/"msg":"request"/g)).toHaveLength(41);
  });

  it('at --log-level debug each upstream call is a line (method, URL without values or query, status, ms), never the key', async () => {
    const s = serve([CAPABILITY, ...freePorts, '--base-uri', `${CONSUMES_NS}=${sandbox.url}`, '--log-level', 'debug']);
    const [, restUrl] = await s.waitFor(/^REST\s+\S+\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
    await call(`${restUrl}/v1/api/bulk/syncs?active=true`);
    const exit = await s.stop();
    const lines = exit.stdout.split('\n').filter((l) => l.includes('"msg":"upstream"')).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 20, call: `GET ${sandbox.url}/api/bulk/syncs`, status: 200 });
    expect(typeof lines[0].ms).toBe('number');
    expect(exit.stdout).not.toContain(TOKEN);
  });

  it('serve survives an upstream 204 (DELETE) and keeps serving', async () => {
    sandbox.reset();
    const s = serve([CAPABILITY, ...freePorts, '--base-uri', `${CONSUMES_NS}=${sandbox.url}`, '--log-level', 'warn']);
    const [, restUrl] = await s.waitFor(/^REST\s+\S+\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
    const del = await call(`${restUrl}/v1/api/bulk/syncs/${SEEDED_SYNC_IDS.postgresToS3}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const after = await call(`${restUrl}/v1/api/bulk/syncs`).catch((e: Error) => {
      throw new Error(`the server died after answering 204 (${e.message}); its stderr:\n${s.stderr.split('\n').slice(0, 6).join('\n')}`);
    });
    expect(after.status).toBe(200);
    expect(s.child.exitCode).toBeNull();
    expect(await s.stop()).toMatchObject({ code: 0, signal: null });
  });

  it('SIGTERM lets an in-flight call finish, then exits 0', async () => {
    const slow = await startRecorder(() => ({ status: 200, body: { data: 'finished' }, delayMs: 700 }));
    try {
      const s = serve([CAPABILITY, ...freePorts, '--base-uri', `${CONSUMES_NS}=${slow.url}`, '--log-level', 'warn']);
      const [, restUrl] = await s.waitFor(/^REST\s+\S+\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
      const inFlight = call(`${restUrl}/v1/api/bulk/syncs`);
      while (slow.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
      s.child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ data: 'finished' });
      const answered = Date.now();
      const exit = await s.exited;
      const output = lines(`${exit.stdout}\n${exit.stderr}`).filter((l) => l.startsWith('naftiko-run:')).join(' | ');
      expect(exit.code, output).toBe(0);
      expect(exit.signal).toBeNull();
      expect(Date.now() - answered, 'exit delayed after the last call finished').toBeLessThan(3_000);
    } finally {
      await slow.close();
    }
  }, 30_000);

  it('a port already in use → one clear line with NR_ERR_PORT_IN_USE, exit 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const r = await runCli([CAPABILITY, '--port', `${REST_NS}=${port}`, '--port', `${MCP_NS}=0`, '--log-level', 'warn']);
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain('NR_ERR_PORT_IN_USE');
      expect(r.stderr).toContain(String(port));
      expect(r.stdout.trim()).toBe('');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it.each([
    ['a missing file', () => path.join(dir.dir, 'nope.yaml')],
    ['a directory', () => dir.dir],
  ])('serving %s → one line naming it, exit 1', async (_what, file) => {
    const r = await runCli([file(), ...freePorts]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(file());
    expect(r.stderr).toMatch(/NR_ERR_\w+/);
  });

  it('validate of a missing file → one line, exit 1', async () => {
    const file = path.join(dir.dir, 'nope.yaml');
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(file);
  });

  it('--base-uri unknown=… → NR_ERR_CLI_UNKNOWN_NAMESPACE, exit 1', async () => {
    const r = await runCli([CAPABILITY, ...freePorts, '--base-uri', 'unknown=http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('NR_ERR_CLI_UNKNOWN_NAMESPACE');
    expect(r.stderr).toContain('unknown');
  });

  it('--port unknown=0 → NR_ERR_CLI_UNKNOWN_NAMESPACE, exit 1', async () => {
    const r = await runCli([CAPABILITY, '--port', 'unknown=0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('NR_ERR_CLI_UNKNOWN_NAMESPACE');
  });

  it('npm run demo honours --port and --log-level like serve (it used to ignore its arguments)', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port: taken } = blocker.address() as AddressInfo;
    try {
      // a port in use makes the demo fail: proof it listens where --port says
      const busy = new Serving(['--port', `${REST_NS}=${taken}`, '--port', `${MCP_NS}=0`], { PATH: ENV.PATH }, DEMO);
      const exit = await busy.exited;
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain(`127.0.0.1:${taken}`);
      expect(exit.stderr).toContain('NR_ERR_PORT_IN_USE');
    } finally {
      blocker.close();
    }
    const s = serve(['--port', `${REST_NS}=0`, '--port', `${MCP_NS}=0`, '--log-level', 'silent'], { PATH: ENV.PATH }, DEMO);
    const [, restUrl] = await s.waitFor(/^REST\s+polytomic-subpackage-bulksync-rest\s+(http:\/\/127\.0\.0\.1:(\d+))$/m);
    expect(s.stdout).not.toContain(':8080');
    const res = await fetch(`${restUrl}/v1/api/bulk/syncs`);
    expect(res.status).toBe(200);
    expect((await s.stop()).code).toBe(0);
  });

  it('at --log-level info the startup table is not interleaved with fastify\'s JSON "Server listening" lines', async () => {
    const s = serve([CAPABILITY, ...freePorts, '--base-uri', `${CONSUMES_NS}=${sandbox.url}`, '--log-level', 'info']);
    const [, restUrl] = await s.waitFor(/^REST\s+polytomic-subpackage-bulksync-rest\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
    await s.waitFor(/^MCP\s+/m);
    expect(s.stdout).not.toContain('Server listening');
    expect(s.stdout.split('\n')[0]).toMatch(/^REST /);
    // request logs still come at info
    await fetch(`${restUrl}/v1/api/bulk/syncs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await s.waitFor(/^\{"level":30,.*"status":200,.*"msg":"request"\}$/m);
    expect((await s.stop()).code).toBe(0);
  });

  it('npm run demo rejects an unknown option with the same usage code as serve', async () => {
    const exit = await new Serving(['--prot', '18080'], { PATH: ENV.PATH }, DEMO).exited;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/^npm run demo: unknown option --prot \[NR_ERR_CLI_USAGE\]\n/);
  });
});
