/** `--log-format`: JSON lines by default off a terminal, readable lines with `pretty`; the debug line per upstream call in both. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { startRuntime } from '../../src/runtime.js';
import { ensureBuilt } from '../build-dist.js';
import { startRecorder, tmpDir, type Recorder, type TmpDir } from './helpers.js';
import { OBSERVED } from './observed-fixture.js';
import { Serving } from './serving-cli.js';

const NO_CONTROL = (upstream: string) => OBSERVED(upstream).replace(/    - type: control[\s\S]*?buffer-size: 10\n/, '');

describe('log format', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  beforeAll(async () => {
    upstream = await startRecorder(() => ({ status: 200, body: { id: 'x', name: 'w' } }));
    dir = tmpDir();
  });
  afterAll(async () => {
    await upstream?.close();
    dir?.remove();
  });

  async function logOf(logFormat: 'json' | 'pretty' | undefined, logLevel = 'info'): Promise<string> {
    let text = '';
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const runtime = await startRuntime({ files: [dir.write(`log-${logFormat}.yaml`, NO_CONTROL(upstream.url))], ports: new Map([['shop-rest', 0], ['shop-mcp', 0]]), logLevel, logStream: stream, env: {}, ...(logFormat ? { logFormat } : {}) });
    try {
      await fetch(`${runtime.adapters.find((a) => a.type === 'rest')!.url}/items/q1?secret=hunter2`, { headers: { 'x-request-id': 'fmt-1' } });
    } finally {
      await runtime.close();
    }
    return text;
  }

  it('writes JSON lines to a stream that is not a terminal', async () => {
    const text = await logOf(undefined);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ reqId: 'fmt-1', method: 'GET', url: '/items/q1', status: 200 });
    expect(text).not.toContain('hunter2');
  });

  it('the access line has the keys, order and types of a pino info line, with the path escaped as JSON', async () => {
    let text = '';
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const runtime = await startRuntime({ files: [dir.write('log-shape.yaml', NO_CONTROL(upstream.url))], ports: new Map([['shop-rest', 0], ['shop-mcp', 0]]), logLevel: 'info', logStream: stream, env: {} });
    try {
      await fetch(`${runtime.adapters.find((a) => a.type === 'rest')!.url}/items/a%22b%5Cc%E2%80%A8?x=1`);
    } finally {
      await runtime.close();
    }
    const line = text.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.msg === 'request');
    expect(Object.keys(line)).toEqual(['level', 'time', 'pid', 'hostname', 'reqId', 'method', 'url', 'status', 'ms', 'msg']);
    expect(line).toMatchObject({ level: 30, pid: process.pid, method: 'GET', url: '/items/a%22b%5Cc%E2%80%A8', status: 200 });
    expect(typeof line.time).toBe('number');
    expect(Math.abs(line.time - Date.now())).toBeLessThan(60_000);
    expect(typeof line.ms).toBe('number');
    expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes readable lines with --log-format pretty, never JSON, never the query', async () => {
    const text = await logOf('pretty');
    const line = text.split('\n').find((l) => l.includes('request') && l.includes('fmt-1'))!;
    expect(line).toBeDefined();
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toMatch(/INFO/);
    expect(line).toContain('/items/q1');
    expect(text).not.toContain('hunter2');
  });

  it('at debug, one line per upstream call with method, the URL without query values, status and ms', async () => {
    const text = await logOf('json', 'debug');
    const upstreamLine = text.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.msg === 'upstream');
    expect(upstreamLine).toMatchObject({ status: 200 });
    expect(upstreamLine.call).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/items\//);
    expect(typeof upstreamLine.ms).toBe('number');
    expect(upstreamLine.reqId ?? upstreamLine.requestId).toBe('fmt-1');
  });

  it('the CLI refuses an unknown format with the choices', async () => {
    ensureBuilt();
    const s = new Serving([dir.write('cli.yaml', NO_CONTROL(upstream.url)), '--log-format', 'xml'], { PATH: process.env.PATH ?? '' });
    const exit = await s.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('--log-format xml: expected auto or json or pretty');
  });
});
