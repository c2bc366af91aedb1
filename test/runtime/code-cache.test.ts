/**
 * The CLI's V8 code cache (src/cli/code-cache.ts), as a user meets it: `node dist/cli.js FILE` started
 * twice from a copy of the built package. NODE_DEBUG=naftiko-run makes the loader say what it did.
 * Asserts what is used, written, refused and left alone; never how long anything takes.
 */
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../build-dist.js';
import { ROOT } from './helpers.js';
import { Serving } from './serving-cli.js';

const KEPT_FILES = 8; // src/cli/code-cache.ts

let pkg = '';
let work = '';

/** The built package in a folder of its own (dependencies from this checkout's node_modules). */
function copyPackage(into: string): string {
  mkdirSync(path.join(into, 'dist'), { recursive: true });
  for (const f of ['cli.js', 'cli-bundle.cjs']) copyFileSync(path.join(ROOT, 'dist', f), path.join(into, 'dist', f));
  copyFileSync(path.join(ROOT, 'package.json'), path.join(into, 'package.json'));
  cpSync(path.join(ROOT, 'capabilities'), path.join(into, 'capabilities'), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(into, 'node_modules'));
  return into;
}

interface Start {
  readonly stderr: string;
  readonly docs: number;
}

/** Serves bulksync.yaml from the package `root` on free ports, asks the REST adapter one thing, stops. */
async function start(root: string, cacheDir: string | undefined, extraEnv: Record<string, string> = {}): Promise<Start> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), NODE_DEBUG: 'naftiko-run', ...extraEnv };
  delete env.NAFTIKO_RUN_CODE_CACHE;
  if (cacheDir !== undefined) env.NAFTIKO_RUN_CODE_CACHE = cacheDir;
  const s = new Serving([path.join(root, 'capabilities', 'bulksync.yaml'), '--port', 'polytomic-subpackage-bulksync-rest=0', '--port', 'polytomic-subpackage-bulksync-mcp=0'], env, path.join(root, 'dist', 'cli.js'), root);
  try {
    const [, url] = await s.waitFor(/^REST\s+\S+\s+(http:\/\/\S+)/m, 15_000);
    const docs = (await fetch(`${url}/openapi.json`)).status;
    // the cache is written as the servers listen, before the summary is printed; give stderr a moment
    await new Promise((r) => setTimeout(r, 100));
    return { stderr: s.stderr, docs };
  } finally {
    await s.stop();
  }
}

const cacheLine = (stderr: string, what: string): string | undefined => new RegExp(`code cache: ${what} (\\S+)`).exec(stderr)?.[1];
const bins = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();

beforeAll(() => {
  ensureBuilt();
  work = mkdtempSync(path.join(tmpdir(), 'naftiko-code-cache-'));
  pkg = copyPackage(path.join(work, 'package'));
}, 120_000);
afterAll(() => {
  try {
    chmodSync(pkg, 0o755);
  } catch {
    // already writable
  }
  rmSync(work, { recursive: true, force: true });
});

