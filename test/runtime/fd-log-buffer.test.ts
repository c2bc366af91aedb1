/**
 * The buffered log writer (src/expose/fd-log-buffer.ts) on real descriptors: a file, a pipe whose reader
 * starts late (EAGAIN, partial writes), a pipe whose reader is gone (EPIPE), and two processes sharing one
 * pipe as --workers do (atomic writes: no line cut by another process's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FdLogBuffer } from '../../src/expose/fd-log-buffer.js';
import { ensureBuilt, REPO_ROOT } from '../build-dist.js';
import { tmpDir, until, type TmpDir } from './helpers.js';

const line = (i: number, pad = 0) => `${JSON.stringify({ i, pad: 'x'.repeat(pad) })}\n`;
const BUFFER_MODULE = path.join(REPO_ROOT, 'dist', 'expose', 'fd-log-buffer.js');

/** A child that writes `count` lines through FdLogBuffer on its stdout, then flushes at exit. */
const WRITER = (count: number, pad: number, tag: string, atomic: boolean) => `
  import { FdLogBuffer } from ${JSON.stringify(`file://${BUFFER_MODULE}`)};
  const out = new FdLogBuffer(1, { atomicWrites: ${atomic} });
  let i = 0;
  const step = () => {
    for (let k = 0; k < 200 && i < ${count}; k++, i++) out.write(JSON.stringify({ tag: ${JSON.stringify(tag)}, i, pad: 'y'.repeat(${pad}) }) + '\\n');
    if (i < ${count}) setImmediate(step); else { out.flush(); setTimeout(() => { out.flushSync(); }, 50); }
  };
  process.on('exit', () => out.flushSync());
  step();
`;

function run(command: string, args: string[], stdin?: 'pipe'): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [stdin ?? 'ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('FdLogBuffer', () => {
  let dir: TmpDir;
  beforeAll(() => {
    ensureBuilt();
    dir = tmpDir();
  });
  afterAll(() => dir?.remove());

  it('writes every line to a file, in order, in a few large writes and the rest at flushSync', async () => {
    const file = path.join(dir.dir, 'file.log');
    const fd = openSync(file, 'w');
    const out = new FdLogBuffer(fd, { chunkBytes: 8192 });
    for (let i = 0; i < 20_000; i++) {
      out.write(line(i));
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    out.flushSync();
    closeSync(fd);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).i as number);
    expect(lines).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });

  it('waits for a pipe whose reader starts late (EAGAIN, partial writes) and loses nothing', async () => {
    // the reader sleeps first: the writer meets a full pipe many times over (2 MB against a 64 KiB pipe)
    const reader = spawn('sh', ['-c', 'sleep 0.5; cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let received = '';
    reader.stdout.setEncoding('utf8');
    reader.stdout.on('data', (d: string) => (received += d));
    const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const out = new FdLogBuffer(fd, { retryMs: 10 });
    for (let i = 0; i < 10_000; i++) out.write(line(i, 180));
    out.flush();
    await until(() => received.split('\n').length > 10_000, 20_000);
    const got = received.trim().split('\n').map((l) => JSON.parse(l).i as number);
    expect(got).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    reader.stdin.end();
    await new Promise((r) => reader.once('close', r));
  });

  it('stops writing, without throwing, once the reader is gone', async () => {
    const reader = spawn('sh', ['-c', 'exit 0'], { stdio: ['pipe', 'ignore', 'inherit'] });
    const stdin = reader.stdin as unknown as { _handle: { fd: number }; on(e: string, f: () => void): void };
    stdin.on('error', () => {});
    const fd = stdin._handle.fd;
    await new Promise((r) => reader.once('close', r));
    const out = new FdLogBuffer(fd, { chunkBytes: 1024 });
    for (let i = 0; i < 5_000; i++) expect(out.write(line(i, 100))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(() => out.flushSync()).not.toThrow();
    expect(out.write(line(1))).toBe(true);
  });

  it('drops lines past maxBuffered and says how many, once there is room', async () => {
    const file = path.join(dir.dir, 'dropped.log');
    const fd = openSync(file, 'w');
    const out = new FdLogBuffer(fd, { chunkBytes: 1 << 30, maxBuffered: 1000 });
    for (let i = 0; i < 100; i++) out.write(line(i)); // ~12 bytes each: about 80 fit
    out.flushSync();
    out.write(line(1000));
    out.flushSync();
    closeSync(fd);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const note = lines.find((l) => l.dropped !== undefined);
    expect(note).toMatchObject({ level: 40, msg: 'log lines dropped: the log output did not keep up' });
    const kept = lines.filter((l) => l.i !== undefined).map((l) => l.i);
    expect(kept.length - 1 + note.dropped).toBe(100);
    expect(kept.at(-1)).toBe(1000);
  });

  it('with atomicWrites, two processes on one pipe never cut each other\'s lines', async () => {
    const a = dir.write('a.mjs', WRITER(4000, 700, 'A', true));
    const b = dir.write('b.mjs', WRITER(4000, 700, 'B', true));
    // a reader that starts late: both writers meet a full pipe, where a write larger than PIPE_BUF goes in pieces
    const { code, stdout } = await run('sh', ['-c', `("${process.execPath}" ${a} & "${process.execPath}" ${b} & wait) | (sleep 0.5; cat)`]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(8000);
    const parsed = lines.map((l) => JSON.parse(l) as { tag: string; i: number });
    for (const tag of ['A', 'B']) expect(parsed.filter((p) => p.tag === tag).map((p) => p.i)).toEqual(Array.from({ length: 4000 }, (_, i) => i));
  });
});
