/**
 * Hot reload (issue 9 §4): POST /reload, SIGHUP and --watch load the files again; a valid change is
 * served on the same sockets without failing a request, an invalid one leaves the old model serving
 * and shows in /status; a moved port listens anew.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Agent } from 'undici';
import { ensureBuilt } from '../build-dist.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { call, closedPort, startRecorder, tmpDir, type Recorder, type TmpDir, until } from './helpers.js';
import { Serving } from './serving-cli.js';

const VERSIONED = (upstream: string, version: number, apiPort = 2, field = 'a') => `
naftiko: 1.0.0-alpha3
info:
  label: Reloadable
  description: version ${version}
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "${upstream}"
      resources:
        - name: slow
          path: /slow
          operations:
            - name: get-slow
              method: GET
  exposes:
    - type: control
      port: 1
      management:
        info: true
        reload: true
    - type: rest
      namespace: api
      port: ${apiPort}
      resources:
        - name: version
          path: /version
          operations:
            - method: GET
              name: version
              outputParameters:
                - type: object
                  properties:
                    version:
                      type: number
                      value: "${version}"
        - name: slow
          path: /slow
          operations:
            - method: GET
              name: slow
              call: up.get-slow
              outputParameters:
                - type: object
                  properties:
                    got:
                      type: string
                      mapping: $.${field}
${version >= 2 ? `        - name: added\n          path: /added\n          operations:\n            - method: GET\n              name: added\n              outputParameters:\n                - type: object\n                  properties:\n                    added:\n                      type: string\n                      value: yes\n` : ''}`;

const INVALID = (upstream: string) => VERSIONED(upstream, 99).replace('call: up.get-slow', 'call: up.no-such-operation');

describe('hot reload', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  const runtimes: Runtime[] = [];
  const keepAlive = new Agent({ keepAliveTimeout: 30_000, connections: 4 });

  beforeAll(async () => {
    upstream = await startRecorder(() => ({ status: 200, body: { a: 'old', b: 'new' }, delayMs: 400 }));
    dir = tmpDir();
  });
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await keepAlive.close();
    await upstream?.close();
    dir?.remove();
  });

  async function serve(name: string, text: string, extra: { ports?: Map<string, number>; watch?: boolean } = {}) {
    const file = dir.write(name, text);
    const runtime = await startRuntime({ files: [file], ports: extra.ports ?? new Map([['control', 0], ['api', 0]]), logLevel: 'silent', env: {}, ...(extra.watch ? { watch: true } : {}) });
    runtimes.push(runtime);
    const url = (t: string) => runtime.adapters.find((a) => a.type === t)!.url;
    return { file, runtime, rest: url('rest'), control: url('control') };
  }

  const version = async (rest: string) => (await call(`${rest}/version`, { dispatcher: keepAlive } as RequestInit)).json?.version;

  it('serves a valid change on the same port and connection; new routes appear', async () => {
    const { file, runtime, rest, control } = await serve('valid.yaml', VERSIONED(upstream.url, 1));
    expect(await version(rest)).toBe(1);
    expect((await call(`${rest}/added`)).status).toBe(404);
    writeFileSync(file, VERSIONED(upstream.url, 2));
    const res = await call(`${control}/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'reloaded', reloads: 1 });
    expect(await version(rest)).toBe(2);
    expect((await call(`${rest}/added`)).json).toEqual({ added: 'yes' });
    expect(runtime.adapters.find((a) => a.type === 'rest')!.url).toBe(rest);
    expect(runtime.models[0]!.info.description).toBe('version 2');
    const status = (await call(`${control}/status`)).json;
    expect(status.reload).toMatchObject({ count: 1, inProgress: false });
    expect(status.reload.lastAt).toBeDefined();
  });

  it('keeps serving the old model when the new files are invalid, and says why in /status', async () => {
    const { file, rest, control } = await serve('invalid.yaml', VERSIONED(upstream.url, 1));
    writeFileSync(file, INVALID(upstream.url));
    const res = await call(`${control}/reload`, { method: 'POST' });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('NR_ERR_RELOAD_REFUSED');
    expect(res.json.detail).toContain('NR_ERR_UNKNOWN_CALL');
    expect(res.json.detail).toContain('invalid.yaml');
    expect(await version(rest)).toBe(1);
    const status = (await call(`${control}/status`)).json;
    expect(status.reload.count).toBe(0);
    expect(status.reload.lastError).toMatchObject({ code: 'NR_ERR_RELOAD_REFUSED' });
    expect((await call(`${control}/health/ready`)).status).toBe(200);
    // fixed again: the error is cleared
    writeFileSync(file, VERSIONED(upstream.url, 3));
    expect((await call(`${control}/reload`, { method: 'POST' })).status).toBe(200);
    expect((await call(`${control}/status`)).json.reload.lastError).toBeUndefined();
  });

  it('lets a call running during the reload finish on the old model', async () => {
    const { file, runtime, rest } = await serve('inflight.yaml', VERSIONED(upstream.url, 1, 2, 'a'));
    const running = call(`${rest}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(file, VERSIONED(upstream.url, 2, 2, 'b'));
    expect((await runtime.reload()).ok).toBe(true);
    const after = call(`${rest}/slow`);
    expect((await running).json).toEqual({ got: 'old' });
    expect((await after).json).toEqual({ got: 'new' });
  });

  it('answers a malformed request once, from the current app, however many reloads ran', async () => {
    const { file, runtime, rest } = await serve('garbage.yaml', VERSIONED(upstream.url, 1));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      for (let i = 2; i <= 14; i++) {
        writeFileSync(file, VERSIONED(upstream.url, i));
        expect((await runtime.reload()).ok).toBe(true);
      }
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    // each app built on a kept server would otherwise leave one more 'clientError' listener behind
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    const answer = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(rest);
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer.match(/^HTTP\/1\.1 400 /gm)).toHaveLength(1);
    expect(answer).toContain('NR_ERR_BAD_REQUEST');
  });

  it('moves an adapter whose port changed: the new port listens, the old one closes', async () => {
    const [first, second] = [await closedPort(), await closedPort()];
    const { file, runtime } = await serve('moved.yaml', VERSIONED(upstream.url, 1, first), { ports: new Map([['control', 0]]) });
    expect(await version(`http://127.0.0.1:${first}`)).toBe(1);
    writeFileSync(file, VERSIONED(upstream.url, 2, second));
    expect((await runtime.reload()).ok).toBe(true);
    expect(await version(`http://127.0.0.1:${second}`)).toBe(2);
    expect(runtime.adapters.find((a) => a.type === 'rest')!.url).toBe(`http://127.0.0.1:${second}`);
    await new Promise((r) => setTimeout(r, 100));
    await expect(fetch(`http://127.0.0.1:${first}/version`)).rejects.toThrow();
  });

  it('under load, 20 changes (valid and invalid) fail no request and every answer comes from one committed model', async () => {
    const { file, runtime, rest } = await serve('load.yaml', VERSIONED(upstream.url, 1));
    let stop = false;
    const failures: string[] = [];
    const seen: number[][] = [[], [], [], []];
    const clients = seen.map(async (mine) => {
      while (!stop) {
        try {
          const res = await call(`${rest}/version`, { dispatcher: keepAlive } as RequestInit);
          if (res.status !== 200) failures.push(`${res.status} ${res.text}`);
          else mine.push(res.json.version);
        } catch (e) {
          failures.push(String(e));
        }
      }
    });
    const committed = [1];
    for (let i = 2; i <= 21; i++) {
      const valid = i % 3 !== 0;
      writeFileSync(file, valid ? VERSIONED(upstream.url, i) : INVALID(upstream.url));
      const outcome = await runtime.reload();
      expect(outcome.ok).toBe(valid);
      if (valid) committed.push(i);
      // every client is answered at least once by each state, however slow the machine
      const counts = seen.map((m) => m.length);
      await until(async () => seen.every((m, k) => m.length > counts[k]! || failures.length > 0), 10_000);
    }
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    for (const mine of seen) {
      expect(mine.length).toBeGreaterThan(10);
      for (const v of mine) expect(committed).toContain(v);
      // each client's answers never go back to an older model
      expect([...mine].sort((x, y) => x - y)).toEqual(mine);
    }
    expect(seen.flat()).toContain(committed.at(-1));
  }, 60_000);

  it('--watch reloads when the file is saved (also by rename, as editors do)', async () => {
    const { file, rest } = await serve('watched.yaml', VERSIONED(upstream.url, 1), { watch: true });
    writeFileSync(`${file}.tmp`, VERSIONED(upstream.url, 2));
    (await import('node:fs')).renameSync(`${file}.tmp`, file);
    await until(async () => (await version(rest)) === 2);
    writeFileSync(file, VERSIONED(upstream.url, 3));
    await until(async () => (await version(rest)) === 3);
  });
});

describe('hot reload from the CLI', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  beforeAll(async () => {
    ensureBuilt();
    dir = tmpDir();
    upstream = await startRecorder();
  }, 180_000);
  afterAll(async () => {
    await upstream?.close();
    dir?.remove();
  });

  it('SIGHUP reloads; an invalid file is logged and the old model serves on', async () => {
    const file = dir.write('hup.yaml', VERSIONED(upstream.url, 1));
    const s = new Serving([file, '--port', 'api=0', '--port', 'control=0'], { PATH: process.env.PATH ?? '' });
    try {
      const [, rest] = await s.waitFor(/^REST\s+api\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
      expect(s.stdout).toMatch(/^CONTROL control\s+http:\/\/127\.0\.0\.1:\d+$/m);
      expect(s.stdout).toContain('POST /reload');
      writeFileSync(file, VERSIONED(upstream.url, 2));
      s.child.kill('SIGHUP');
      await until(async () => (await call(`${rest}/version`)).json?.version === 2);
      await s.waitFor(/"msg":"reloaded"/);
      writeFileSync(file, INVALID(upstream.url));
      s.child.kill('SIGHUP');
      await s.waitFor(/NR_ERR_RELOAD_REFUSED/);
      expect((await call(`${rest}/version`)).json.version).toBe(2);
    } finally {
      const exit = await s.stop();
      expect(exit.code).toBe(0);
    }
  });
});
