/**
 * `--workers N` (issue 12 §1), as a user runs it: N processes share every port, the control adapter's
 * /metrics sums them (one `naftiko_worker` label each), POST /reload and SIGHUP reload all of them, a
 * crashed worker is replaced, SIGTERM drains all and exits 0, and problems are reported once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { ensureBuilt } from '../build-dist.js';
import { call, startRecorder, tmpDir, type Recorder, type TmpDir, until } from './helpers.js';
import { Serving } from './serving-cli.js';

const SPEC = (upstream: string, version: number) => `
naftiko: 1.0.0-alpha3
info:
  label: Workers
  description: version ${version}
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "${upstream}"
      resources:
        - { name: item, path: /item, operations: [{ name: get-item, method: GET }] }
  exposes:
    - type: control
      port: 1
      management: { health: true, info: true, reload: true }
    - type: rest
      namespace: api
      port: 2
      resources:
        - name: version
          path: /version
          operations:
            - method: GET
              name: version
              outputParameters:
                - { name: version, type: number, value: "${version}" }
        - name: item
          path: /item
          operations:
            - { method: GET, name: item, call: up.get-item }
`;

/** One request on a connection of its own, so that round-robin can hand it to any worker. */
function fresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const pidsOf = (stdout: string) => /\(pids ([\d, ]+)\)/.exec(stdout)![1]!.split(', ').map(Number);
const env = () => ({ PATH: process.env.PATH ?? '' });

describe('--workers', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  beforeAll(async () => {
    ensureBuilt();
    upstream = await startRecorder(() => ({ status: 200, body: { ok: true } }));
    dir = tmpDir();
  }, 180_000);
  afterAll(async () => {
    await upstream?.close();
    dir?.remove();
  });

  async function start(file: string, workers = 2) {
    const s = new Serving([file, '--workers', String(workers), '--port', 'api=0', '--port', 'control=0'], env());
    await s.waitFor(/share every port/, 30_000);
    const [, rest] = await s.waitFor(/^REST\s+api\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
    const [, control] = await s.waitFor(/^CONTROL control\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
    return { s, rest: rest!, control: control!, pids: pidsOf(s.stdout) };
  }

  it('shares the ports between two processes and sums them in /metrics, one naftiko_worker label each', async () => {
    const { s, rest, control, pids } = await start(dir.write('metrics.yaml', SPEC(upstream.url, 1)));
    try {
      expect(pids).toHaveLength(2);
      expect(s.stdout.match(/^REST /gm)).toHaveLength(1); // one startup table, not one per worker
      for (let i = 0; i < 40; i++) expect((await fresh(`${rest}/item`)).status).toBe(200);
      const text = (await call(`${control}/metrics`)).text;
      const perWorker = [...text.matchAll(/^naftiko_request_total\{naftiko_worker="(\d)",[^}]*naftiko_operation_id="\/item GET"[^}]*\} (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
      expect(perWorker.map(([w]) => w).sort()).toEqual([1, 2]);
      expect(perWorker.reduce((sum, [, n]) => sum + n!, 0)).toBe(40);
      expect(perWorker.every(([, n]) => n! > 0)).toBe(true);
      expect(text.match(/^# TYPE naftiko_request_total /gm)).toHaveLength(1);
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
  }, 60_000);

  it('POST /reload and SIGHUP reload every worker', async () => {
    const file = dir.write('reload.yaml', SPEC(upstream.url, 1));
    const { s, rest, control } = await start(file);
    const versions = async () => new Set(await Promise.all(Array.from({ length: 12 }, async () => {
      const r = await fresh(`${rest}/version`);
      return r.status === 200 ? JSON.parse(r.body).version : `${r.status} ${r.body}`;
    })));
    try {
      expect(await versions()).toEqual(new Set([1]));
      writeFileSync(file, SPEC(upstream.url, 2));
      expect((await call(`${control}/reload`, { method: 'POST' })).json).toMatchObject({ status: 'reloaded' });
      expect(await versions()).toEqual(new Set([2]));
      writeFileSync(file, SPEC(upstream.url, 3));
      s.child.kill('SIGHUP');
      await s.waitFor(/reloaded 2 workers/);
      expect(await versions()).toEqual(new Set([3]));
      writeFileSync(file, SPEC(upstream.url, 4).replace('call: up.get-item', 'call: up.nope'));
      const refused = await call(`${control}/reload`, { method: 'POST' });
      expect(refused.status).toBe(422);
      expect(refused.json.code).toBe('NR_ERR_RELOAD_REFUSED');
      expect(await versions()).toEqual(new Set([3]));
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
  }, 60_000);

  it('replaces a worker that crashes; requests keep being served', async () => {
    const { s, rest, pids } = await start(dir.write('crash.yaml', SPEC(upstream.url, 1)));
    try {
      process.kill(pids[0]!, 'SIGKILL');
      await until(() => /worker 1 \(pid \d+\) exited \(SIGKILL\); starting another/.test(s.stderr), 15_000);
      // the other worker serves meanwhile
      for (let i = 0; i < 5; i++) expect((await fresh(`${rest}/version`)).status).toBe(200);
      const [, pid] = await s.waitFor(/worker 1 \(pid (\d+)\) is serving/, 30_000);
      expect(Number(pid)).not.toBe(pids[0]);
      for (let i = 0; i < 20; i++) expect((await fresh(`${rest}/version`)).status).toBe(200);
    } finally {
      const exit = await s.stop();
      expect(exit.code, exit.stdout + exit.stderr).toBe(0);
    }
    expect(s.stderr).toContain('worker 1 (pid');
  }, 60_000);

  it('reports a bad file once and exits 1 without forking', async () => {
    const s = new Serving([dir.write('bad.yaml', SPEC(upstream.url, 1).replace('call: up.get-item', 'call: up.nope')), '--workers', '2', '--port', 'api=0', '--port', 'control=0'], env());
    const exit = await s.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.match(/NR_ERR_UNKNOWN_CALL/g)).toHaveLength(1);
  });

  it('refuses --workers 0 and an MCP adapter on stdio', async () => {
    const zero = await new Serving([dir.write('zero.yaml', SPEC(upstream.url, 1)), '--workers', '0'], env()).exited;
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('--workers 0: expected a number of processes from 1 to 256, or auto');
    const stdio = SPEC(upstream.url, 1).replace('    - type: control', '    - type: mcp\n      namespace: local\n      transport: stdio\n      tools:\n        - { name: item, description: an item, call: up.get-item }\n    - type: control');
    const refused = await new Serving([dir.write('stdio.yaml', stdio), '--workers', '2'], env()).exited;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('NR_ERR_WORKERS_STDIO');
  });
});
