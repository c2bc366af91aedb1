/**
 * The parse cache: what a start parsed of a capability file, read by the next start of the same text
 * (src/spec/parse-cache.ts, src/cli/parse-cache-file.ts). The file store directly, the YAML reader with
 * a store installed, and the CLI started twice, then again after the file changed.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../build-dist.js';
import { ROOT } from './helpers.js';
import { Serving } from './serving-cli.js';
import { fileParseCache, KEPT_PARSES } from '../../src/cli/parse-cache-file.js';
import { QUICK_READER, useParseCache, type ParseCache } from '../../src/spec/parse-cache.js';
import { loadCapabilityText } from '../../src/spec/load.js';

let work = '';
beforeAll(() => {
  ensureBuilt();
  work = mkdtempSync(path.join(tmpdir(), 'naftiko-parse-cache-'));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => useParseCache(undefined));

const parses = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml.v8')).sort();
const BULKSYNC = readFileSync(path.join(ROOT, 'capabilities', 'bulksync.yaml'), 'utf8');

describe('file parse cache', () => {
  it('gives back what was kept for the same text and reader, and nothing for another', () => {
    const dir = path.join(work, 'store');
    const cache = fileParseCache({ NAFTIKO_RUN_CODE_CACHE: dir })!;
    const value = { a: [1, 'two', null, true, { inf: Infinity, nan: NaN }], '__proto__x': 'p' };
    expect(cache.get('text', QUICK_READER)).toBeUndefined();
    cache.set('text', QUICK_READER, value);
    expect(cache.get('text', QUICK_READER)).toEqual({ value });
    expect(cache.get('text ', QUICK_READER)).toBeUndefined();
    expect(cache.get('text', 'js-yaml@0.0.0/core/1')).toBeUndefined();
    expect(parses(dir)).toHaveLength(1);
  });

  it('keeps a copy: a change to the value after set is not what the next get gives', () => {
    const cache = fileParseCache({ NAFTIKO_RUN_CODE_CACHE: path.join(work, 'copy') })!;
    const value: Record<string, unknown> = { name: 'before' };
    cache.set('t', QUICK_READER, value);
    value.name = 'after';
    expect(cache.get('t', QUICK_READER)).toEqual({ value: { name: 'before' } });
  });

  it('treats a corrupt file as a miss, writes nothing for a value it cannot serialize, and is off when the folder is', () => {
    const dir = path.join(work, 'corrupt');
    const cache = fileParseCache({ NAFTIKO_RUN_CODE_CACHE: dir })!;
    cache.set('t', QUICK_READER, { ok: 1 });
    const [file] = parses(dir);
    writeFileSync(path.join(dir, file!), 'not v8 data');
    expect(cache.get('t', QUICK_READER)).toBeUndefined();
    cache.set('u', QUICK_READER, { f: () => 1 });
    expect(parses(dir)).toEqual([file]);
    expect(fileParseCache({ NAFTIKO_RUN_CODE_CACHE: 'off' })).toBeUndefined();
  });

  it('is not used in a folder others may write', () => {
    const dir = path.join(work, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(fileParseCache({ NAFTIKO_RUN_CODE_CACHE: dir })).toBeUndefined();
  });

  it(`keeps the ${KEPT_PARSES} most recently written files`, () => {
    const dir = path.join(work, 'prune');
    const cache = fileParseCache({ NAFTIKO_RUN_CODE_CACHE: dir })!;
    for (let i = 0; i < KEPT_PARSES + 5; i++) cache.set(`text ${i}`, QUICK_READER, { i });
    expect(parses(dir)).toHaveLength(KEPT_PARSES);
  });
});

describe('the YAML reader with a parse cache', () => {
  /** a store in memory that counts what the reader asked */
  const counting = () => {
    const kept = new Map<string, unknown>();
    const seen = { gets: 0, hits: 0, sets: 0 };
    const cache: ParseCache = {
      get(text, reader) {
        seen.gets++;
        const k = `${reader}\0${text}`;
        if (!kept.has(k)) return undefined;
        seen.hits++;
        return { value: structuredClone(kept.get(k)) };
      },
      set(text, reader, value) {
        seen.sets++;
        kept.set(`${reader}\0${text}`, structuredClone(value));
      },
    };
    return { cache, seen };
  };

  it('parses once, then loads the same model from the cache', () => {
    const { cache, seen } = counting();
    useParseCache(cache);
    const first = loadCapabilityText('bulksync.yaml', BULKSYNC);
    const second = loadCapabilityText('bulksync.yaml', BULKSYNC);
    expect(seen).toEqual({ gets: 2, hits: 1, sets: 1 });
    expect(JSON.stringify(second.model)).toBe(JSON.stringify(first.model));
  });

  it('still reports problems at their line from a cached value', () => {
    const { cache } = counting();
    useParseCache(cache);
    const bad = BULKSYNC.replace('naftiko: ', 'naftikoo: 1\nnaftiko: ');
    const problem = () => {
      try {
        loadCapabilityText('bad.yaml', bad, { strict: true });
        return undefined;
      } catch (e) {
        return String(e);
      }
    };
    const uncached = problem();
    expect(uncached).toMatch(/bad\.yaml:\d+:\d+/);
    expect(problem()).toBe(uncached);
  });

  it('is not asked about a file the quick reader does not read (anchors and aliases)', () => {
    const { cache, seen } = counting();
    useParseCache(cache);
    const withAnchor = BULKSYNC.replace(/^info:/m, 'x-anchor: &a 1\nx-alias: *a\ninfo:');
    try {
      loadCapabilityText('anchored.yaml', withAnchor);
    } catch {
      // whether it loads does not matter here
    }
    expect(seen.gets).toBe(0);
  });
});

describe('the CLI', () => {
  /** Serves `file` on free ports, returns the title of the REST adapter's OpenAPI document and what the start said. */
  async function start(file: string, cacheDir: string): Promise<{ stderr: string; title: string }> {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), NODE_DEBUG: 'naftiko-run', NAFTIKO_RUN_CODE_CACHE: cacheDir };
    const s = new Serving([file, '--port', 'polytomic-subpackage-bulksync-rest=0', '--port', 'polytomic-subpackage-bulksync-mcp=0'], env);
    try {
      const [, url] = await s.waitFor(/^REST\s+\S+\s+(http:\/\/\S+)/m, 15_000);
      const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { info: { title: string } };
      return { stderr: s.stderr, title: doc.info.title };
    } finally {
      await s.stop();
    }
  }

  it('writes the parse on the first start, reads it on the next, and parses a changed file afresh', async () => {
    const dir = path.join(work, 'cli-cache');
    const file = path.join(work, 'bulksync.yaml');
    copyFileSync(path.join(ROOT, 'capabilities', 'bulksync.yaml'), file);

    const first = await start(file, dir);
    expect(first.stderr).toMatch(/code cache: wrote \S+\.yaml\.v8/);
    expect(first.stderr).not.toContain('parse cache: hit');
    expect(parses(dir)).toHaveLength(1);

    const second = await start(file, dir);
    expect(second.stderr).toMatch(/parse cache: hit \S+\.yaml\.v8/);
    expect(second.title).toBe(first.title);

    writeFileSync(file, BULKSYNC.replace(/^(  label: ).*$/m, '$1Changed after the cache was written'));
    const third = await start(file, dir);
    expect(third.stderr).not.toContain('parse cache: hit');
    expect(third.title).toBe('Changed after the cache was written');
    expect(parses(dir)).toHaveLength(2);
  }, 60_000);
});