describe('CLI code cache', () => {
  it('is written by the first start and used by the next; the cached code serves', async () => {
    const dir = path.join(work, 'cache-a');
    const first = await start(pkg, dir);
    const missed = cacheLine(first.stderr, 'miss');
    expect(missed, first.stderr).toBeDefined();
    expect(first.stderr).toContain(`code cache: wrote ${missed}`);
    expect(first.docs).toBe(200);
    expect(bins(dir)).toEqual([path.basename(missed!)]);

    const second = await start(pkg, dir);
    expect(cacheLine(second.stderr, 'hit'), second.stderr).toBe(missed);
    expect(second.stderr).not.toContain('code cache: wrote');
    expect(second.docs).toBe(200);
  }, 60_000);

  it('is not used once the bundle changes: the new code runs and gets a file of its own', async () => {
    const root = copyPackage(path.join(work, 'changed'));
    const dir = path.join(work, 'cache-b');
    const before = await start(root, dir);
    const oldFile = cacheLine(before.stderr, 'miss');
    expect(oldFile).toBeDefined();
    // the bundle is its own wrapper function: the new first statement of its body
    const bundle = path.join(root, 'dist', 'cli-bundle.cjs');
    writeFileSync(bundle, readFileSync(bundle, 'latin1').replace("'use strict';", `'use strict'; process.stderr.write("the changed bundle ran\\n");`), 'latin1');
    const after = await start(root, dir);
    expect(after.stderr).toContain('the changed bundle ran');
    const newFile = cacheLine(after.stderr, 'miss');
    expect(newFile, after.stderr).toBeDefined();
    expect(newFile).not.toBe(oldFile);
    expect(after.stderr).toContain(`code cache: wrote ${newFile}`);
    expect(after.docs).toBe(200);
  }, 60_000);

  it('a corrupt file is refused, the start compiles as usual and writes it again', async () => {
    const dir = path.join(work, 'cache-c');
    const file = cacheLine((await start(pkg, dir)).stderr, 'miss')!;
    writeFileSync(file, Buffer.alloc(4096, 7));
    const refused = await start(pkg, dir);
    expect(cacheLine(refused.stderr, 'rejected'), refused.stderr).toBe(file);
    expect(refused.stderr).toContain(`code cache: wrote ${file}`);
    expect(refused.docs).toBe(200);
    expect(cacheLine((await start(pkg, dir)).stderr, 'hit')).toBe(file);
  }, 60_000);

  it('an unusable, unsafe (writable by others, a symbolic link) or turned-off location: the CLI serves without it', async () => {
    const notADir = path.join(work, 'a-file');
    writeFileSync(notADir, '');
    const unusable = await start(pkg, path.join(notADir, 'cache'));
    expect(unusable.stderr).toContain('unusable');
    expect(unusable.stderr).not.toContain('code cache: wrote');
    expect(unusable.docs).toBe(200);

    const open = path.join(work, 'cache-open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const unsafe = await start(pkg, open);
    expect(unsafe.stderr).toContain('writable by others; not used');
    expect(readdirSync(open)).toEqual([]);
    expect(unsafe.docs).toBe(200);

    const target = path.join(work, 'cache-target');
    mkdirSync(target, { mode: 0o700 });
    const link = path.join(work, 'cache-link');
    symlinkSync(target, link);
    const linked = await start(pkg, link);
    expect(linked.stderr).toContain('is not a folder; not used');
    expect(readdirSync(target)).toEqual([]);
    expect(linked.docs).toBe(200);

    const off = await start(pkg, 'off');
    expect(off.stderr).toContain('code cache: off');
    expect(off.docs).toBe(200);
  }, 60_000);

  it('the default location is in the OS temporary folder, never the install folder, which may be read-only', async () => {
    const root = copyPackage(path.join(work, 'readonly'));
    const tmp = path.join(work, 'tmpdir');
    mkdirSync(tmp);
    const listing = (): string[] => readdirSync(root, { recursive: true }).map(String).sort();
    const files = listing();
    chmodSync(path.join(root, 'dist'), 0o555);
    chmodSync(root, 0o555);
    try {
      const first = await start(root, undefined, { TMPDIR: tmp });
      const file = cacheLine(first.stderr, 'miss');
      expect(file, first.stderr).toBeDefined();
      expect(path.dirname(file!)).toBe(path.join(tmp, `naftiko-run-code-cache-${process.getuid?.() ?? 'user'}`));
      expect(first.docs).toBe(200);
      expect(cacheLine((await start(root, undefined, { TMPDIR: tmp })).stderr, 'hit')).toBe(file);
      expect(listing()).toEqual(files);
    } finally {
      chmodSync(root, 0o755);
      chmodSync(path.join(root, 'dist'), 0o755);
    }
  }, 60_000);

  it(`keeps the ${KEPT_FILES} most recently written files`, async () => {
    const dir = path.join(work, 'cache-d');
    mkdirSync(dir, { mode: 0o700 });
    const old = Array.from({ length: KEPT_FILES + 3 }, (_, i) => `old-${String(i).padStart(2, '0')}.bin`);
    old.forEach((f, i) => {
      writeFileSync(path.join(dir, f), 'x');
      const t = new Date(Date.now() - (i + 1) * 3_600_000); // old-00 the newest
      utimesSync(path.join(dir, f), t, t);
    });
    const file = cacheLine((await start(pkg, dir)).stderr, 'miss')!;
    const left = bins(dir);
    expect(left).toHaveLength(KEPT_FILES);
    expect(left).toContain(path.basename(file));
    expect(left).toEqual([...old.slice(0, KEPT_FILES - 1), path.basename(file)].sort());
    expect(existsSync(path.join(dir, old.at(-1)!))).toBe(false);
  }, 60_000);
});
